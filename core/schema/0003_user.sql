-- Users, their roles and their API tokens.

CREATE TABLE user (
  id            INTEGER PRIMARY KEY, -- internal id
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE, -- login; unique regardless of case
  name          TEXT NOT NULL,       -- display name
  role          TEXT NOT NULL CHECK (role IN ('requester', 'agent', 'head', 'coordinator', 'admin')), -- what the user may do
  collectivity  TEXT REFERENCES collectivity(code), -- for a requester: the collectivity it acts for; NULL otherwise
  org           INTEGER REFERENCES org(id), -- for an agent or head: their organisation; NULL otherwise
  password_hash TEXT,                -- argon2id hash (libsodium string form); NULL if the user cannot log in with a password
  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)), -- 1 when the account may no longer act
  created_at    INTEGER NOT NULL,    -- creation time, UTC epoch milliseconds
  CHECK ((role = 'requester') = (collectivity IS NOT NULL)),
  CHECK ((role IN ('agent', 'head')) = (org IS NOT NULL))
);
CREATE INDEX user_by_org ON user(org) WHERE org IS NOT NULL;
CREATE INDEX user_by_collectivity ON user(collectivity) WHERE collectivity IS NOT NULL;

CREATE TABLE api_token (
  id         INTEGER PRIMARY KEY, -- internal id
  user       INTEGER NOT NULL REFERENCES user(id), -- the user the token acts as
  digest     BLOB NOT NULL UNIQUE, -- SHA-256 of the token (the token itself is never stored)
  label      TEXT NOT NULL DEFAULT '', -- what the token is for
  created_at INTEGER NOT NULL,     -- creation time, UTC epoch milliseconds
  revoked_at INTEGER               -- revocation time; NULL while valid
);
CREATE INDEX api_token_by_user ON api_token(user);
