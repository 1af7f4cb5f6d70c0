/* board — the cross-service board: counts, pages, exports and statistics
 * over the requests an actor sees (see board.h).
 *
 * How the queries are planned. Each selective filter has an index that
 * lists its requests: collectivity (request_by_collectivity*), agent
 * (part_by_agent, part_board_by_agent), EPCI (request_by_epci), org
 * (part_by_org, part_board_by_org), the org of a head or agent (the same:
 * its parts are where the permission rule holds), theme
 * (request_theme_by_*) and lateness (request_late*). A query starts from
 * one of them, the driver, and checks the other filters on each row it
 * yields: a column written `+r.x` (so that SQLite keeps to the driver), an
 * EXISTS over a primary key or index, or, for counts, membership in a
 * list of requests built once (IN) when that is cheaper.
 *
 * Counts (migration 0008) read no request row unless a check needs one
 * (collectivity, EPCI, a deadline outside the driver's index): the status
 * is copied where each driver's index holds it (part.request_status,
 * request_theme.status), and so is the deadline (request_theme.due_at).
 * Without a filter they read request_status_count, kept by triggers (rows
 * of 0 are skipped). Deadlines are counted one status at a time, as
 * ranges of (status, due_at) in request_late_by_status or, with a theme,
 * (theme, status, due_at) in request_theme_late; "not late" is all minus
 * late. With several filters, each one's index is probed (a count stopped
 * at PROBE_MAX entries, or at PROBE_RATIO times the smallest) and counts
 * start from the cheapest (count_driver()).
 *
 * Pages and exports come newest first: they start from the collectivity
 * (its index is in id order), else from a set small enough to be sorted
 * (PROBE_SMALL), else from an index in id order (theme, status) or the
 * table itself, read backwards from the cursor until the page is full.
 *
 * Starting from the parts of the actor's own org (or from the org filter
 * when it is that org) already applies the permission rule of perm.h; any
 * other start embeds perm_scope_sql() as it is.
 *
 * Every text is assembled from the fixed fragments below; the caller's
 * values only ever go to named parameters. */
#include "board.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "perm.h"
#include "sla.h"
#include "territory.h"
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
enum drv { D_TABLE = -1, D_COLL, D_AGENT, D_EPCI, D_ORG, D_SCOPE, D_THEME, D_LATE, D_THEME_LATE, D_STATUS, D_N };

enum mode { M_COUNT, M_LIST };
enum late { L_ANY, L_YES, L_SOON, L_NO };

/* The filter after checks: empty strings are absent, slugs and e-mails are
 * ids, lateness is a range [lo, hi) of due_at. */
struct plan {
  const struct user *actor;
  const char *status, *theme, *org_slug, *part_state, *agent_email, *coll, *epci;
  int64_t org, agent, cursor;
  int64_t cap; /* LIMIT of a probe */
  int in[D_N]; /* counts: filter checked by a list built once rather than a probe per request */
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
  case D_THEME_LATE: yes = pl->theme != NULL && (pl->late == L_YES || pl->late == L_SOON); break;
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
    [D_THEME_LATE] = "SELECT count(*) FROM (SELECT 1 FROM request_status_count sc CROSS JOIN request_theme t "
                     "ON t.theme = :theme AND t.status = sc.status AND t.due_at >= :lo AND t.due_at < :hi "
                     "WHERE sc.n > 0 LIMIT :cap)",
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

/* Is filter `x` checked request by request when the query starts from
 * `d`? Counts check a theme and a lateness together, on request_theme
 * (D_THEME_LATE: its deadline is a copy of the request's); pages and
 * exports check them apart. */
static int checked(const struct plan *pl, enum drv d, enum drv x, enum mode m) {
  const int together = m == M_COUNT && has(pl, D_THEME_LATE);
  if (x == D_THEME_LATE) return together && d != D_THEME_LATE;
  if (together && (x == D_THEME || x == D_LATE)) return 0;
  return has(pl, x) && d != x;
}

/* Do the checks of a query starting from `d` read columns of the request
 * row itself (collectivity, EPCI, deadline, and the status of a page)? */
static int reads_row(const struct plan *pl, enum drv d, enum mode m) {
  return checked(pl, d, D_COLL, m) || checked(pl, d, D_EPCI, m) || checked(pl, d, D_LATE, m) || pl->late == L_NO ||
         (m == M_LIST && checked(pl, d, D_STATUS, m));
}

/* Does starting from `d` already restrict to the requests the actor may
 * see? For a head or an agent, starting from the parts of its own org
 * does (the permission rule is that such a part exists). */
static int perm_implied(const struct plan *pl, enum drv d) {
  return perm_scope_of(pl->actor) != PERM_BY_ORG || d == D_SCOPE || (d == D_ORG && pl->org == pl->actor->org);
}

/* Costs of counting, per request, in entries of a covering index read in
 * order (about 0.055 µs; measured on a million requests with the default
 * page cache of 8 MiB): the request row 30; a probe per request of the
 * permission rule or of an org's part (EXISTS on part(request, org)) 10,
 * of a theme (the primary key of request_theme) 18, of a part's state or
 * agent (the part row) 20; a probe of a list built once in memory 2, and
 * to build it, per entry: 3 for a theme's (read in request order), 5 for
 * an org's or agent's parts (in runs of request order), 10 for a theme's
 * late requests (in deadline order). */
#define COST_ROW 30
#define COST_PERM 10
#define COST_IN 2
/* Sizes are probed up to this many times the smallest one: a larger set
 * is neither a good start nor worth building as a list. */
#define PROBE_RATIO 16

/* Cost per request of starting from `d`, the lists of other filters
 * aside: its index entry (2 for an agent, whose requests are counted
 * once), the request row when a check reads it, the permission rule when
 * `d` does not ensure it. */
static int64_t unit_cost(const struct plan *pl, enum drv d) {
  int64_t c = d == D_AGENT ? 2 : 1;
  if (reads_row(pl, d, M_COUNT)) c += COST_ROW;
  if (!perm_implied(pl, d)) c += COST_PERM;
  return c;
}

/* The filters checked on each request by whether it is in a list of
 * requests: a theme (with a lateness or not), an org, an agent. */
static const enum drv listed[] = {D_THEME, D_THEME_LATE, D_ORG, D_AGENT};

/* Cost of checking filter `x` on `n` requests, its list having `size`
 * entries (`exact`, else at least that many): the cheaper of a probe per
 * request and a list built once, which *in tells. */
static int64_t check_cost(int *in, const struct plan *pl, enum drv x, int64_t n, int64_t size, int exact) {
  const int64_t each = x == D_THEME || x == D_THEME_LATE ? 18 : x == D_ORG && !pl->part_state ? COST_PERM : 20;
  const int64_t probe = n * each, list = n * COST_IN + size * (x == D_THEME ? 3 : x == D_THEME_LATE ? 10 : 5);
  *in = exact && list < probe;
  return list < probe ? list : probe;
}

/* Chooses where counts start. With a single filter that has an index, it;
 * with several, each one's index is probed (at most PROBE_MAX entries, and
 * no more than PROBE_RATIO times the smallest so far), and the cheapest
 * start wins: its size times unit_cost(), plus for each other filter with
 * a list the cheaper of a probe per request and a list built once. A set
 * whose size is not known (larger than its probe) loses to any known one;
 * ties keep the earlier. The choice between probe and list is kept in
 * pl->in for plan_checks(). */
static int count_driver(struct plan *pl, struct db *db) {
  static const enum drv plain[] = {D_COLL, D_AGENT, D_EPCI, D_ORG, D_SCOPE, D_THEME, D_LATE};
  /* A theme with a lateness starts from request_theme_late, which holds
   * both (never more entries than either alone). */
  static const enum drv late_theme[] = {D_COLL, D_AGENT, D_EPCI, D_ORG, D_SCOPE, D_THEME_LATE};
  const int lt = has(pl, D_THEME_LATE);
  const enum drv *cands = lt ? late_theme : plain;
  const int n = lt ? (int)(sizeof late_theme / sizeof late_theme[0]) : (int)(sizeof plain / sizeof plain[0]);
  int64_t size[D_N] = {0}, smallest = PROBE_MAX;
  int exact[D_N] = {0}, use[D_N] = {0}, present = 0, known = 0, rc = 0;
  memset(pl->in, 0, sizeof pl->in);
  pl->driver = D_TABLE;
  for (int i = 0; i < n; i++) {
    /* The parts of the actor's own org: the org filter holds the scope. */
    use[cands[i]] = has(pl, cands[i]) && !(cands[i] == D_SCOPE && pl->org && perm_implied(pl, D_ORG));
    if (use[cands[i]]) present++, pl->driver = cands[i];
  }
  if (present < 2) goto done;
  for (int i = 0; i < n; i++) {
    const enum drv d = cands[i];
    if (!use[d]) continue;
    pl->cap = smallest < PROBE_MAX / PROBE_RATIO ? smallest * PROBE_RATIO + 1 : PROBE_MAX;
    if ((rc = probe(&size[d], db, pl, d))) goto done;
    exact[d] = size[d] < pl->cap;
    known |= exact[d];
    if (exact[d] && size[d] < smallest) smallest = size[d];
  }
  int64_t best = INT64_MAX;
  for (int i = 0; i < n; i++) {
    const enum drv d = cands[i];
    if (!use[d] || (known && !exact[d])) continue;
    int in;
    int64_t cost = size[d] * unit_cost(pl, d);
    for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++)
      if (checked(pl, d, listed[k], M_COUNT))
        cost += check_cost(&in, pl, listed[k], size[d], size[listed[k]], exact[listed[k]]);
    if (cost < best) best = cost, pl->driver = d;
  }
  for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++)
    if (checked(pl, pl->driver, listed[k], M_COUNT))
      check_cost(&pl->in[listed[k]], pl, listed[k], size[pl->driver], size[listed[k]], exact[listed[k]]);
done:
  return rc;
}

/* The filters `cands` (count `n`) present in the plan with the smallest
 * index, to start a page from; D_TABLE when none is. Each is probed: at
 * most `cap` entries for the first, then no more than the smallest so far
 * (ties keep the earlier). *size gets the winner's size, `cap` when
 * unknown or larger. */
static int cheapest(enum drv *out, int64_t *size, struct db *db, struct plan *pl, const enum drv *cands, int n,
                    int64_t cap) {
  int rc = 0;
  enum drv best = D_TABLE;
  int64_t best_n = cap;
  for (int i = 0; i < n; i++) {
    if (!has(pl, cands[i])) continue;
    int64_t c = 0;
    pl->cap = best == D_TABLE ? cap : best_n + 1;
    if (pl->cap > cap) pl->cap = cap;
    if ((rc = probe(&c, db, pl, cands[i]))) goto done;
    if (best == D_TABLE || c < best_n) best = cands[i], best_n = c;
  }
  *out = best;
  *size = best_n;
done:
  return rc;
}

/* Chooses the driver for counts (M_COUNT) or for pages and exports. */
static int plan_driver(struct plan *pl, struct db *db, enum mode m) {
  static const enum drv unordered[] = {D_AGENT, D_EPCI, D_ORG, D_SCOPE, D_LATE};
  int rc = 0;
  int64_t size = 0;
  if (m == M_COUNT) {
    rc = count_driver(pl, db);
    goto done;
  }
  if (has(pl, D_COLL)) {
    pl->driver = D_COLL;
    goto done;
  }
  /* A small set is sorted; otherwise an index in id order is read
   * backwards until the page is full. */
  if ((rc = cheapest(&pl->driver, &size, db, pl, unordered, (int)(sizeof unordered / sizeof unordered[0]),
                     PROBE_SMALL)))
    goto done;
  if (pl->driver != D_TABLE && size < PROBE_SMALL) goto done;
  pl->driver = has(pl, D_THEME) ? D_THEME : has(pl, D_STATUS) ? D_STATUS : D_TABLE;
done:
  return rc;
}

/* Appends the conditions of the plan that its driver does not already
 * ensure, each starting with " AND ", over the request aliased r (r.id
 * only, unless reads_row()): the permission rule, then the filters. A
 * filter with a list of requests is checked by a probe of its index per
 * request (EXISTS), or, for counts where count_driver() found it cheaper,
 * by a list built once (IN; `+` keeps SQLite from starting there). */
static void plan_checks(struct buf *b, const struct plan *pl, enum mode m) {
  const enum drv d = pl->driver;
  const int ps = pl->part_state != NULL;
#define LISTED(x) (m == M_COUNT && pl->in[x])
  if (!perm_implied(pl, d)) {
    buf_puts(b, " AND ");
    buf_puts(b, perm_scope_sql(pl->actor));
  }
  if (checked(pl, d, D_COLL, m)) buf_puts(b, " AND +r.collectivity = :coll");
  if (checked(pl, d, D_EPCI, m)) buf_puts(b, " AND +r.epci = :epci");
  if (checked(pl, d, D_LATE, m)) buf_puts(b, " AND +r.due_at >= :lo AND +r.due_at < :hi");
  if (pl->late == L_NO) buf_puts(b, " AND (+r.due_at IS NULL OR +r.due_at >= :now)");
  if (m == M_LIST && checked(pl, d, D_STATUS, m)) buf_puts(b, " AND +r.status = :status");
  if (checked(pl, d, D_THEME, m))
    buf_puts(b, LISTED(D_THEME) ? " AND +r.id IN (SELECT request FROM request_theme WHERE theme = :theme)"
                                : " AND EXISTS (SELECT 1 FROM request_theme bt WHERE bt.request = r.id AND bt.theme = :theme)");
  if (checked(pl, d, D_THEME_LATE, m))
    buf_puts(b, LISTED(D_THEME_LATE) ? " AND +r.id IN (SELECT request FROM request_theme WHERE theme = :theme "
                                       "AND due_at >= :lo AND due_at < :hi)"
                                     : " AND EXISTS (SELECT 1 FROM request_theme bt WHERE bt.request = r.id "
                                       "AND bt.theme = :theme AND bt.due_at >= :lo AND bt.due_at < :hi)");
  if (checked(pl, d, D_ORG, m)) {
    if (LISTED(D_ORG))
      buf_puts(b, ps ? " AND +r.id IN (SELECT request FROM part WHERE org = :org AND state = :ps)"
                     : " AND +r.id IN (SELECT request FROM part WHERE org = :org)");
    else
      buf_puts(b, ps ? " AND EXISTS (SELECT 1 FROM part bo WHERE bo.request = r.id AND bo.org = :org AND +bo.state = :ps)"
                     : " AND EXISTS (SELECT 1 FROM part bo WHERE bo.request = r.id AND bo.org = :org)");
  }
  if (checked(pl, d, D_AGENT, m)) {
    if (LISTED(D_AGENT))
      buf_puts(b, ps ? " AND +r.id IN (SELECT request FROM part WHERE agent = :agent AND state = :ps)"
                     : " AND +r.id IN (SELECT request FROM part WHERE agent = :agent)");
    else
      buf_puts(b, ps ? " AND EXISTS (SELECT 1 FROM part ba WHERE ba.request = r.id AND +ba.agent = :agent "
                       "AND +ba.state = :ps)"
                     : " AND EXISTS (SELECT 1 FROM part ba WHERE ba.request = r.id AND +ba.agent = :agent)");
  }
#undef LISTED
}

/* Appends " FROM … WHERE …" selecting the requests of the plan as alias r
 * for a page or an export (with the cursor), without ORDER BY. */
static void plan_from(struct buf *b, const struct plan *pl) {
  const int ps = pl->part_state != NULL;
  switch (pl->driver) {
  case D_TABLE: buf_puts(b, " FROM request r WHERE 1"); break;
  case D_COLL: buf_puts(b, " FROM request r WHERE r.collectivity = :coll"); break;
  case D_EPCI: buf_puts(b, " FROM request r WHERE r.epci = :epci"); break;
  case D_LATE: buf_puts(b, " FROM request r WHERE r.due_at >= :lo AND r.due_at < :hi"); break;
  case D_STATUS: buf_puts(b, " FROM request r WHERE r.status = :status"); break;
  case D_THEME: buf_puts(b, " FROM request_theme t CROSS JOIN request r ON r.id = t.request WHERE t.theme = :theme"); break;
  case D_ORG:
    buf_puts(b, " FROM part d CROSS JOIN request r ON r.id = d.request WHERE d.org = :org");
    if (ps) buf_puts(b, " AND d.state = :ps");
    break;
  case D_SCOPE:
    /* The requests where the actor's org has a part: the permission
     * rule itself. */
    buf_puts(b, " FROM part d CROSS JOIN request r ON r.id = d.request WHERE d.org = :perm_org");
    break;
  case D_AGENT:
    buf_puts(b, " FROM (SELECT DISTINCT request FROM part WHERE agent = :agent");
    if (ps) buf_puts(b, " AND state = :ps");
    buf_puts(b, ") d CROSS JOIN request r ON r.id = d.request WHERE 1");
    break;
  case D_THEME_LATE: /* counts only */
  case D_N: break;
  }
  plan_checks(b, pl, M_LIST);
  if (pl->cursor) buf_puts(b, pl->driver == D_THEME ? " AND t.request < :cursor" : " AND r.id < :cursor");
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

/* 1 when the plan checks anything beyond its driver in mode `m`. */
static int has_checks(const struct plan *pl, enum mode m) {
  struct buf b = BUF_INIT;
  plan_checks(&b, pl, m);
  int any = b.len > 0;
  buf_free(&b);
  return any;
}

/* Appends a SELECT of rows (status, n) counting per status the requests
 * of the plan (lateness any, yes or soon; a status may come on several
 * rows, to be summed). Whatever the driver, the request row is read only
 * when a check needs it (collectivity, EPCI, or a deadline outside the
 * driver's index): the status comes from the index the query starts from
 * (request_theme.status, part.request_status, request_late_by_status).
 * Ranges of deadlines, and an org's or agent's parts in a given state, are
 * counted one status at a time (the statuses of request_status_count): a
 * range of an index per status. */
static void count_sql(struct buf *b, const struct plan *pl) {
  const enum drv d = pl->driver;
  const int row = reads_row(pl, d, M_COUNT), ps = pl->part_state != NULL;
  /* An org has one part per request; an agent may have parts on a
   * request in several orgs, so its requests are counted once. */
  const char *n = d == D_AGENT ? "count(DISTINCT r.id)" : "count(*)";
  const char *key = d == D_AGENT ? "agent = :agent" : d == D_ORG ? "org = :org" : "org = :perm_org";
  int per_status = 0;
  switch (d) {
  case D_TABLE:
    /* No filter at all (a coordinator's board: the permission rule is
     * "1"): the counts kept by triggers. */
    if (perm_scope_of(pl->actor) == PERM_EVERYTHING) {
      buf_puts(b, "SELECT status, n FROM request_status_count");
      return;
    }
    buf_puts(b, "SELECT r.status AS status, count(*) AS n FROM request r WHERE 1");
    break;
  case D_LATE:
    per_status = 1;
    buf_puts(b, "SELECT sc.status AS status, (SELECT count(*) FROM request r WHERE r.status = sc.status "
                "AND r.due_at >= :lo AND r.due_at < :hi");
    break;
  case D_THEME_LATE:
    per_status = 1;
    buf_puts(b, row ? "SELECT sc.status AS status, (SELECT count(*) FROM request_theme t CROSS JOIN request r "
                      "ON r.id = t.request WHERE t.theme = :theme AND t.status = sc.status AND t.due_at >= :lo "
                      "AND t.due_at < :hi"
                    : "SELECT sc.status AS status, (SELECT count(*) FROM (SELECT request AS id FROM request_theme "
                      "WHERE theme = :theme AND status = sc.status AND due_at >= :lo AND due_at < :hi) r WHERE 1");
    break;
  case D_THEME:
    /* A theme alone, for an account that sees everything: the counts kept
     * by triggers. */
    if (!row && perm_scope_of(pl->actor) == PERM_EVERYTHING && !has_checks(pl, M_COUNT)) {
      buf_puts(b, "SELECT status, n FROM request_theme_count WHERE theme = :theme");
      return;
    }
    buf_puts(b, row ? "SELECT t.status AS status, count(*) AS n FROM request_theme t CROSS JOIN request r "
                      "ON r.id = t.request WHERE t.theme = :theme"
                    : "SELECT r.status AS status, count(*) AS n FROM (SELECT request AS id, status FROM request_theme "
                      "WHERE theme = :theme) r WHERE 1");
    break;
  case D_ORG:
  case D_SCOPE:
  case D_AGENT:
    if (row) {
      buf_printf(b, "SELECT r.status AS status, %s AS n FROM part d CROSS JOIN request r ON r.id = d.request "
                    "WHERE d.%s%s",
                 n, key, ps && d != D_SCOPE ? " AND d.state = :ps" : "");
    } else if (ps && d != D_SCOPE) {
      /* The state comes after the status in the index. */
      per_status = 1;
      buf_printf(b, "SELECT sc.status AS status, (SELECT %s FROM (SELECT request AS id FROM part WHERE %s "
                    "AND request_status = sc.status AND state = :ps) r WHERE 1",
                 n, key);
    } else {
      buf_printf(b, "SELECT r.status AS status, %s AS n FROM (SELECT request AS id, request_status AS status "
                    "FROM part WHERE %s) r WHERE 1",
                 n, key);
    }
    break;
  case D_COLL: buf_puts(b, "SELECT r.status AS status, count(*) AS n FROM request r WHERE r.collectivity = :coll"); break;
  case D_EPCI: buf_puts(b, "SELECT r.status AS status, count(*) AS n FROM request r WHERE r.epci = :epci"); break;
  case D_STATUS:
  case D_N: break;
  }
  plan_checks(b, pl, M_COUNT);
  if (per_status) buf_puts(b, ") AS n FROM request_status_count sc WHERE sc.n > 0");
  else buf_puts(b, d == D_THEME && row ? " GROUP BY t.status" : " GROUP BY r.status");
}

int board_counts(json_t **out, struct db *db, const struct user *actor, const struct board_filter *f, int64_t now) {
  struct plan pl, yes;
  struct buf sql = BUF_INIT;
  sqlite3_stmt *st = NULL;
  json_t *cols = NULL;
  int64_t total = 0;
  *out = NULL;
  int rc = plan_init(&pl, db, actor, f, now);
  if (rc) goto done;
  /* c: the counts, computed once (MATERIALIZED: SQLite would otherwise
   * copy their expressions into the outer query); one statement, so one
   * snapshot. */
  if (pl.late == L_NO) {
    /* Not late: every request minus the late ones ([lo, hi) is already
     * the range of "yes"), each counted from its own driver. */
    yes = pl;
    yes.late = L_YES;
    pl.late = L_ANY;
    if ((rc = plan_driver(&pl, db, M_COUNT)) || (rc = plan_driver(&yes, db, M_COUNT))) goto done;
    buf_puts(&sql, "WITH a AS MATERIALIZED (");
    count_sql(&sql, &pl);
    buf_puts(&sql, "), y AS MATERIALIZED (");
    count_sql(&sql, &yes);
    buf_puts(&sql, "), c AS MATERIALIZED (SELECT status, sum(n) AS n FROM (SELECT status, n FROM a "
                   "UNION ALL SELECT status, -n FROM y) GROUP BY status)");
  } else {
    if ((rc = plan_driver(&pl, db, M_COUNT))) goto done;
    buf_puts(&sql, "WITH c AS MATERIALIZED (SELECT status, sum(n) AS n FROM (");
    count_sql(&sql, &pl);
    buf_puts(&sql, ") GROUP BY status)");
  }
  /* Columns in the lifecycle order of the known codes, then the other
   * codes of table status, then the labels set by processes (statuses
   * no request has any more keep a row of n = 0 in request_status_count:
   * no column). */
  buf_puts(&sql, " SELECT c.status, coalesce(s.label, c.status), c.n FROM c LEFT JOIN status s ON s.code = c.status "
                 "WHERE c.n > 0 ORDER BY s.code IS NULL, CASE c.status WHEN 'filed' THEN 1 WHEN 'qualifying' THEN 2 "
                 "WHEN 'dispatched' THEN 3 WHEN 'in_progress' THEN 4 WHEN 'waiting' THEN 5 WHEN 'closed' THEN 6 "
                 "WHEN 'cancelled' THEN 7 ELSE 8 END, c.status");
  if ((rc = plan_prepare(&st, db, &sql, &pl))) goto done;
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
  plan_from(&sql, &pl);
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
  "(SELECT group_concat(label, ', ') FROM (SELECT th.label FROM json_each(r.themes) x CROSS JOIN theme th "       \
  "  ON th.code = x.value ORDER BY th.position)), "                                                                \
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
  plan_from(&sql, &pl);
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

/* Runs a query of (key, duration ms), in any order, and sets `field` of the
 * row of each key in `map` to {count, median, p90}. The values are grouped
 * and sorted here: sorting a million rows in SQL spills to the sorter and
 * costs ten times more. */
struct dgroup {
  json_t *row;
  int64_t *v;
  size_t n, cap;
};

static int by_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int stats_durations(json_t *map, const char *field, struct db *db, const struct plan *pl, const char *head,
                           const char *tail) {
  sqlite3_stmt *st = NULL;
  struct dgroup *g = NULL;
  size_t ng = 0, cg = 0;
  json_t *index = json_object(); /* key -> position in g */
  int rc = index ? stats_prepare(&st, db, pl, head, tail) : err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  int s = SQLITE_DONE;
  if (rc) goto done;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    const char *k = db_col_text(st, 0);
    if (!k) continue;
    json_t *at = json_object_get(index, k);
    size_t i;
    if (at) {
      i = (size_t)json_integer_value(at);
    } else {
      if (ng == cg) {
        size_t c = cg ? cg * 2 : 64;
        struct dgroup *ngp = realloc(g, c * sizeof *g);
        if (!ngp) {
          rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
          goto done;
        }
        g = ngp, cg = c;
      }
      i = ng++;
      memset(&g[i], 0, sizeof g[i]);
      g[i].row = json_object_get(map, k);
      json_object_set_new(index, k, json_integer((json_int_t)i));
    }
    if (g[i].n == g[i].cap) {
      size_t c = g[i].cap ? g[i].cap * 2 : 64;
      int64_t *nv = realloc(g[i].v, c * sizeof *nv);
      if (!nv) {
        rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
        goto done;
      }
      g[i].v = nv, g[i].cap = c;
    }
    g[i].v[g[i].n++] = sqlite3_column_int64(st, 1);
  }
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "statistiques");
    goto done;
  }
  for (size_t i = 0; i < ng; i++) {
    qsort(g[i].v, g[i].n, sizeof *g[i].v, by_i64);
    if (g[i].row) json_object_set_new(g[i].row, field, duration_json(g[i].v, g[i].n));
  }
done:
  db_done(st);
  for (size_t i = 0; i < ng; i++) free(g[i].v);
  free(g);
  json_decref(index);
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

/* Statistics read parts in table order and find their request through the
 * narrow index request_stats (migration 0010), never the wide rows. */
#define ORG_FROM                                                                                                   \
  "FROM part p CROSS JOIN request r INDEXED BY request_stats ON r.id = p.request CROSS JOIN org o ON o.id = p.org "
#define SLA_FROM "FROM sla s CROSS JOIN request r INDEXED BY request_stats ON r.id = s.request "

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
  if ((rc = stats_prepare(&st, db, &pl, "SELECT substr(appui_time(r.filed_at), 1, 7) AS m, count(*) FROM request r INDEXED BY request_stats WHERE ",
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
                          "SELECT t.theme, th.label, count(*) FROM request_theme t CROSS JOIN request r INDEXED BY "
                          "request_stats ON r.id = t.request JOIN theme th ON th.code = t.theme WHERE ",
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
                            "")) ||
      (rc = stats_durations(org_map, "resolve", db, &pl,
                            "SELECT o.slug, p.ended_at - r.filed_at AS d " ORG_FROM
                            "WHERE p.state = 'done' AND p.ended_at IS NOT NULL AND ",
                            "")) ||
      (rc = stats_on_time(org_map, db, &pl,
                          "SELECT o.slug, " ON_TIME_COLUMNS ORG_FROM "CROSS JOIN sla s ON s.request = r.id "
                          "WHERE p.state NOT IN ('declined', 'cancelled') AND ",
                          " GROUP BY o.slug")))
    goto done;
  /* Per EPCI: the requests of its territory and their deadlines. */
  if ((rc = stats_rows(epcis, epci_map, "code", "name", "count", db, &pl,
                       "SELECT r.epci, (SELECT name FROM collectivity WHERE code = r.epci), count(*) FROM request r "
                       "WHERE r.epci IS NOT NULL AND ",
                       " GROUP BY r.epci ORDER BY r.epci")) ||
      (rc = stats_durations(epci_map, "take_charge", db, &pl,
                            "SELECT r.epci, s.taken_at - r.filed_at AS d " SLA_FROM
                            "WHERE r.epci IS NOT NULL AND s.taken_at IS NOT NULL AND ",
                            "")) ||
      (rc = stats_durations(epci_map, "resolve", db, &pl,
                            "SELECT r.epci, s.resolved_at - r.filed_at AS d " SLA_FROM
                            "WHERE r.epci IS NOT NULL AND s.resolved_at IS NOT NULL AND ",
                            "")) ||
      (rc = stats_on_time(epci_map, db, &pl,
                          "SELECT r.epci, " ON_TIME_COLUMNS SLA_FROM "WHERE r.epci IS NOT NULL AND ",
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

/* The per-connection copy of the filters' choices (db slot DB_SLOT_BOARD). */
struct choices {
  int64_t catalog_version, loaded_at;
  json_t *value;
};

static void choices_free(void *p) {
  struct choices *c = p;
  json_decref(c->value);
  free(c);
}

/* [{value: a[k1], label: a[k2]}] from `a` (stolen): the options of a
 * select. */
static json_t *as_options(json_t *a, const char *k1, const char *k2) {
  json_t *out = json_array();
  size_t i;
  json_t *x;
  json_array_foreach(a, i, x) json_array_append_new(out, json_pack("{s:O, s:O}", "value", json_object_get(x, k1), "label",
                                                                   json_object_get(x, k2)));
  json_decref(a);
  return out;
}

/* The orgs as [{slug, name}] by name into *out. */
static int org_names(json_t **out, struct db *db) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, "SELECT slug, name FROM org ORDER BY name, slug"), s;
  if (rc) return rc;
  json_t *arr = json_array();
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:s, s:s}", "slug", db_col_text(st, 0), "name", db_col_text(st, 1)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des structures du tableau de bord");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}

int board_choices(json_t **out, struct db *db, int64_t now) {
  sqlite3_stmt *st;
  int64_t version = 0;
  *out = NULL;
  int rc = db_prepare(&st, db, "SELECT version FROM catalog_version WHERE id = 1");
  if (rc) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int64(st, 0);
  db_done(st);
  struct choices *c = db_slot(db, DB_SLOT_BOARD);
  if (c && c->catalog_version == version && now - c->loaded_at < BOARD_CHOICES_TTL_MS && now >= c->loaded_at) {
    *out = json_incref(c->value);
    return 0;
  }
  json_t *themes = NULL, *orgs = NULL, *epcis = NULL;
  rc = theme_list(&themes, db);
  if (!rc) rc = org_names(&orgs, db);
  if (!rc) rc = territory_epcis(&epcis, db);
  if (rc) {
    json_decref(themes);
    json_decref(orgs);
    json_decref(epcis);
    return rc;
  }
  c = calloc(1, sizeof *c);
  json_t *value = json_pack("{s:o, s:o, s:o}", "themes", as_options(themes, "code", "label"), "orgs",
                            as_options(orgs, "slug", "name"), "epcis", as_options(epcis, "code", "name"));
  if (!c || !value) {
    free(c);
    json_decref(value);
    return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  }
  c->catalog_version = version;
  c->loaded_at = now;
  c->value = value;
  db_slot_set(db, DB_SLOT_BOARD, c, choices_free);
  *out = json_incref(value);
  return 0;
}
