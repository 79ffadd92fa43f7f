-- Migration number: 0002 	 2025-06-02T00:00:00.000Z
ALTER TABLE comments ADD COLUMN created_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00';
CREATE INDEX comments_author ON comments (author);
