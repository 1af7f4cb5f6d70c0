-- The cross-service board counts per status over a million requests in a
-- few milliseconds whatever the filter: the request's status is copied
-- where each filter's index can count it without reading the request, and
-- the counts per status are kept by triggers.

-- Parts carry their request's status: an org's or an agent's board counts
-- from the part index alone. The indexes end with the request, so that the
-- other filters and the permission rule are checked on it (and an agent's
-- requests counted once) without reading the part.
ALTER TABLE part ADD COLUMN request_status TEXT; -- copy of request.status, kept by triggers
UPDATE part SET request_status = (SELECT r.status FROM request r WHERE r.id = part.request);
CREATE INDEX part_board_by_org ON part(org, request_status, state, request);
CREATE INDEX part_board_by_agent ON part(agent, request_status, state, request) WHERE agent IS NOT NULL;
CREATE TRIGGER part_request_status_insert AFTER INSERT ON part BEGIN
  UPDATE part SET request_status = (SELECT r.status FROM request r WHERE r.id = new.request) WHERE id = new.id;
END;
CREATE TRIGGER part_request_status_move AFTER UPDATE OF request ON part BEGIN
  UPDATE part SET request_status = (SELECT r.status FROM request r WHERE r.id = new.request) WHERE id = new.id;
END;
CREATE TRIGGER part_request_status_update AFTER UPDATE OF status ON request BEGIN
  UPDATE part SET request_status = new.status WHERE request = new.id;
END;

-- The theme index also carries the earliest deadline not met: a theme's
-- late requests are counted per status from the index alone.
ALTER TABLE request_theme ADD COLUMN due_at INTEGER; -- copy of request.due_at, kept by triggers
UPDATE request_theme SET due_at = (SELECT r.due_at FROM request r WHERE r.id = request_theme.request);
CREATE INDEX request_theme_late ON request_theme(theme, status, due_at) WHERE due_at IS NOT NULL;
DROP TRIGGER request_theme_insert;
DROP TRIGGER request_theme_update;
CREATE TRIGGER request_theme_insert AFTER INSERT ON request BEGIN
  INSERT INTO request_theme (request, theme, status, due_at)
    SELECT new.id, value, new.status, new.due_at FROM json_each(new.themes);
END;
CREATE TRIGGER request_theme_update AFTER UPDATE OF themes ON request BEGIN
  DELETE FROM request_theme WHERE request = old.id;
  INSERT INTO request_theme (request, theme, status, due_at)
    SELECT new.id, value, new.status, new.due_at FROM json_each(new.themes);
END;
CREATE TRIGGER request_theme_due AFTER UPDATE OF due_at ON request BEGIN
  UPDATE request_theme SET due_at = new.due_at WHERE request = new.id;
END;

-- Late requests per status: one index range per status.
CREATE INDEX request_late_by_status ON request(status, due_at) WHERE due_at IS NOT NULL;

-- Requests per status, kept by triggers: the unfiltered board reads it.
CREATE TABLE request_status_count (
  status TEXT PRIMARY KEY, -- a value of request.status
  n      INTEGER NOT NULL CHECK (n >= 0) -- requests with that status
) WITHOUT ROWID;
INSERT INTO request_status_count (status, n) SELECT status, count(*) FROM request GROUP BY status;
CREATE TRIGGER request_status_count_insert AFTER INSERT ON request BEGIN
  INSERT INTO request_status_count (status, n) VALUES (new.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER request_status_count_delete AFTER DELETE ON request BEGIN
  UPDATE request_status_count SET n = n - 1 WHERE status = old.status;
END;
CREATE TRIGGER request_status_count_update AFTER UPDATE OF status ON request WHEN new.status IS NOT old.status BEGIN
  UPDATE request_status_count SET n = n - 1 WHERE status = old.status;
  INSERT INTO request_status_count (status, n) VALUES (new.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
