PRAGMA defer_foreign_keys=TRUE;
CREATE TABLE "d1_migrations"(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
INSERT INTO "d1_migrations" ("id","name","applied_at") VALUES(1,'0001_create_notes.sql','2026-12-02 04:26:44');
INSERT INTO "d1_migrations" ("id","name","applied_at") VALUES(2,'0002_add_tags.sql','2026-12-02 04:26:44');
CREATE TABLE notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL
, tags TEXT);
INSERT INTO "notes" ("id","body","tags") VALUES(1,'first note',NULL);
INSERT INTO "notes" ("id","body","tags") VALUES(2,'it''s',NULL);
DELETE FROM sqlite_sequence;
INSERT INTO "sqlite_sequence" ("name","seq") VALUES('_cf_hearth_history',4);
INSERT INTO "sqlite_sequence" ("name","seq") VALUES('notes',2);
INSERT INTO "sqlite_sequence" ("name","seq") VALUES('d1_migrations',2);
CREATE INDEX notes_tags ON notes (tags);
