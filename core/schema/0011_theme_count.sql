-- Requests per theme and status, kept by triggers from request_theme (the
-- copy of each request's themes and status): the board filtered on a
-- theme alone, for an account that sees every request, reads it instead of
-- counting the theme's requests.

CREATE TABLE request_theme_count (
  theme  TEXT NOT NULL, -- a theme code (request_theme.theme)
  status TEXT NOT NULL, -- a value of request.status
  n      INTEGER NOT NULL CHECK (n >= 0), -- requests of that theme with that status
  PRIMARY KEY (theme, status)
) WITHOUT ROWID;
INSERT INTO request_theme_count (theme, status, n) SELECT theme, status, count(*) FROM request_theme GROUP BY theme, status;
CREATE TRIGGER request_theme_count_insert AFTER INSERT ON request_theme BEGIN
  INSERT INTO request_theme_count (theme, status, n) VALUES (new.theme, new.status, 1)
    ON CONFLICT (theme, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER request_theme_count_delete AFTER DELETE ON request_theme BEGIN
  UPDATE request_theme_count SET n = n - 1 WHERE theme = old.theme AND status = old.status;
END;
CREATE TRIGGER request_theme_count_update AFTER UPDATE OF theme, status ON request_theme
WHEN new.status IS NOT old.status OR new.theme IS NOT old.theme BEGIN
  UPDATE request_theme_count SET n = n - 1 WHERE theme = old.theme AND status = old.status;
  INSERT INTO request_theme_count (theme, status, n) VALUES (new.theme, new.status, 1)
    ON CONFLICT (theme, status) DO UPDATE SET n = n + 1;
END;
