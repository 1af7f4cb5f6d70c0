-- The journal: one append-only line per change, written in the same
-- transaction as the change. Also the platform's settings.

CREATE TABLE event (
  id         INTEGER PRIMARY KEY, -- sequence number, increasing
  at         INTEGER NOT NULL,    -- time, UTC epoch milliseconds
  actor_user INTEGER REFERENCES user(id), -- user who acted; NULL for the platform or the command line
  actor      TEXT NOT NULL,       -- who acted, as shown ('maire@agassac.example', 'cli', 'système')
  request    INTEGER REFERENCES request(id), -- request concerned; NULL for other changes
  type       TEXT NOT NULL,       -- what happened ('request.filed', 'org.created'…)
  data       TEXT NOT NULL CHECK (json_valid(data)) -- details, a JSON object
);
CREATE INDEX event_by_request ON event(request, id) WHERE request IS NOT NULL;
CREATE INDEX event_by_type ON event(type, id);

CREATE TRIGGER event_no_update BEFORE UPDATE ON event BEGIN
  SELECT RAISE(ABORT, 'le journal ne se modifie pas');
END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event BEGIN
  SELECT RAISE(ABORT, 'le journal ne se modifie pas');
END;

CREATE TABLE setting (
  key   TEXT PRIMARY KEY, -- name of the setting ('demo.created_at')
  value TEXT NOT NULL     -- its value
) WITHOUT ROWID;
