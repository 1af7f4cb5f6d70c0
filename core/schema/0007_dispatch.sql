-- Dispatch, matching and deadlines: the life of parts (timestamps of their
-- moves), what matching reads quickly (offer and org text indexes, the load
-- of each org, which orgs work with which collectivity, a catalogue
-- version), the deadlines of each request counted in business days, the
-- routing rules published from the workflows repository, and the
-- denormalised columns the cross-service board counts from.

-- Parts: when they moved, and indexes for queues and boards.
ALTER TABLE part ADD COLUMN accepted_at INTEGER; -- when the org accepted it, UTC epoch milliseconds; NULL before
ALTER TABLE part ADD COLUMN ended_at INTEGER;    -- when it became done, declined or cancelled, UTC epoch milliseconds; NULL while open
CREATE INDEX part_by_agent ON part(agent, state) WHERE agent IS NOT NULL;
CREATE INDEX part_accepted_by_org ON part(org, accepted_at) WHERE accepted_at IS NOT NULL;

-- Requests: columns the board filters and counts on without reading
-- other tables.
ALTER TABLE request ADD COLUMN epci TEXT;   -- EPCI of the collectivity when filed (its own code for an EPCI); NULL if none
ALTER TABLE request ADD COLUMN due_at INTEGER; -- earliest deadline not yet met (copy of sla.due_at), UTC epoch milliseconds; NULL when none runs
UPDATE request SET epci = (SELECT CASE WHEN c.kind = 'epci' THEN c.code ELSE c.epci END
                           FROM collectivity c WHERE c.code = request.collectivity);
CREATE INDEX request_by_epci ON request(epci, status) WHERE epci IS NOT NULL;
CREATE INDEX request_by_collectivity_status ON request(collectivity, status);
CREATE INDEX request_late ON request(due_at, status) WHERE due_at IS NOT NULL;

-- The theme index also carries the request's status, so that the board
-- counts a theme's requests per status from the index alone.
ALTER TABLE request_theme ADD COLUMN status TEXT; -- copy of request.status
UPDATE request_theme SET status = (SELECT r.status FROM request r WHERE r.id = request_theme.request);
CREATE INDEX request_theme_by_status ON request_theme(theme, status);
DROP TRIGGER request_theme_insert;
DROP TRIGGER request_theme_update;
CREATE TRIGGER request_theme_insert AFTER INSERT ON request BEGIN
  INSERT INTO request_theme (request, theme, status) SELECT new.id, value, new.status FROM json_each(new.themes);
END;
CREATE TRIGGER request_theme_update AFTER UPDATE OF themes ON request BEGIN
  DELETE FROM request_theme WHERE request = old.id;
  INSERT INTO request_theme (request, theme, status) SELECT new.id, value, new.status FROM json_each(new.themes);
END;
CREATE TRIGGER request_theme_status AFTER UPDATE OF status ON request BEGIN
  UPDATE request_theme SET status = new.status WHERE request = new.id;
END;

-- Deadlines of a request: targets from its offer, in business days from
-- the filing time; the clock stops while the request waits for the
-- requester (the pause is added to the deadlines when it resumes).
CREATE TABLE sla (
  request      INTEGER PRIMARY KEY REFERENCES request(id), -- the request
  ack_days     INTEGER,  -- target to acknowledge, business days; NULL if none
  take_days    INTEGER,  -- target to take charge, business days; NULL if none
  resolve_days INTEGER,  -- target to resolve, business days; NULL if none
  ack_due      INTEGER,  -- deadline to acknowledge, UTC epoch milliseconds; NULL if no target
  take_due     INTEGER,  -- deadline to take charge, UTC epoch milliseconds; NULL if no target
  resolve_due  INTEGER,  -- deadline to resolve, UTC epoch milliseconds; NULL if no target
  acked_at     INTEGER,  -- when it was acknowledged (first status change, part or answer); NULL before
  taken_at     INTEGER,  -- when an org first accepted a part; NULL before
  resolved_at  INTEGER,  -- when it was closed or cancelled; NULL before
  paused_since INTEGER,  -- when the clock stopped (waiting for the requester); NULL while it runs
  paused_ms    INTEGER NOT NULL DEFAULT 0, -- business milliseconds paused so far, already added to the deadlines
  overdue      INTEGER NOT NULL DEFAULT 0, -- targets whose passing was journaled: 1 acknowledge, 2 take charge, 4 resolve
  due_at       INTEGER,  -- earliest deadline not met; NULL when none runs (met, no target, or paused)
  escalate_at  INTEGER   -- earliest deadline not met whose passing is not yet journaled; NULL when none
);
CREATE INDEX sla_escalate ON sla(escalate_at) WHERE escalate_at IS NOT NULL;

-- Open parts of each org (proposed, accepted, in progress), kept by
-- triggers: the load matching weighs against the org's capacity.
CREATE TABLE org_load (
  org  INTEGER PRIMARY KEY REFERENCES org(id), -- the org
  open INTEGER NOT NULL DEFAULT 0 CHECK (open >= 0) -- its open parts
);
-- Which orgs work with which collectivity, kept by triggers: continuity.
CREATE TABLE org_collectivity (
  collectivity TEXT NOT NULL,    -- collectivity code
  org          INTEGER NOT NULL, -- org id
  open         INTEGER NOT NULL DEFAULT 0 CHECK (open >= 0), -- its open parts on the collectivity's requests
  total        INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0), -- all its parts on them, ever (declined ones excepted)
  PRIMARY KEY (collectivity, org)
) WITHOUT ROWID;

CREATE TRIGGER part_insert_counts AFTER INSERT ON part BEGIN
  INSERT INTO org_load (org, open) SELECT new.org, 1 WHERE new.state IN ('proposed', 'accepted', 'in_progress')
    ON CONFLICT (org) DO UPDATE SET open = open + 1;
  INSERT INTO org_collectivity (collectivity, org, open, total)
    SELECT r.collectivity, new.org, new.state IN ('proposed', 'accepted', 'in_progress'), new.state <> 'declined'
    FROM request r WHERE r.id = new.request
    ON CONFLICT (collectivity, org) DO UPDATE SET open = open + excluded.open, total = total + excluded.total;
END;
CREATE TRIGGER part_update_counts AFTER UPDATE OF state, org ON part BEGIN
  UPDATE org_load SET open = open - 1
    WHERE org = old.org AND old.state IN ('proposed', 'accepted', 'in_progress');
  INSERT INTO org_load (org, open) SELECT new.org, 1 WHERE new.state IN ('proposed', 'accepted', 'in_progress')
    ON CONFLICT (org) DO UPDATE SET open = open + 1;
  UPDATE org_collectivity SET open = open - (old.state IN ('proposed', 'accepted', 'in_progress')),
                              total = total - (old.state <> 'declined')
    WHERE org = old.org AND collectivity = (SELECT collectivity FROM request WHERE id = old.request);
  INSERT INTO org_collectivity (collectivity, org, open, total)
    SELECT r.collectivity, new.org, new.state IN ('proposed', 'accepted', 'in_progress'), new.state <> 'declined'
    FROM request r WHERE r.id = new.request
    ON CONFLICT (collectivity, org) DO UPDATE SET open = open + excluded.open, total = total + excluded.total;
END;

-- Text of each offer for relevance (bm25), kept by triggers.
CREATE VIRTUAL TABLE offer_fts USING fts5(
  title,   -- copy of offer.title
  summary, -- copy of offer.summary
  content = 'offer', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO offer_fts (offer_fts) VALUES ('rebuild');
CREATE TRIGGER offer_fts_insert AFTER INSERT ON offer BEGIN
  INSERT INTO offer_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
CREATE TRIGGER offer_fts_delete AFTER DELETE ON offer BEGIN
  INSERT INTO offer_fts (offer_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
END;
CREATE TRIGGER offer_fts_update AFTER UPDATE OF title, summary ON offer BEGIN
  INSERT INTO offer_fts (offer_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
  INSERT INTO offer_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;

-- What each org accepted before: one document per org (rowid = org id),
-- the titles and openings of the last 100 requests it accepted, rebuilt
-- by trigger when it accepts one.
CREATE VIRTUAL TABLE org_profile USING fts5(
  text, -- titles and first 300 characters of the requests accepted
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER part_accepted_profile AFTER UPDATE OF accepted_at ON part
WHEN new.accepted_at IS NOT NULL AND old.accepted_at IS NULL BEGIN
  DELETE FROM org_profile WHERE rowid = new.org;
  INSERT INTO org_profile (rowid, text)
    SELECT new.org, group_concat(t, ' ') FROM (
      SELECT r.title || ' ' || substr(r.description, 1, 300) AS t
      FROM part p JOIN request r ON r.id = p.request
      WHERE p.org = new.org AND p.accepted_at IS NOT NULL ORDER BY p.accepted_at DESC LIMIT 100);
END;

-- Version of the catalogue as matching sees it: any change to orgs,
-- offers, their themes, audiences, perimeters or memberships bumps it, so
-- that each connection's in-memory copy knows when to reload.
CREATE TABLE catalog_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1), -- the only row
  version INTEGER NOT NULL    -- increases on every change
);
INSERT INTO catalog_version (id, version) VALUES (1, 1);
CREATE TRIGGER catalog_version_org_i AFTER INSERT ON org BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_org_u AFTER UPDATE ON org BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_offer_i AFTER INSERT ON offer BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_offer_u AFTER UPDATE ON offer BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_offer_d AFTER DELETE ON offer BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_theme_i AFTER INSERT ON offer_theme BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_theme_d AFTER DELETE ON offer_theme BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_audience_i AFTER INSERT ON offer_audience BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_audience_d AFTER DELETE ON offer_audience BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_member_i AFTER INSERT ON perimeter_member BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER catalog_version_member_d AFTER DELETE ON perimeter_member BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE INDEX perimeter_member_by_commune ON perimeter_member(commune);

-- Instances waiting for a message, found by its name (the parts of a
-- request may all close before its process reaches the point where it
-- waits for that news: a periodic sweep tells it then).
CREATE INDEX subscription_by_message ON subscription(message);

-- Routing rules published from the workflows repository
-- (rules/<name>.rules), versioned like processes.
CREATE TABLE ruleset_version (
  id           INTEGER PRIMARY KEY, -- internal id
  name         TEXT NOT NULL,       -- file name without extension ('orientation')
  version      INTEGER NOT NULL,    -- 1, 2, … per name, never reused
  blob         TEXT NOT NULL,       -- git blob id (hex)
  commit_id    TEXT NOT NULL,       -- git commit that published it (hex)
  text         TEXT NOT NULL,       -- copy of the file
  author       TEXT NOT NULL,       -- publishing person, 'Name <email>'
  published_at INTEGER NOT NULL,    -- registration time, UTC epoch milliseconds
  UNIQUE (name, version)
);

-- Requests filed before this migration get deadlines without targets.
INSERT INTO sla (request) SELECT id FROM request;
