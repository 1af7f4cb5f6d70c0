-- Browser sessions of the web pages, and the counters of failed logins that
-- throttle password guessing (per account and per client address).

CREATE TABLE session (
  id         INTEGER PRIMARY KEY, -- internal id (shown in the journal, never the token)
  digest     BLOB NOT NULL UNIQUE CHECK (length(digest) = 32), -- SHA-256 of the session token; the token itself (cookie) is never stored
  user       INTEGER NOT NULL REFERENCES user(id), -- the account logged in
  csrf       TEXT NOT NULL CHECK (length(csrf) = 64), -- random anti-CSRF token of this session (64 hex characters), echoed by every form
  address    TEXT NOT NULL DEFAULT '', -- client address at login ('' when unknown), for the account's history
  created_at INTEGER NOT NULL,     -- login time, UTC epoch milliseconds; the session ends SESSION_MAX_MS after it whatever its use
  last_seen  INTEGER NOT NULL,     -- last use, UTC epoch milliseconds, refreshed at most once a minute; the session ends SESSION_TTL_MS after it
  CHECK (last_seen >= created_at)
);
CREATE INDEX session_by_user ON session(user);
-- The purge deletes by either limit: one index for each side of its OR.
CREATE INDEX session_by_last_seen ON session(last_seen);
CREATE INDEX session_by_created ON session(created_at);

CREATE TABLE login_failure (
  key          TEXT PRIMARY KEY,   -- what is throttled: 'account:<e-mail in lower case>' (known or not) or 'address:<client IP>'
  window_start INTEGER NOT NULL,   -- time of the first failure of the current window, UTC epoch milliseconds; the window lasts 15 minutes
  count        INTEGER NOT NULL CHECK (count > 0), -- failed logins since window_start
  locked_until INTEGER             -- while later than now, every login for this key is refused without checking the password; NULL when not locked
) WITHOUT ROWID;
-- The purge finds stale counters by the start of their window.
CREATE INDEX login_failure_by_window ON login_failure(window_start);
