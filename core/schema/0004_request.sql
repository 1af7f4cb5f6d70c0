-- Requests filed by collectivities, their themes, the parts taken by
-- organisations, messages, attachments, and the full-text index.

CREATE TABLE status (
  code  TEXT PRIMARY KEY, -- status code kept in request.status
  label TEXT NOT NULL     -- French label shown to users
) WITHOUT ROWID;
INSERT INTO status (code, label) VALUES
  ('filed', 'Déposée'),
  ('qualifying', 'En qualification'),
  ('dispatched', 'Orientée'),
  ('in_progress', 'En cours'),
  ('waiting', 'En attente de la collectivité'),
  ('closed', 'Clôturée'),
  ('cancelled', 'Annulée');

CREATE TABLE request (
  id           INTEGER PRIMARY KEY, -- the reference as a number: year * 1000000 + number within the year
  ref          TEXT GENERATED ALWAYS AS (printf('%04d-%06d', id / 1000000, id % 1000000)) VIRTUAL, -- public reference 'AAAA-NNNNNN' (derived from id)
  year         INTEGER GENERATED ALWAYS AS (id / 1000000) VIRTUAL, -- year of the reference, Europe/Paris calendar (derived from id)
  seq          INTEGER GENERATED ALWAYS AS (id % 1000000) VIRTUAL, -- number within the year, from 1 (derived from id)
  collectivity TEXT NOT NULL REFERENCES collectivity(code), -- who asks
  title        TEXT NOT NULL,        -- short title (1 to 200 characters)
  description  TEXT NOT NULL,        -- what is asked, in the requester's words
  themes       TEXT NOT NULL CHECK (json_valid(themes)), -- theme codes, a sorted JSON array (indexed in request_theme)
  offer        INTEGER REFERENCES offer(id), -- offer chosen by the requester; NULL if none
  budget_cents INTEGER CHECK (budget_cents IS NULL OR budget_cents >= 0), -- estimated budget of the project, euro cents; NULL if unknown
  desired_date TEXT,                 -- date the requester hopes for (YYYY-MM-DD); NULL if none
  status       TEXT NOT NULL DEFAULT 'filed', -- public status: a code of table status, or a label set by the request's process
  filed_by     INTEGER REFERENCES user(id), -- user who filed it; NULL when filed by the platform
  filed_at     INTEGER NOT NULL,     -- filing time, UTC epoch milliseconds
  updated_at   INTEGER NOT NULL,     -- time of the last change, UTC epoch milliseconds
  CHECK (id % 1000000 BETWEEN 1 AND 999999)
);
CREATE INDEX request_by_collectivity ON request(collectivity, id);
CREATE INDEX request_by_status ON request(status, id);

-- Index of requests by theme, kept by triggers from request.themes.
CREATE TABLE request_theme (
  request INTEGER NOT NULL REFERENCES request(id) ON DELETE CASCADE, -- the request
  theme   TEXT NOT NULL REFERENCES theme(code), -- one of its themes
  PRIMARY KEY (request, theme)
) WITHOUT ROWID;
CREATE INDEX request_theme_by_theme ON request_theme(theme, request);
CREATE TRIGGER request_theme_insert AFTER INSERT ON request BEGIN
  INSERT INTO request_theme (request, theme) SELECT new.id, value FROM json_each(new.themes);
END;
CREATE TRIGGER request_theme_update AFTER UPDATE OF themes ON request BEGIN
  DELETE FROM request_theme WHERE request = old.id;
  INSERT INTO request_theme (request, theme) SELECT new.id, value FROM json_each(new.themes);
END;

CREATE TABLE part (
  id         INTEGER PRIMARY KEY, -- internal id
  request    INTEGER NOT NULL REFERENCES request(id), -- the request
  org        INTEGER NOT NULL REFERENCES org(id), -- the organisation taking this share
  offer      INTEGER REFERENCES offer(id), -- the offer it answers with; NULL if none
  role       TEXT NOT NULL CHECK (role IN ('lead', 'contributor')), -- lead or contributor
  state      TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'accepted', 'declined', 'in_progress', 'done', 'cancelled')), -- where the share stands
  agent      INTEGER REFERENCES user(id), -- agent assigned; NULL if none
  reason     TEXT,                -- reason given when declined or cancelled
  created_at INTEGER NOT NULL,    -- creation time, UTC epoch milliseconds
  updated_at INTEGER NOT NULL,    -- time of the last change, UTC epoch milliseconds
  UNIQUE (request, org)
);
CREATE INDEX part_by_org ON part(org, state);

CREATE TABLE message (
  id         INTEGER PRIMARY KEY, -- internal id
  request    INTEGER NOT NULL REFERENCES request(id), -- the request it belongs to
  author     INTEGER REFERENCES user(id), -- who wrote it; NULL for the platform
  visibility TEXT NOT NULL CHECK (visibility IN ('public', 'internal')), -- public: seen by the requester; internal: services only
  body       TEXT NOT NULL,       -- text of the message
  created_at INTEGER NOT NULL     -- writing time, UTC epoch milliseconds
);
CREATE INDEX message_by_request ON message(request, id);

CREATE TABLE attachment (
  id          INTEGER PRIMARY KEY, -- internal id
  request     INTEGER NOT NULL REFERENCES request(id), -- the request it belongs to
  sha256      TEXT NOT NULL,      -- hex SHA-256 of the content; the file is blobs/<2 first>/<rest>
  name        TEXT NOT NULL,      -- file name given by the uploader (no directories)
  media_type  TEXT NOT NULL,      -- media type ('application/pdf')
  size        INTEGER NOT NULL CHECK (size >= 0), -- size in bytes
  uploaded_by INTEGER REFERENCES user(id), -- who added it; NULL for the platform
  created_at  INTEGER NOT NULL    -- upload time, UTC epoch milliseconds
);
CREATE INDEX attachment_by_request ON attachment(request);

CREATE VIRTUAL TABLE request_fts USING fts5(
  title,       -- copy of request.title
  description, -- copy of request.description
  content = 'request', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER request_fts_insert AFTER INSERT ON request BEGIN
  INSERT INTO request_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER request_fts_delete AFTER DELETE ON request BEGIN
  INSERT INTO request_fts (request_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER request_fts_update AFTER UPDATE OF title, description ON request BEGIN
  INSERT INTO request_fts (request_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
  INSERT INTO request_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
