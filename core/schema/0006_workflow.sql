-- Workflows: published process versions (git is the source, SQLite keeps a
-- copy so instances run without it), and the runtime state of instances
-- (tokens, user tasks, jobs, timers, message subscriptions, gateway joins,
-- incidents). Everything that happens is also a line of the journal.

CREATE TABLE process_version (
  id           INTEGER PRIMARY KEY, -- internal id
  process      TEXT NOT NULL,       -- BPMN process id ('demande-appui')
  version      INTEGER NOT NULL,    -- 1, 2, … per process, never reused
  blob         TEXT NOT NULL,       -- git blob id of processes/<process>.bpmn (hex)
  commit_id    TEXT NOT NULL,       -- git commit that published it (hex)
  xml          TEXT NOT NULL,       -- copy of the definition
  author       TEXT NOT NULL,       -- publishing person, 'Name <email>'
  published_at INTEGER NOT NULL,    -- registration time, UTC epoch milliseconds
  active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), -- 0: no new instance starts on it
  UNIQUE (process, version)
);

CREATE TABLE process_rejection (
  id         INTEGER PRIMARY KEY, -- internal id
  process    TEXT NOT NULL,       -- process id (from the file name)
  blob       TEXT NOT NULL,       -- git blob id found invalid
  commit_id  TEXT NOT NULL,       -- commit where it was found
  message    TEXT NOT NULL,       -- why it was refused (French)
  at         INTEGER NOT NULL,    -- when, UTC epoch milliseconds
  UNIQUE (process, blob)
);

CREATE TABLE instance (
  id         INTEGER PRIMARY KEY, -- internal id
  version    INTEGER NOT NULL REFERENCES process_version(id), -- the version it is pinned to
  request    INTEGER REFERENCES request(id), -- the request it handles; NULL for a test instance
  state      TEXT NOT NULL CHECK (state IN ('active', 'completed', 'terminated')), -- where it stands
  variables  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables)), -- its variables, a JSON object
  started_at INTEGER NOT NULL,    -- UTC epoch milliseconds
  ended_at   INTEGER              -- UTC epoch milliseconds; NULL while active
);
CREATE INDEX instance_by_request ON instance(request) WHERE request IS NOT NULL;
CREATE INDEX instance_by_version ON instance(version, state);

CREATE TABLE token (
  id         INTEGER PRIMARY KEY, -- internal id
  instance   INTEGER NOT NULL REFERENCES instance(id), -- its instance
  element    TEXT NOT NULL,       -- id of the element it waits at (activity, catch event, gateway in incident)
  scope      INTEGER REFERENCES token(id), -- token of the enclosing subProcess; NULL at process level
  incident   INTEGER NOT NULL DEFAULT 0 CHECK (incident IN (0, 1)), -- 1 while an incident holds it
  created_at INTEGER NOT NULL     -- UTC epoch milliseconds
);
CREATE INDEX token_by_instance ON token(instance, scope);
CREATE INDEX token_by_scope ON token(scope) WHERE scope IS NOT NULL;

CREATE TABLE task (
  id               INTEGER PRIMARY KEY, -- internal id
  instance         INTEGER NOT NULL REFERENCES instance(id), -- its instance
  token            INTEGER REFERENCES token(id), -- token waiting on it; NULL once ended
  element          TEXT NOT NULL,  -- userTask id
  name             TEXT,           -- its name in the diagram
  assignee         TEXT,           -- user it is assigned to (e-mail), or NULL
  candidate_groups TEXT,           -- comma-separated groups that may take it, or NULL
  candidate_users  TEXT,           -- comma-separated users that may take it, or NULL
  form_key         TEXT,           -- form to show, or NULL
  statut           TEXT,           -- public status of the request while it is open, or NULL
  state            TEXT NOT NULL CHECK (state IN ('open', 'completed', 'cancelled')), -- where it stands
  reason           TEXT,           -- why it was cancelled ('timeout', 'terminated', 'message', 'migration'…)
  created_at       INTEGER NOT NULL, -- UTC epoch milliseconds
  ended_at         INTEGER,        -- UTC epoch milliseconds
  ended_by         TEXT            -- who completed it
);
CREATE INDEX task_open ON task(state, id);
CREATE INDEX task_by_instance ON task(instance, state);
CREATE INDEX task_by_token ON task(token) WHERE token IS NOT NULL;

CREATE TABLE job (
  id         INTEGER PRIMARY KEY, -- internal id
  instance   INTEGER NOT NULL REFERENCES instance(id), -- its instance
  token      INTEGER NOT NULL REFERENCES token(id), -- token waiting on it
  element    TEXT NOT NULL,       -- serviceTask id
  type       TEXT NOT NULL,       -- action of the registry
  retries    INTEGER NOT NULL,    -- attempts left
  due_at     INTEGER NOT NULL,    -- when it may run next, UTC epoch milliseconds
  error      TEXT                 -- last failure, or NULL
);
CREATE INDEX job_due ON job(due_at);
CREATE INDEX job_by_token ON job(token);

CREATE TABLE timer (
  id          INTEGER PRIMARY KEY, -- internal id
  instance    INTEGER NOT NULL REFERENCES instance(id), -- its instance
  token       INTEGER NOT NULL REFERENCES token(id), -- token of the activity (boundary) or of the catch event
  element     TEXT NOT NULL,      -- timer event id (boundary or intermediate catch)
  due_at      INTEGER NOT NULL,   -- next firing, UTC epoch milliseconds
  repeats     INTEGER NOT NULL DEFAULT 1, -- firings left (cycles)
  value       TEXT                -- the timer value read from a variable when armed ("=path" timers), else NULL
);
CREATE INDEX timer_due ON timer(due_at);
CREATE INDEX timer_by_token ON timer(token);

CREATE TABLE subscription (
  id       INTEGER PRIMARY KEY, -- internal id, also the order of arrival
  instance INTEGER NOT NULL REFERENCES instance(id), -- its instance
  token    INTEGER NOT NULL REFERENCES token(id), -- token of the activity (boundary) or of the catch event
  element  TEXT NOT NULL,       -- message event id
  message  TEXT NOT NULL        -- message name awaited
);
CREATE INDEX subscription_by_instance ON subscription(instance, message, id);
CREATE INDEX subscription_by_token ON subscription(token);

CREATE TABLE arrival (
  instance INTEGER NOT NULL REFERENCES instance(id), -- its instance
  scope    INTEGER NOT NULL,    -- token id of the enclosing subProcess, 0 at process level
  gateway  TEXT NOT NULL,       -- joining parallelGateway id
  flow     TEXT NOT NULL,       -- incoming flow id
  tokens   INTEGER NOT NULL CHECK (tokens > 0), -- tokens arrived by that flow and not yet joined
  PRIMARY KEY (instance, scope, gateway, flow)
) WITHOUT ROWID;

CREATE TABLE incident (
  id          INTEGER PRIMARY KEY, -- internal id
  instance    INTEGER NOT NULL REFERENCES instance(id), -- its instance
  token       INTEGER REFERENCES token(id), -- token held, or NULL when it is gone
  element     TEXT NOT NULL,      -- element concerned
  kind        TEXT NOT NULL,      -- 'condition', 'job', 'loop', 'assignment'…
  message     TEXT NOT NULL,      -- what happened (French)
  created_at  INTEGER NOT NULL,   -- UTC epoch milliseconds
  resolved_at INTEGER             -- UTC epoch milliseconds; NULL while open
);
CREATE INDEX incident_open ON incident(resolved_at, id);
CREATE INDEX incident_by_token ON incident(token) WHERE token IS NOT NULL;
CREATE INDEX incident_by_instance ON incident(instance, resolved_at);
