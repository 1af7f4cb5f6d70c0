-- Matching and statistics.
-- Matching reads the vocabulary of its two text indexes to search only the
-- words that tell offers or orgs apart (a word found in most documents
-- ranks nothing and costs the most), and keeps each org's profile to the
-- titles of the last 50 requests it accepted: the subject, not the
-- boilerplate of descriptions.
CREATE VIRTUAL TABLE offer_vocab USING fts5vocab(offer_fts, row);
CREATE VIRTUAL TABLE org_profile_vocab USING fts5vocab(org_profile, row);

-- Version of the profiles, bumped on every change, so that each
-- connection knows when its copy of their vocabulary is stale.
CREATE TABLE profile_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1), -- the only row
  version INTEGER NOT NULL    -- increases whenever a profile is rebuilt
);
INSERT INTO profile_version (id, version) VALUES (1, 1);

DROP TRIGGER part_accepted_profile;
CREATE TRIGGER part_accepted_profile AFTER UPDATE OF accepted_at ON part
WHEN new.accepted_at IS NOT NULL AND old.accepted_at IS NULL BEGIN
  UPDATE profile_version SET version = version + 1;
  DELETE FROM org_profile WHERE rowid = new.org;
  INSERT INTO org_profile (rowid, text)
    SELECT new.org, group_concat(t, ' ') FROM (
      SELECT r.title AS t FROM part p JOIN request r ON r.id = p.request
      WHERE p.org = new.org AND p.accepted_at IS NOT NULL ORDER BY p.accepted_at DESC LIMIT 50);
END;
DELETE FROM org_profile;
INSERT INTO org_profile (rowid, text)
  SELECT org, group_concat(t, ' ') FROM (
    SELECT p.org, r.title AS t, row_number() OVER (PARTITION BY p.org ORDER BY p.accepted_at DESC) AS n
    FROM part p JOIN request r ON r.id = p.request WHERE p.accepted_at IS NOT NULL)
  WHERE n <= 50 GROUP BY org;

-- Statistics read the filing time and EPCI of a million requests: this
-- index holds them (with the id they are joined by), so that neither the
-- months nor the durations read the wide request rows.
CREATE INDEX IF NOT EXISTS request_stats ON request(id, filed_at, epci);
