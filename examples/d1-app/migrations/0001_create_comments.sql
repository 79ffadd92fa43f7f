-- Migration number: 0001 	 2025-06-01T00:00:00.000Z
CREATE TABLE comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  author TEXT NOT NULL,
  content TEXT NOT NULL
);
INSERT INTO comments (author, content) VALUES ('Kristian', 'Congrats!'), ('Serena', 'Great job!');
