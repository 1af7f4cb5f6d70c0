/* board — the cross-service board: counts, pages, exports and statistics
 * over the requests an actor sees (see board.h).
 *
 * How the queries are planned. Each selective filter has an index that
 * lists its requests: collectivity (request_by_collectivity*), agent
 * (part_by_agent), EPCI (request_by_epci), org (part_by_org, then the
 * request by its primary key), the org of a head or agent (the same, for
 * the permission rule), theme (request_theme_by_*, which carry the status,
 * so that a theme is counted from the index alone) and lateness
 * (request_late). A query starts from one of them, the driver, and checks
 * the other filters on each row it yields: a column written `+r.x` (so
 * that SQLite keeps to the driver) or an EXISTS over a primary key. With
 * several filters, each one's index is probed (a count stopped at
 * PROBE_MAX entries, or as soon as it cannot beat the best so far) and
 * counts start from the cheapest: its size times a rough cost per row
 * (unit_cost()). Pages and exports come newest first: they start from the
 * collectivity (its index is in id order), else from a set small enough to
 * be sorted (PROBE_SMALL), else from an index in id order (theme, status)
 * or the table itself, read backwards from the cursor until the page is
 * full. Unfiltered counts read no row at all: the status most requests
 * have (found on a sample) is the table's size minus the other statuses,
 * counted from request_by_status.
 *
 * Every text is assembled from the fixed fragments below; the caller's
 * values only ever go to named parameters. */
#include "board.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "perm.h"
#include "sla.h"
#include "theme.h"
#include "user.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries of an index counted at most to compare the sizes of filters
 * (PROBE_MAX), or to learn whether a set is small enough to be sorted for a
 * page (PROBE_SMALL). */
#define PROBE_MAX 200000
#define PROBE_SMALL 10000
#define HOUR_MS 3600000.0

/* Where a query starts: the filters that have an index, in the order that
 * breaks ties. D_TABLE: the table request itself. */
enum drv { D_TABLE = -1, D_COLL, D_AGENT, D_EPCI, D_ORG, D_SCOPE, D_THEME, D_LATE, D_STATUS, D_N };

enum mode { M_COUNT, M_LIST };
enum late { L_ANY, L_YES, L_SOON, L_NO };

/* The filter after checks: empty strings are absent, slugs and e-mails are
 * ids, lateness is a range [lo, hi) of due_at. */
struct plan {
  const struct user *actor;
  const char *status, *theme, *org_slug, *part_state, *agent_email, *coll, *epci;
  int64_t org, agent, cursor;
  int64_t cap; /* LIMIT of a probe */
  int late, limit;
  int64_t now, soon, lo, hi;
  enum drv driver;
};

static const char *const part_states[] = {"proposed", "accepted", "declined", "in_progress", "done", "cancelled"};

static const char *opt(const char *s) { return s && *s ? s : NULL; }

int board_filter_check(const struct board_filter *f) {
  int rc = 0;
  const char *late = opt(f->late), *ps = opt(f->part_state), *theme = opt(f->theme), *cursor = opt(f->cursor);
  if (late && strcmp(late, "yes") != 0 && strcmp(late, "soon") != 0 && strcmp(late, "no") != 0) {
    rc = err_set(ERR_INVALID, "late", "retard : « %s » n'est pas une valeur possible (yes, soon ou no)", late);
    goto done;
  }
  if (ps) {
    size_t i = 0, n = sizeof part_states / sizeof part_states[0];
    while (i < n && strcmp(part_states[i], ps) != 0) i++;
    if (i == n) {
      rc = err_set(ERR_INVALID, "part_state",
                   "état de mise en relation inconnu : « %s » (proposed, accepted, declined, in_progress, done "
                   "ou cancelled)",
                   ps);
      goto done;
    }
    if (!opt(f->org) && !opt(f->agent)) {
      rc = err_set(ERR_INVALID, "part_state",
                   "état de mise en relation : précisez aussi la structure (org) ou l'agent (agent) concerné");
      goto done;
    }
  }
  if (f->limit < 0 || f->limit > BOARD_LIST_MAX) {
    rc = err_set(ERR_INVALID, "limit", "taille de page : entre 1 et %d (0 pour %d)", BOARD_LIST_MAX,
                 BOARD_LIST_DEFAULT);
    goto done;
  }
  if (cursor) {
    size_t n = strlen(cursor), i = 0;
    while (i < n && cursor[i] >= '0' && cursor[i] <= '9') i++;
    if (i != n || n > 18 || strtoll(cursor, NULL, 10) <= 0) {
      rc = err_set(ERR_INVALID, "cursor", "curseur de pagination invalide : « %s » (reprenez celui de la page "
                                          "précédente)",
                   cursor);
      goto done;
    }
  }
  if (theme) {
    size_t n = strlen(theme), i = 0;
    while (i < n && ((theme[i] >= 'a' && theme[i] <= 'z') || (theme[i] >= '0' && theme[i] <= '9') || theme[i] == '-'))
      i++;
    if (i != n || n > 64) {
      rc = err_set(ERR_INVALID, "theme", "thématique : « %s » n'est pas un code de thématique (par exemple "
                                         "voirie ou eau-assainissement)",
                   theme);
      goto done;
    }
  }
done:
  return rc;
}

/* Checks the actor and the filter, resolves the org and the agent, and
 * fills *pl. Returns 0, ERR_FORBIDDEN, ERR_INVALID or a storage error. */
static int plan_init(struct plan *pl, struct db *db, const struct user *actor, const struct board_filter *f,
                     int64_t now) {
  int rc = 0;
  sqlite3_stmt *st = NULL;
  memset(pl, 0, sizeof *pl);
  if (perm_scope_of(actor) == PERM_BY_COLLECTIVITY) {
    rc = err_set(ERR_FORBIDDEN, NULL, "le tableau de bord est réservé aux services");
    goto done;
  }
  if ((rc = board_filter_check(f))) goto done;
  pl->actor = actor;
  pl->status = opt(f->status);
  pl->theme = opt(f->theme);
  pl->org_slug = opt(f->org);
  pl->part_state = opt(f->part_state);
  pl->agent_email = opt(f->agent);
  pl->coll = opt(f->collectivity);
  pl->epci = opt(f->epci);
  pl->cursor = opt(f->cursor) ? strtoll(f->cursor, NULL, 10) : 0;
  pl->limit = f->limit ? f->limit : BOARD_LIST_DEFAULT;
  pl->now = now;
  pl->soon = sla_soon_limit(now);
  pl->driver = D_TABLE;
  const char *late = opt(f->late);
  pl->late = !late ? L_ANY : !strcmp(late, "yes") ? L_YES : !strcmp(late, "soon") ? L_SOON : L_NO;
  pl->lo = pl->late == L_SOON ? now : INT64_MIN;
  pl->hi = pl->late == L_SOON ? pl->soon : now;
  if (pl->theme && (rc = theme_check(db, &pl->theme, 1, "theme"))) goto done;
  if (pl->org_slug) {
    rc = catalog_org_id(&pl->org, db, pl->org_slug, "org");
    if (rc == ERR_NOTFOUND) rc = err_set(ERR_INVALID, "org", "structure inconnue : « %s »", pl->org_slug);
    if (rc) goto done;
  }
  if (pl->agent_email) {
    if ((rc = db_prepare(&st, db, "SELECT id FROM user WHERE email = ?"))) goto done;
    db_bind_text(st, 1, pl->agent_email);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) pl->agent = sqlite3_column_int64(st, 0);
    else if (s == SQLITE_DONE)
      rc = err_set(ERR_INVALID, "agent", "agent inconnu : « %s » (donnez l'adresse électronique d'un compte)",
                   pl->agent_email);
    else rc = db_fail(db, s, "lecture de l'agent");
  }
done:
  db_done(st);
  return rc;
}

/* Binds every named parameter of `st` that the plan knows. */
static void plan_bind(sqlite3_stmt *st, const struct plan *pl) {
  static const char *const texts[] = {":status", ":theme", ":ps", ":coll", ":epci"};
  const char *tv[] = {pl->status, pl->theme, pl->part_state, pl->coll, pl->epci};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    int k = sqlite3_bind_parameter_index(st, texts[i]);
    if (k) db_bind_text(st, k, tv[i]);
  }
  static const char *const ints[] = {":org", ":agent", ":cursor", ":now", ":soon", ":lo", ":hi", ":limit", ":cap"};
  const int64_t iv[] = {pl->org, pl->agent, pl->cursor, pl->now, pl->soon, pl->lo, pl->hi, pl->limit + 1, pl->cap};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    int k = sqlite3_bind_parameter_index(st, ints[i]);
    if (k) sqlite3_bind_int64(st, k, iv[i]);
  }
  perm_bind(st, pl->actor);
}

/* Is filter `d` part of the plan? */
static int has(const struct plan *pl, enum drv d) {
  int yes = 0;
  switch (d) {
  case D_COLL: yes = pl->coll != NULL; break;
  case D_AGENT: yes = pl->agent != 0; break;
  case D_EPCI: yes = pl->epci != NULL; break;
  case D_ORG: yes = pl->org != 0; break;
  case D_SCOPE: yes = perm_scope_of(pl->actor) == PERM_BY_ORG; break;
  case D_THEME: yes = pl->theme != NULL; break;
  case D_LATE: yes = pl->late == L_YES || pl->late == L_SOON; break;
  case D_STATUS: yes = pl->status != NULL; break;
  case D_TABLE:
  case D_N: break;
  }
  return yes;
}

/* Counts at most :cap entries of the index of filter `d`. */
static const char *const probe_sql[D_N] = {
    [D_COLL] = "SELECT count(*) FROM (SELECT 1 FROM request WHERE collectivity = :coll LIMIT :cap)",
    [D_AGENT] = "SELECT count(*) FROM (SELECT 1 FROM part WHERE agent = :agent AND (:ps IS NULL OR state = :ps) LIMIT :cap)",
    [D_EPCI] = "SELECT count(*) FROM (SELECT 1 FROM request WHERE epci = :epci LIMIT :cap)",
    [D_ORG] = "SELECT count(*) FROM (SELECT 1 FROM part WHERE org = :org AND (:ps IS NULL OR state = :ps) LIMIT :cap)",
    [D_SCOPE] = "SELECT count(*) FROM (SELECT 1 FROM part WHERE org = :perm_org LIMIT :cap)",
    [D_THEME] = "SELECT count(*) FROM (SELECT 1 FROM request_theme WHERE theme = :theme LIMIT :cap)",
    [D_LATE] = "SELECT count(*) FROM (SELECT 1 FROM request WHERE due_at >= :lo AND due_at < :hi LIMIT :cap)",
    [D_STATUS] = "SELECT count(*) FROM (SELECT 1 FROM request WHERE status = :status LIMIT :cap)",
};

static int probe(int64_t *n, struct db *db, const struct plan *pl, enum drv d) {
  sqlite3_stmt *st = NULL;
  int rc = db_prepare_static(&st, db, probe_sql[d]);
  if (rc) goto done;
  plan_bind(st, pl);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
  else rc = db_fail(db, s, "tableau de bord");
done:
  db_done(st);
  return rc;
}

/* Rough cost of reading one row of driver `d` with the checks the plan
 * adds, for counts: an entry of a covering index 1, a part row and its
 * request row 20, the request row from an index 15, a probe of a primary
 * key (EXISTS) 10. The permission rule costs the same whatever the driver. */
static int64_t unit_cost(const struct plan *pl, enum drv d) {
  const int by_part = d == D_ORG || d == D_SCOPE || d == D_AGENT;
  int64_t c = by_part ? 20 : 1;
  if (!by_part && ((has(pl, D_COLL) && d != D_COLL) || (has(pl, D_EPCI) && d != D_EPCI) ||
                   (has(pl, D_LATE) && d != D_LATE) || pl->late == L_NO))
    c += 15;
  if (has(pl, D_THEME) && d != D_THEME) c += 10;
  if (has(pl, D_ORG) && d != D_ORG) c += 10;
  if (has(pl, D_AGENT) && d != D_AGENT) c += 10;
  return c;
}

/* The cheapest of the filters `cands` (count `n`) present in the plan to
 * start from; D_TABLE when none is. With several (or `always`), each is
 * probed: at most `cap` entries for the first, then no more than can still
 * beat the best so far (ties keep the earlier). The cost is the size times
 * unit_cost() with `costed`, the size alone otherwise. *size gets the
 * winner's size, `cap` when unknown or larger. */
static int cheapest(enum drv *out, int64_t *size, struct db *db, struct plan *pl, const enum drv *cands, int n,
                    int64_t cap, int always, int costed) {
  int rc = 0, present = 0;
  enum drv best = D_TABLE;
  int64_t best_n = cap, best_cost = INT64_MAX;
  for (int i = 0; i < n; i++) present += has(pl, cands[i]);
  for (int i = 0; i < n && present; i++) {
    if (!has(pl, cands[i])) continue;
    if (present == 1 && !always) {
      best = cands[i];
      break;
    }
    const int64_t unit = costed ? unit_cost(pl, cands[i]) : 1;
    int64_t c = 0;
    pl->cap = best == D_TABLE ? cap : best_cost / unit + 1;
    if (pl->cap > cap) pl->cap = cap;
    if ((rc = probe(&c, db, pl, cands[i]))) goto done;
    if (best == D_TABLE || c * unit < best_cost) best = cands[i], best_n = c, best_cost = c * unit;
  }
  *out = best;
  *size = best_n;
done:
  return rc;
}

/* Chooses the driver for counts (M_COUNT) or for pages and exports. */
static int plan_driver(struct plan *pl, struct db *db, enum mode m) {
  static const enum drv for_counts[] = {D_COLL, D_AGENT, D_EPCI, D_ORG, D_SCOPE, D_THEME, D_LATE};
  static const enum drv unordered[] = {D_AGENT, D_EPCI, D_ORG, D_SCOPE, D_LATE};
  int rc = 0;
  int64_t size = 0;
  if (m == M_COUNT) {
    rc = cheapest(&pl->driver, &size, db, pl, for_counts, (int)(sizeof for_counts / sizeof for_counts[0]), PROBE_MAX,
                  0, 1);
    goto done;
  }
  if (has(pl, D_COLL)) {
    pl->driver = D_COLL;
    goto done;
  }
  /* A small set is sorted; otherwise an index in id order is read
   * backwards until the page is full. */
  if ((rc = cheapest(&pl->driver, &size, db, pl, unordered, (int)(sizeof unordered / sizeof unordered[0]),
                     PROBE_SMALL, 1, 0)))
    goto done;
  if (pl->driver != D_TABLE && size < PROBE_SMALL) goto done;
  pl->driver = has(pl, D_THEME) ? D_THEME : has(pl, D_STATUS) ? D_STATUS : D_TABLE;
done:
  return rc;
}

/* Do the checks (filters other than the driver) read columns of the
 * request row itself? */
static int reads_row(const struct plan *pl, enum mode m) {
  return (has(pl, D_COLL) && pl->driver != D_COLL) || (has(pl, D_EPCI) && pl->driver != D_EPCI) ||
         (has(pl, D_LATE) && pl->driver != D_LATE) || pl->late == L_NO ||
         (m == M_LIST && has(pl, D_STATUS) && pl->driver != D_STATUS);
}

/* Appends " FROM … WHERE …" selecting the requests of the plan as alias r
 * (with the cursor in M_LIST), without ORDER BY. */
static void plan_from(struct buf *b, const struct plan *pl, enum mode m) {
  const int ps = pl->part_state != NULL;
  switch (pl->driver) {
  case D_TABLE: buf_puts(b, " FROM request r WHERE 1"); break;
  case D_COLL: buf_puts(b, " FROM request r WHERE r.collectivity = :coll"); break;
  case D_EPCI: buf_puts(b, " FROM request r WHERE r.epci = :epci"); break;
  case D_LATE: buf_puts(b, " FROM request r WHERE r.due_at >= :lo AND r.due_at < :hi"); break;
  case D_STATUS: buf_puts(b, " FROM request r WHERE r.status = :status"); break;
  case D_THEME:
    /* Counted from the index alone when no check reads the row. */
    if (m == M_COUNT && !reads_row(pl, m))
      buf_puts(b, " FROM (SELECT request AS id, status FROM request_theme WHERE theme = :theme) r WHERE 1");
    else buf_puts(b, " FROM request_theme t CROSS JOIN request r ON r.id = t.request WHERE t.theme = :theme");
    break;
  case D_ORG:
    buf_puts(b, " FROM part d CROSS JOIN request r ON r.id = d.request WHERE d.org = :org");
    if (ps) buf_puts(b, " AND d.state = :ps");
    break;
  case D_SCOPE:
    /* The requests where the actor's org has a part: where the permission
     * rule (checked below as it is) can hold. */
    buf_puts(b, " FROM part d CROSS JOIN request r ON r.id = d.request WHERE d.org = :perm_org");
    break;
  case D_AGENT:
    buf_puts(b, " FROM (SELECT DISTINCT request FROM part WHERE agent = :agent");
    if (ps) buf_puts(b, " AND state = :ps");
    buf_puts(b, ") d CROSS JOIN request r ON r.id = d.request WHERE 1");
    break;
  case D_N: break;
  }
  buf_puts(b, " AND ");
  buf_puts(b, perm_scope_sql(pl->actor));
  if (has(pl, D_COLL) && pl->driver != D_COLL) buf_puts(b, " AND +r.collectivity = :coll");
  if (has(pl, D_EPCI) && pl->driver != D_EPCI) buf_puts(b, " AND +r.epci = :epci");
  if (has(pl, D_LATE) && pl->driver != D_LATE) buf_puts(b, " AND +r.due_at >= :lo AND +r.due_at < :hi");
  if (pl->late == L_NO) buf_puts(b, " AND (+r.due_at IS NULL OR +r.due_at >= :now)");
  if (m == M_LIST && has(pl, D_STATUS) && pl->driver != D_STATUS) buf_puts(b, " AND +r.status = :status");
  if (has(pl, D_THEME) && pl->driver != D_THEME)
    buf_puts(b, " AND EXISTS (SELECT 1 FROM request_theme bt WHERE bt.request = r.id AND bt.theme = :theme)");
  if (has(pl, D_ORG) && pl->driver != D_ORG)
    buf_puts(b, ps ? " AND EXISTS (SELECT 1 FROM part bo WHERE bo.request = r.id AND bo.org = :org AND +bo.state = :ps)"
                   : " AND EXISTS (SELECT 1 FROM part bo WHERE bo.request = r.id AND bo.org = :org)");
  if (has(pl, D_AGENT) && pl->driver != D_AGENT)
    buf_puts(b, ps ? " AND EXISTS (SELECT 1 FROM part ba WHERE ba.request = r.id AND +ba.agent = :agent "
                     "AND +ba.state = :ps)"
                   : " AND EXISTS (SELECT 1 FROM part ba WHERE ba.request = r.id AND +ba.agent = :agent)");
  if (m == M_LIST && pl->cursor)
    buf_puts(b, pl->driver == D_THEME ? " AND t.request < :cursor" : " AND r.id < :cursor");
}

/* The ORDER BY of pages and exports, newest first. */
static const char *plan_order(const struct plan *pl) {
  return pl->driver == D_THEME ? " ORDER BY t.request DESC" : " ORDER BY r.id DESC";
}

/* Prepares the text of `b` (NULL when it could not be built) and binds the
 * plan's parameters. */
static int plan_prepare(sqlite3_stmt **st, struct db *db, const struct buf *b, const struct plan *pl) {
  int rc = 0;
  *st = NULL;
  if (!b->data) {
    rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    goto done;
  }
  if ((rc = db_prepare(st, db, buf_str(b)))) goto done;
  plan_bind(*st, pl);
done:
  return rc;
}

/* The status most requests have, when a sample of SAMPLES requests spread
 * over the ids shows one on at least a third of them; "" otherwise. Reads
 * a few rows by primary key. Only the speed of the counts depends on it:
 * whatever it says, they are exact. */
#define SAMPLES 32
static int major_status(char *out, size_t size, struct db *db) {
  sqlite3_stmt *st = NULL;
  char seen[SAMPLES][128];
  int64_t lo = 0, hi = 0;
  int n = 0, best = 0, s;
  out[0] = 0;
  int rc = db_prepare(&st, db, "SELECT (SELECT min(id) FROM request), (SELECT max(id) FROM request)");
  if (rc) goto done;
  if ((s = sqlite3_step(st)) == SQLITE_ROW) lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
  db_done(st);
  st = NULL;
  if (s != SQLITE_ROW) {
    rc = db_fail(db, s, "comptes du tableau de bord");
    goto done;
  }
  if ((rc = db_prepare(&st, db, "SELECT status FROM request WHERE id >= ? ORDER BY id LIMIT 1"))) goto done;
  for (int i = 0; i < SAMPLES && hi > 0; i++) {
    sqlite3_bind_int64(st, 1, lo + (hi - lo) * i / SAMPLES);
    if ((s = sqlite3_step(st)) == SQLITE_ROW) snprintf(seen[n++], sizeof seen[0], "%.127s", db_col_text(st, 0));
    sqlite3_reset(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE) {
      rc = db_fail(db, s, "comptes du tableau de bord");
      goto done;
    }
  }
  for (int i = 0; i < n; i++) {
    int c = 0;
    for (int j = 0; j < n; j++) c += !strcmp(seen[i], seen[j]);
    if (c > best) best = c, snprintf(out, size, "%.127s", seen[i]);
  }
  if (best * 3 < SAMPLES) out[0] = 0;
done:
  db_done(st);
  return rc;
}

int board_counts(json_t **out, struct db *db, const struct user *actor, const struct board_filter *f, int64_t now) {
  struct plan pl;
  struct buf sql = BUF_INIT;
  sqlite3_stmt *st = NULL;
  json_t *cols = NULL;
  int64_t total = 0;
  char major[128] = "";
  *out = NULL;
  int rc = plan_init(&pl, db, actor, f, now);
  if (!rc) rc = plan_driver(&pl, db, M_COUNT);
  if (rc) goto done;
  /* The whole table (no filter but lateness "no"): from indexes only. */
  const int whole = pl.driver == D_TABLE && perm_scope_of(actor) == PERM_EVERYTHING;
  if (whole && (rc = major_status(major, sizeof major, db))) goto done;
  /* c: the counts, computed once (MATERIALIZED: SQLite would otherwise
   * copy their expressions into the outer query). */
  if (whole) {
    /* a: every request. The status most of them have is counted as the
     * total (a count of index pages, not of rows) minus the others; one
     * statement, so one snapshot. */
    if (major[0])
      buf_puts(&sql, "WITH o AS MATERIALIZED (SELECT r.status AS status, count(*) AS n FROM request r "
                     "WHERE r.status < :major GROUP BY r.status UNION ALL SELECT r.status, count(*) FROM request r "
                     "WHERE r.status > :major GROUP BY r.status), a AS MATERIALIZED (SELECT status, n FROM o "
                     "UNION ALL SELECT :major, (SELECT count(*) FROM request) - (SELECT coalesce(sum(n), 0) FROM o))");
    else
      buf_puts(&sql, "WITH a AS MATERIALIZED (SELECT r.status AS status, count(*) AS n FROM request r "
                     "GROUP BY r.status)");
    /* Not late: all minus the late ones (index request_late). */
    buf_puts(&sql, pl.late == L_NO ? ", c AS MATERIALIZED (SELECT status, sum(n) AS n FROM (SELECT status, n FROM a "
                                     "UNION ALL SELECT r.status, -count(*) FROM request r WHERE r.due_at < :now "
                                     "GROUP BY +r.status) GROUP BY status)"
                                   : ", c AS (SELECT status, n FROM a)");
  } else {
    buf_puts(&sql, "WITH c AS MATERIALIZED (SELECT r.status AS status, count(*) AS n");
    plan_from(&sql, &pl, M_COUNT);
    /* The indexes of the collectivity, the EPCI and the theme give the
     * statuses in order; the `+` keeps SQLite on the index of lateness
     * rather than on request_by_status for the order. */
    buf_puts(&sql, pl.driver == D_LATE ? " GROUP BY +r.status)" : " GROUP BY r.status)");
  }
  /* Columns in the lifecycle order of the known codes, then the other
   * codes of table status, then the labels set by processes. */
  buf_puts(&sql, " SELECT c.status, coalesce(s.label, c.status), c.n FROM c LEFT JOIN status s ON s.code = c.status "
                 "WHERE c.n > 0 ORDER BY s.code IS NULL, CASE c.status WHEN 'filed' THEN 1 WHEN 'qualifying' THEN 2 "
                 "WHEN 'dispatched' THEN 3 WHEN 'in_progress' THEN 4 WHEN 'waiting' THEN 5 WHEN 'closed' THEN 6 "
                 "WHEN 'cancelled' THEN 7 ELSE 8 END, c.status");
  if ((rc = plan_prepare(&st, db, &sql, &pl))) goto done;
  if (major[0]) db_bind_text(st, sqlite3_bind_parameter_index(st, ":major"), major);
  cols = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t n = sqlite3_column_int64(st, 2);
    total += n;
    json_array_append_new(cols, json_pack("{s:s, s:s, s:I}", "status", db_col_text(st, 0), "label",
                                          db_col_text(st, 1), "count", (json_int_t)n));
  }
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "comptes du tableau de bord");
    goto done;
  }
  *out = json_pack("{s:I, s:O}", "total", (json_int_t)total, "columns", cols);
  if (!*out) rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
done:
  db_done(st);
  buf_free(&sql);
  json_decref(cols);
  return rc;
}

/* One item of a page, as JSON text, for the ids chosen by the inner query. */
#define ITEM_SQL                                                                                                   \
  "SELECT k.id, json_object('ref', r.ref, 'title', r.title, 'status', r.status, "                                  \
  "'status_label', coalesce((SELECT label FROM status WHERE code = r.status), r.status), "                          \
  "'collectivity', json_object('code', r.collectivity, 'name', "                                                   \
  "  (SELECT name FROM collectivity WHERE code = r.collectivity)), "                                               \
  "'epci', CASE WHEN r.epci IS NULL THEN NULL "                                                                    \
  "  ELSE json_object('code', r.epci, 'name', (SELECT name FROM collectivity WHERE code = r.epci)) END, "          \
  "'themes', json(r.themes), "                                                                                     \
  "'lead', json((SELECT json_object('slug', o.slug, 'name', o.name) FROM part p CROSS JOIN org o ON o.id = p.org " \
  "  WHERE p.request = r.id AND p.role = 'lead' AND p.state NOT IN ('declined', 'cancelled') LIMIT 1)), "          \
  "'parts', json((SELECT json_group_array(json_object('org', o.slug, 'role', p.role, 'state', p.state, "           \
  "  'agent', a.email)) FROM (SELECT * FROM part WHERE request = r.id ORDER BY role DESC, id) p "                  \
  "  CROSS JOIN org o ON o.id = p.org LEFT JOIN user a ON a.id = p.agent)), "                                      \
  "'filed_at', appui_time(r.filed_at), 'due_at', appui_time(r.due_at), "                                           \
  "'late', CASE WHEN r.due_at < :now THEN 'yes' WHEN r.due_at < :soon THEN 'soon' ELSE 'no' END) "                 \
  "FROM (SELECT r.id AS id"

int board_list(json_t **items, char **next, struct db *db, const struct user *actor, const struct board_filter *f,
               int64_t now) {
  struct plan pl;
  struct buf sql = BUF_INIT;
  sqlite3_stmt *st = NULL;
  json_t *arr = NULL;
  *items = NULL;
  *next = NULL;
  int rc = plan_init(&pl, db, actor, f, now);
  if (!rc) rc = plan_driver(&pl, db, M_LIST);
  if (rc) goto done;
  buf_puts(&sql, ITEM_SQL);
  plan_from(&sql, &pl, M_LIST);
  buf_puts(&sql, plan_order(&pl));
  buf_puts(&sql, " LIMIT :limit) k CROSS JOIN request r ON r.id = k.id ORDER BY k.id DESC");
  if ((rc = plan_prepare(&st, db, &sql, &pl))) goto done;
  arr = json_array();
  int s, n = 0;
  int64_t last = 0;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == pl.limit) {
      char c[24];
      snprintf(c, sizeof c, "%lld", (long long)last);
      if (!(*next = strdup(c))) rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      break;
    }
    json_error_t e;
    const char *text = (const char *)sqlite3_column_text(st, 1);
    json_t *item = text ? json_loadb(text, (size_t)sqlite3_column_bytes(st, 1), 0, &e) : NULL;
    if (!item) {
      rc = err_set(ERR_INTERNAL, NULL, "élément du tableau de bord illisible : %s", text ? e.text : "vide");
      break;
    }
    json_array_append_new(arr, item);
    last = sqlite3_column_int64(st, 0);
    n++;
  }
  if (!rc && s != SQLITE_ROW && s != SQLITE_DONE) rc = db_fail(db, s, "page du tableau de bord");
done:
  db_done(st);
  buf_free(&sql);
  if (rc) {
    json_decref(arr);
    free(*next);
    *next = NULL;
  } else {
    *items = arr;
  }
  return rc;
}

static const struct export_column export_cols[] = {
    {"Référence", EXPORT_TEXT},     {"Déposée le", EXPORT_TIME},  {"Collectivité", EXPORT_TEXT},
    {"Code", EXPORT_TEXT},          {"EPCI", EXPORT_TEXT},        {"Titre", EXPORT_TEXT},
    {"Thématiques", EXPORT_TEXT},   {"Statut", EXPORT_TEXT},      {"Structure pilote", EXPORT_TEXT},
    {"Structures", EXPORT_TEXT},    {"Échéance", EXPORT_TIME},    {"En retard", EXPORT_TEXT},
};

#define EXPORT_SQL                                                                                                \
  "SELECT r.ref, r.filed_at, (SELECT name FROM collectivity WHERE code = r.collectivity), r.collectivity, "       \
  "(SELECT name FROM collectivity WHERE code = r.epci), r.title, "                                                \
  "(SELECT group_concat(label, ', ') FROM (SELECT th.label FROM request_theme x CROSS JOIN theme th "              \
  "  ON th.code = x.theme WHERE x.request = r.id ORDER BY th.position)), "                                        \
  "coalesce((SELECT label FROM status WHERE code = r.status), r.status), "                                        \
  "(SELECT o.name FROM part p CROSS JOIN org o ON o.id = p.org WHERE p.request = r.id AND p.role = 'lead' "       \
  "  AND p.state NOT IN ('declined', 'cancelled') LIMIT 1), "                                                     \
  "(SELECT group_concat(name, ', ') FROM (SELECT o.name FROM part p CROSS JOIN org o ON o.id = p.org "            \
  "  WHERE p.request = r.id ORDER BY p.role DESC, p.id)), "                                                       \
  "r.due_at, CASE WHEN r.due_at < :now THEN 'oui' WHEN r.due_at < :soon THEN 'bientôt' ELSE 'non' END"

int board_export(int64_t *rows, const char *path, struct buf *out, enum export_format fmt, struct db *db,
                 const struct user *actor, const struct board_filter *f, int64_t now, const struct progress *p) {
  struct plan pl;
  struct buf sql = BUF_INIT;
  sqlite3_stmt *st = NULL;
  int rc = plan_init(&pl, db, actor, f, now);
  if (rc) goto done;
  pl.cursor = 0; /* the whole view */
  if ((rc = plan_driver(&pl, db, M_LIST))) goto done;
  buf_puts(&sql, EXPORT_SQL);
  plan_from(&sql, &pl, M_LIST);
  buf_puts(&sql, plan_order(&pl));
  if ((rc = plan_prepare(&st, db, &sql, &pl))) goto done;
  const int n = (int)(sizeof export_cols / sizeof export_cols[0]);
  if (path) rc = export_write(rows, path, fmt, "Tableau de bord", export_cols, n, st, p);
  else rc = export_to_buf(rows, out, fmt, "Tableau de bord", export_cols, n, st);
done:
  db_done(st);
  buf_free(&sql);
  return rc;
}

/* ---- statistics ---- */

/* `v` rounded to the nearest 1/`scale` (10: one decimal, 1000: three). */
static double rounded(double v, double scale) {
  double x = v * scale;
  int64_t r = x >= 0 ? (int64_t)(x + 0.5) : -(int64_t)(-x + 0.5);
  return (double)r / scale;
}

/* Quantile q of the sorted values v[0..n-1] (n ≥ 1), by linear
 * interpolation at position q × (n − 1). */
static double quantile(const int64_t *v, size_t n, double q) {
  double h = q * (double)(n - 1);
  size_t i = (size_t)h;
  return i + 1 >= n ? (double)v[n - 1] : (double)v[i] + (h - (double)i) * (double)(v[i + 1] - v[i]);
}

/* {count, median, p90} of the sorted durations v[0..n-1] (ms), in hours
 * with one decimal; new reference. */
static json_t *duration_json(const int64_t *v, size_t n) {
  return n ? json_pack("{s:I, s:f, s:f}", "count", (json_int_t)n, "median",
                       rounded(quantile(v, n, 0.5) / HOUR_MS, 10), "p90", rounded(quantile(v, n, 0.9) / HOUR_MS, 10))
           : json_pack("{s:i, s:n, s:n}", "count", 0, "median", "p90");
}

/* {counted, on_time, share}; new reference. */
static json_t *on_time_json(int64_t counted, int64_t on_time) {
  json_t *o = json_pack("{s:I, s:I}", "counted", (json_int_t)counted, "on_time", (json_int_t)on_time);
  json_object_set_new(o, "share", counted ? json_real(rounded((double)on_time / (double)counted, 1000)) : json_null());
  return o;
}

/* Prepares `head` + the stats conditions of the plan + `tail`. */
static int stats_prepare(sqlite3_stmt **st, struct db *db, const struct plan *pl, const char *head, const char *tail) {
  struct buf b = BUF_INIT;
  buf_puts(&b, head);
  buf_puts(&b, perm_scope_sql(pl->actor));
  if (pl->coll) buf_puts(&b, " AND r.collectivity = :coll");
  if (pl->epci) buf_puts(&b, " AND r.epci = :epci");
  if (pl->theme) buf_puts(&b, " AND EXISTS (SELECT 1 FROM request_theme bt WHERE bt.request = r.id AND bt.theme = :theme)");
  if (pl->org) buf_puts(&b, " AND EXISTS (SELECT 1 FROM part bo WHERE bo.request = r.id AND bo.org = :org)");
  buf_puts(&b, tail);
  int rc = plan_prepare(st, db, &b, pl);
  buf_free(&b);
  return rc;
}

/* Runs a query of (key, duration ms) sorted by key then duration and sets
 * `field` of the row of each key in `map` to {count, median, p90}. */
static int stats_durations(json_t *map, const char *field, struct db *db, const struct plan *pl, const char *head,
                           const char *tail) {
  sqlite3_stmt *st = NULL;
  int64_t *v = NULL;
  size_t n = 0, cap = 0;
  char *key = NULL;
  int rc = stats_prepare(&st, db, pl, head, tail), s = SQLITE_DONE;
  if (rc) goto done;
  for (;;) {
    s = sqlite3_step(st);
    const char *k = s == SQLITE_ROW ? db_col_text(st, 0) : NULL;
    if (key && (!k || strcmp(k, key) != 0)) { /* a group ends */
      json_t *row = json_object_get(map, key);
      if (row) json_object_set_new(row, field, duration_json(v, n));
      free(key);
      key = NULL;
      n = 0;
    }
    if (s != SQLITE_ROW) break;
    if (!k) continue;
    if (!key && !(key = strdup(k))) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      goto done;
    }
    if (n == cap) {
      size_t c = cap ? cap * 2 : 256;
      int64_t *nv = realloc(v, c * sizeof *v);
      if (!nv) {
        rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
        goto done;
      }
      v = nv, cap = c;
    }
    v[n++] = sqlite3_column_int64(st, 1);
  }
  if (s != SQLITE_DONE) rc = db_fail(db, s, "statistiques");
done:
  db_done(st);
  free(v);
  free(key);
  return rc;
}

/* Runs a query of (key, take counted, take on time, resolve counted,
 * resolve on time) and sets take_on_time and resolve_on_time in `map`. */
static int stats_on_time(json_t *map, struct db *db, const struct plan *pl, const char *head, const char *tail) {
  sqlite3_stmt *st = NULL;
  int rc = stats_prepare(&st, db, pl, head, tail), s;
  if (rc) goto done;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *row = db_col_text(st, 0) ? json_object_get(map, db_col_text(st, 0)) : NULL;
    if (!row) continue;
    json_object_set_new(row, "take_on_time", on_time_json(sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)));
    json_object_set_new(row, "resolve_on_time",
                        on_time_json(sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)));
  }
  if (s != SQLITE_DONE) rc = db_fail(db, s, "statistiques");
done:
  db_done(st);
  return rc;
}

/* Runs a query of (key, name, count) into rows {key_name: key, name_name:
 * name, count_name: count} with empty durations and shares, appended to
 * `arr` and indexed by key in `map`. */
static int stats_rows(json_t *arr, json_t *map, const char *key_name, const char *name_name, const char *count_name,
                      struct db *db, const struct plan *pl, const char *head, const char *tail) {
  sqlite3_stmt *st = NULL;
  int rc = stats_prepare(&st, db, pl, head, tail), s;
  if (rc) goto done;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = db_col_text(st, 0);
    if (!key) continue;
    json_t *row = json_pack("{s:s, s:s?, s:I, s:o, s:o, s:o, s:o}", key_name, key, name_name, db_col_text(st, 1),
                            count_name, (json_int_t)sqlite3_column_int64(st, 2), "take_charge", duration_json(NULL, 0),
                            "resolve", duration_json(NULL, 0), "take_on_time", on_time_json(0, 0), "resolve_on_time",
                            on_time_json(0, 0));
    if (!row) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      goto done;
    }
    json_object_set(map, key, row);
    json_array_append_new(arr, row);
  }
  if (s != SQLITE_DONE) rc = db_fail(db, s, "statistiques");
done:
  db_done(st);
  return rc;
}

/* Shares kept on time: counted among the targets met or passed at :now. */
#define ON_TIME_COLUMNS                                                                                            \
  "count(*) FILTER (WHERE s.take_due IS NOT NULL AND (s.taken_at IS NOT NULL OR s.take_due < :now)), "             \
  "count(*) FILTER (WHERE s.taken_at <= s.take_due), "                                                             \
  "count(*) FILTER (WHERE s.resolve_due IS NOT NULL AND (s.resolved_at IS NOT NULL OR s.resolve_due < :now)), "    \
  "count(*) FILTER (WHERE s.resolved_at <= s.resolve_due) "

#define ORG_FROM "FROM request r JOIN part p ON p.request = r.id JOIN org o ON o.id = p.org "

int board_stats(json_t **out, struct db *db, const struct user *actor, const struct board_filter *f, int64_t now) {
  struct plan pl;
  sqlite3_stmt *st = NULL;
  json_t *months = NULL, *themes = NULL, *orgs = NULL, *epcis = NULL, *org_map = NULL, *epci_map = NULL;
  int64_t total = 0;
  int reading = 0, s;
  *out = NULL;
  int rc = plan_init(&pl, db, actor, f, now);
  if (rc) goto done;
  /* One snapshot for every query below, unless the caller holds one. */
  if (sqlite3_get_autocommit(db_sqlite(db))) {
    if ((rc = db_read_begin(db))) goto done;
    reading = 1;
  }
  months = json_array(), themes = json_array(), orgs = json_array(), epcis = json_array();
  org_map = json_object(), epci_map = json_object();
  if ((rc = stats_prepare(&st, db, &pl, "SELECT substr(appui_time(r.filed_at), 1, 7) AS m, count(*) FROM request r WHERE ",
                          " GROUP BY m ORDER BY m")))
    goto done;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    total += sqlite3_column_int64(st, 1);
    json_array_append_new(months, json_pack("{s:s, s:I}", "month", db_col_text(st, 0), "count",
                                            (json_int_t)sqlite3_column_int64(st, 1)));
  }
  db_done(st);
  st = NULL;
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "statistiques par mois");
    goto done;
  }
  if ((rc = stats_prepare(&st, db, &pl,
                          "SELECT t.theme, th.label, count(*) FROM request r JOIN request_theme t ON t.request = r.id "
                          "JOIN theme th ON th.code = t.theme WHERE ",
                          " GROUP BY t.theme ORDER BY min(th.position)")))
    goto done;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(themes, json_pack("{s:s, s:s, s:I}", "theme", db_col_text(st, 0), "label",
                                            db_col_text(st, 1), "count", (json_int_t)sqlite3_column_int64(st, 2)));
  db_done(st);
  st = NULL;
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "statistiques par thématique");
    goto done;
  }
  /* Per org: its parts on the requests of the view. */
  if ((rc = stats_rows(orgs, org_map, "slug", "name", "parts", db, &pl, "SELECT o.slug, o.name, count(*) " ORG_FROM
                       "WHERE ", " GROUP BY o.id ORDER BY o.slug")) ||
      (rc = stats_durations(org_map, "take_charge", db, &pl,
                            "SELECT o.slug, p.accepted_at - r.filed_at AS d " ORG_FROM
                            "WHERE p.accepted_at IS NOT NULL AND ",
                            " ORDER BY o.slug, d")) ||
      (rc = stats_durations(org_map, "resolve", db, &pl,
                            "SELECT o.slug, p.ended_at - r.filed_at AS d " ORG_FROM
                            "WHERE p.state = 'done' AND p.ended_at IS NOT NULL AND ",
                            " ORDER BY o.slug, d")) ||
      (rc = stats_on_time(org_map, db, &pl,
                          "SELECT o.slug, " ON_TIME_COLUMNS ORG_FROM "JOIN sla s ON s.request = r.id "
                          "WHERE p.state NOT IN ('declined', 'cancelled') AND ",
                          " GROUP BY o.slug")))
    goto done;
  /* Per EPCI: the requests of its territory and their deadlines. */
  if ((rc = stats_rows(epcis, epci_map, "code", "name", "count", db, &pl,
                       "SELECT r.epci, (SELECT name FROM collectivity WHERE code = r.epci), count(*) FROM request r "
                       "WHERE r.epci IS NOT NULL AND ",
                       " GROUP BY r.epci ORDER BY r.epci")) ||
      (rc = stats_durations(epci_map, "take_charge", db, &pl,
                            "SELECT r.epci, s.taken_at - r.filed_at AS d FROM request r JOIN sla s ON s.request = r.id "
                            "WHERE r.epci IS NOT NULL AND s.taken_at IS NOT NULL AND ",
                            " ORDER BY r.epci, d")) ||
      (rc = stats_durations(epci_map, "resolve", db, &pl,
                            "SELECT r.epci, s.resolved_at - r.filed_at AS d FROM request r "
                            "JOIN sla s ON s.request = r.id WHERE r.epci IS NOT NULL AND s.resolved_at IS NOT NULL AND ",
                            " ORDER BY r.epci, d")) ||
      (rc = stats_on_time(epci_map, db, &pl,
                          "SELECT r.epci, " ON_TIME_COLUMNS "FROM request r JOIN sla s ON s.request = r.id "
                          "WHERE r.epci IS NOT NULL AND ",
                          " GROUP BY r.epci")))
    goto done;
  *out = json_pack("{s:s, s:I, s:O, s:O, s:O, s:O}", "unit", "hours", "total", (json_int_t)total, "months", months,
                   "themes", themes, "orgs", orgs, "epcis", epcis);
  if (!*out) rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
done:
  db_done(st);
  if (reading) db_read_end(db);
  json_decref(months);
  json_decref(themes);
  json_decref(orgs);
  json_decref(epcis);
  json_decref(org_map);
  json_decref(epci_map);
  return rc;
}
