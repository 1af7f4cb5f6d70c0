/* dispatch — parts moved with their effects on the process (see
 * dispatch.h). */
#include "dispatch.h"
#include "clock.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "match.h"
#include "request.h"
#include "user.h"
#include "workflow.h"
#include <stdio.h>
#include <string.h>

struct op {
  struct engine *e;
  const struct user *actor;
  const char *ref, *org, *arg, *arg2, *role;
  enum part_op op;
  int kind; /* 0 propose, 1 move, 2 assign, 3 handover */
  struct part_tally tally;
};

/* Delivers DISPATCH_SETTLED to `instance` with the counts of `t`. */
static int deliver_settled(struct engine *e, int64_t instance, const struct part_tally *t, int64_t now) {
  json_t *vars = json_pack("{s:{s:i, s:i, s:i}}", "mises_en_relation", "terminees", t->done, "declinees", t->declined,
                           "annulees", t->cancelled);
  struct user platform;
  user_system(&platform, "système");
  int rc = engine_deliver_tx(e, &platform, instance, DISPATCH_SETTLED, vars, now);
  json_decref(vars);
  return rc;
}

/* Tells the request's active instance that its parts are all closed, if it
 * waits for that. */
static int tell_process(struct op *o, int64_t request, int64_t now) {
  struct db *db = engine_db(o->e);
  sqlite3_stmt *st;
  int64_t instance = 0;
  int rc = db_prepare(&st, db, "SELECT i.id FROM instance i JOIN subscription s ON s.instance = i.id "
                               "WHERE i.request = ? AND i.state = 'active' AND s.message = ? ORDER BY i.id LIMIT 1");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  db_bind_text(st, 2, DISPATCH_SETTLED);
  if (sqlite3_step(st) == SQLITE_ROW) instance = sqlite3_column_int64(st, 0);
  db_done(st);
  return instance ? deliver_settled(o->e, instance, &o->tally, now) : 0;
}

struct sweep {
  struct engine *e;
  int64_t instance, request;
};

static int sweep_tx(struct db *db, void *arg) {
  struct sweep *w = arg;
  struct part_tally t;
  int rc = part_tally(&t, db, w->request);
  if (rc || t.open || !(t.done + t.declined + t.cancelled)) return rc; /* moved meanwhile */
  return deliver_settled(w->e, w->instance, &t, clock_now_ms());
}

int dispatch_sweep(int *told, struct engine *e, int limit) {
  struct db *db = engine_db(e);
  sqlite3_stmt *st;
  int64_t ids[2][256];
  int n = 0;
  *told = 0;
  int rc = db_prepare(&st, db, "SELECT s.instance, i.request FROM subscription s JOIN instance i ON i.id = s.instance "
                               "WHERE s.message = ?1 AND i.state = 'active' AND i.request IS NOT NULL "
                               "AND EXISTS (SELECT 1 FROM part p WHERE p.request = i.request) "
                               "AND NOT EXISTS (SELECT 1 FROM part p WHERE p.request = i.request "
                               "AND p.state IN ('proposed', 'accepted', 'in_progress')) ORDER BY s.id LIMIT ?2");
  if (rc) return rc;
  db_bind_text(st, 1, DISPATCH_SETTLED);
  sqlite3_bind_int(st, 2, limit > 0 && limit < 256 ? limit : 256);
  while (sqlite3_step(st) == SQLITE_ROW && n < 256) {
    ids[0][n] = sqlite3_column_int64(st, 0);
    ids[1][n++] = sqlite3_column_int64(st, 1);
  }
  db_done(st);
  for (int i = 0; i < n && !rc; i++) {
    struct sweep w = {e, ids[0][i], ids[1][i]};
    rc = db_write(db, sweep_tx, &w);
    if (!rc) (*told)++;
  }
  return rc;
}

static int op_tx(struct db *db, void *arg) {
  struct op *o = arg;
  int64_t request, now = clock_now_ms();
  int rc = request_access(&request, db, o->actor, o->ref, PERM_READ);
  if (rc) return rc;
  switch (o->kind) {
  case 0: return part_propose_tx(NULL, db, o->actor, request, o->org, o->arg, o->role, now);
  case 2: return part_assign_tx(db, o->actor, request, o->org, o->arg, now);
  case 3: return part_handover_tx(db, o->actor, request, o->org, o->arg, o->arg2, now);
  default:
    if ((rc = part_move_tx(&o->tally, db, o->actor, request, o->org, o->op, o->arg, now))) return rc;
    return o->tally.settled ? tell_process(o, request, now) : 0;
  }
}

static int run(struct op *o) { return db_write(engine_db(o->e), op_tx, o); }

int dispatch_propose(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *offer,
                     const char *role) {
  struct op o = {.e = e, .actor = actor, .ref = ref, .org = org, .arg = offer, .role = role, .kind = 0};
  return run(&o);
}

int dispatch_move(struct part_tally *tally, struct engine *e, const struct user *actor, const char *ref,
                  const char *org, enum part_op op, const char *reason) {
  struct op o = {.e = e, .actor = actor, .ref = ref, .org = org, .arg = reason, .op = op, .kind = 1};
  int rc = run(&o);
  if (!rc && tally) *tally = o.tally;
  return rc;
}

int dispatch_assign(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *agent) {
  struct op o = {.e = e, .actor = actor, .ref = ref, .org = org, .arg = agent, .kind = 2};
  return run(&o);
}

int dispatch_handover(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *to,
                      const char *offer) {
  struct op o = {.e = e, .actor = actor, .ref = ref, .org = org, .arg = to, .arg2 = offer, .kind = 3};
  return run(&o);
}

/* Proposes `org` as `role` unless it already has a part. */
static int propose_once(struct db *db, const struct user *actor, int64_t request, const char *org, const char *offer,
                        const char *role, int64_t now) {
  int rc = part_propose_tx(NULL, db, actor, request, org, offer, role, now);
  if (rc == ERR_CONFLICT) {
    err_clear();
    return 0;
  }
  return rc;
}

int dispatch_auto_tx(json_t **decision, struct db *db, const struct user *actor, int64_t request, double threshold,
                     int64_t now) {
  json_t *m = NULL;
  int rc = match_request_id(&m, db, request, 0, 3, now);
  if (rc) return rc;
  json_t *proposal = json_object_get(m, "proposal"), *lead = json_object_get(proposal, "lead");
  const char *org = json_string_value(json_object_get(lead, "org"));
  const char *offer = json_string_value(json_object_get(json_object_get(lead, "offer"), "slug"));
  double score = json_number_value(json_object_get(lead, "score"));
  const char *rule = json_string_value(json_object_get(lead, "rule"));
  int automatic = org && (rule || score >= threshold);
  char why[512];
  /* A request that already has a lead (re-run, or oriented by hand before)
   * is oriented: the decision names that lead and proposes nothing. */
  char existing[64] = "";
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT g.slug FROM part p JOIN org g ON g.id = p.org WHERE p.request = ? "
                                "AND p.role = 'lead' AND p.state IN ('proposed', 'accepted', 'in_progress', 'done')"))) {
    json_decref(m);
    return rc;
  }
  sqlite3_bind_int64(st, 1, request);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(existing, sizeof existing, "%s", db_col_text(st, 0));
  db_done(st);
  if (*existing) {
    *decision = json_pack("{s:b, s:s, s:n, s:f, s:f, s:s+}", "automatique", 1, "structure", existing, "offre", "score",
                          score, "seuil", threshold, "motif", "déjà orientée vers ", existing);
    json_decref(m);
    return 0;
  }
  const char *summary = json_string_value(json_object_get(m, "summary"));
  if (!org) snprintf(why, sizeof why, "%s", summary ? summary : "aucune offre ne convient");
  else if (rule) snprintf(why, sizeof why, "structure pilote désignée par la règle « %s »", rule);
  else if (automatic) snprintf(why, sizeof why, "meilleure offre (score %.0f, seuil %.0f)", score, threshold);
  else snprintf(why, sizeof why, "meilleure offre sous le seuil (score %.0f, seuil %.0f) : orientation par la coordination",
                score, threshold);
  if (automatic) rc = propose_once(db, actor, request, org, offer, "lead", now);
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(proposal, "contributors"), i, c) {
    if (rc || !automatic) break;
    rc = propose_once(db, actor, request, json_string_value(json_object_get(c, "org")),
                      json_string_value(json_object_get(json_object_get(c, "offer"), "slug")), "contributor", now);
  }
  if (!rc) {
    *decision = json_pack("{s:b, s:s?, s:s?, s:f, s:f, s:s}", "automatique", automatic, "structure", org, "offre", offer,
                          "score", score, "seuil", threshold, "motif", why);
  }
  json_decref(m);
  return rc;
}

int dispatch_coordination_task(int64_t *task, const char **element, struct db *db, int64_t request) {
  struct workflow_state ws;
  json_t *tasks = NULL;
  *task = 0;
  *element = NULL;
  int rc = workflow_state(&ws, db, request);
  if (rc || !ws.instance || !ws.active) return rc;
  if ((rc = engine_tasks(&tasks, db, ws.instance))) return rc;
  size_t i;
  json_t *t;
  json_array_foreach(tasks, i, t) {
    const char *el = json_string_value(json_object_get(t, "element"));
    if (el && (!strcmp(el, "qualifier") || !strcmp(el, "orienter"))) {
      *task = (int64_t)json_integer_value(json_object_get(t, "id"));
      *element = !strcmp(el, "qualifier") ? "qualifier" : "orienter";
      break;
    }
  }
  json_decref(tasks);
  return 0;
}

int dispatch_orient(struct engine *e, const struct user *actor, const char *ref, const char *org, const char *offer) {
  struct db *db = engine_db(e);
  int64_t request, task;
  const char *element;
  int rc = request_access(&request, db, actor, ref, PERM_READ);
  if (!rc) rc = dispatch_coordination_task(&task, &element, db, request);
  if (rc) return rc;
  if (!task)
    return err_set(ERR_CONFLICT, NULL, "la demande %s n'attend pas d'orientation : elle est déjà orientée ou close", ref);
  if (!org || !*org) return err_set(ERR_INVALID, "org", "choisissez la structure vers laquelle orienter la demande");
  if ((rc = db_group_begin(db))) return rc;
  rc = dispatch_propose(e, actor, ref, org, offer, "lead");
  if (!rc) {
    json_t *vars = !strcmp(element, "qualifier") ? json_pack("{s:b, s:b}", "recevable", 1, "complet", 1) : NULL;
    rc = engine_complete_task(e, actor, task, vars, clock_now_ms());
    json_decref(vars);
  }
  int kept = db_group_end(db, rc == 0);
  return rc ? rc : kept;
}
