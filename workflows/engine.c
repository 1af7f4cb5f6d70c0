/* engine — process instances run to their wait states (see engine.h).
 *
 * A trigger loads the instance, works through a queue of arrivals (an
 * element reached in a scope, by a flow), and persists only wait states:
 * tokens at activities and catch events, tasks, jobs, timers, message
 * subscriptions, tokens arrived at a joining parallel gateway, incidents.
 * A scope (the process, or a subProcess token) completes when nothing is
 * left in it. */
#include "engine.h"
#include "action.h"
#include "bpmn.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "expr.h"
#include "journal.h"
#include "request.h"
#include "store.h"
#include "timer.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CACHE 16

struct engine {
  struct db *db;
  struct {
    int64_t version;
    struct bpmn_model *model;
  } cache[CACHE];
  unsigned next;
  int64_t steps; /* elements entered, all triggers together */
};

struct arrival {
  int element;   /* element index */
  int64_t scope; /* scope token, 0 at process level */
  int flow;      /* flow index it came by, -1 when none */
};

struct run {
  struct engine *e;
  struct db *db;
  const struct user *actor;
  int64_t instance, request, version;
  const struct bpmn_model *m;
  json_t *vars;
  int vars_dirty;
  int64_t now;
  struct arrival *queue;
  int head, tail, cap;
  int steps;
  int ended;
};

int engine_new(struct engine **out, struct db *db) {
  *out = calloc(1, sizeof **out);
  if (!*out) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  (*out)->db = db;
  return 0;
}

void engine_free(struct engine *e) {
  if (!e) return;
  for (int i = 0; i < CACHE; i++) bpmn_free(e->cache[i].model);
  free(e);
}

struct db *engine_db(struct engine *e) { return e->db; }

int64_t engine_steps(const struct engine *e) { return e->steps; }

int engine_model(const struct bpmn_model **out, struct engine *e, int64_t version) {
  for (int i = 0; i < CACHE; i++)
    if (e->cache[i].model && e->cache[i].version == version) {
      *out = e->cache[i].model;
      return 0;
    }
  struct bpmn_model *m;
  int rc = store_model(&m, e->db, version);
  if (rc) return rc;
  int slot = (int)(e->next++ % CACHE);
  bpmn_free(e->cache[slot].model);
  e->cache[slot].model = m;
  e->cache[slot].version = version;
  *out = m;
  return 0;
}

/* ---- small persistence helpers ---- */

static int step_done(struct db *db, sqlite3_stmt *st, const char *what) {
  int s = sqlite3_step(st);
  db_done(st);
  return s == SQLITE_DONE || s == SQLITE_ROW ? 0 : db_fail(db, s, what);
}

static int journal(struct run *r, const char *type, json_t *data) {
  if (!data) data = json_object();
  json_object_set_new(data, "instance", json_integer(r->instance));
  int rc = journal_append_at(r->db, r->actor, r->request, type, data, r->now);
  json_decref(data);
  return rc;
}

static int64_t new_token(struct run *r, int element, int64_t scope, int *rc) {
  sqlite3_stmt *st;
  if ((*rc = db_prepare(&st, r->db, "INSERT INTO token (instance, element, scope, created_at) VALUES (?, ?, ?, ?)")))
    return 0;
  sqlite3_bind_int64(st, 1, r->instance);
  db_bind_text(st, 2, r->m->elements[element].id);
  if (scope) sqlite3_bind_int64(st, 3, scope);
  sqlite3_bind_int64(st, 4, r->now);
  if ((*rc = step_done(r->db, st, "création d'un jeton"))) return 0;
  return sqlite3_last_insert_rowid(db_sqlite(r->db));
}

static int exec_id(struct run *r, const char *sql, int64_t id, const char *what) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, sql);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  return step_done(r->db, st, what);
}

static int incident(struct run *r, int64_t token, int element, const char *kind, const char *message) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "INSERT INTO incident (instance, token, element, kind, message, created_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?)");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  if (token) sqlite3_bind_int64(st, 2, token);
  db_bind_text(st, 3, r->m->elements[element].id);
  db_bind_text(st, 4, kind);
  db_bind_text(st, 5, message);
  sqlite3_bind_int64(st, 6, r->now);
  if ((rc = step_done(r->db, st, "création d'un incident"))) return rc;
  int64_t id = sqlite3_last_insert_rowid(db_sqlite(r->db));
  return journal(r, "workflow.incident",
                 json_pack("{s:I, s:s, s:s, s:s}", "incident", (json_int_t)id, "element", r->m->elements[element].id,
                           "kind", kind, "message", message));
}

/* Holds a token at `element` under an incident. */
static int hold(struct run *r, int element, int64_t scope, const char *kind, const char *message) {
  int rc;
  int64_t token = new_token(r, element, scope, &rc);
  if (!rc) rc = exec_id(r, "UPDATE token SET incident = 1 WHERE id = ?", token, "incident");
  if (rc) return rc;
  return incident(r, token, element, kind, message);
}

static int load(struct run *r, struct engine *e, const struct user *actor, int64_t id, int64_t now);
static int finish(struct run *r, int rc);

static int push(struct run *r, int element, int64_t scope, int flow) {
  if (r->tail == r->cap) {
    int cap = r->cap ? r->cap * 2 : 32;
    struct arrival *q = realloc(r->queue, (size_t)cap * sizeof *q);
    if (!q) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    r->queue = q;
    r->cap = cap;
  }
  r->queue[r->tail++] = (struct arrival){element, scope, flow};
  return 0;
}

/* Takes every outgoing flow of `element`. */
static int leave(struct run *r, int element, int64_t scope) {
  const struct bpmn_element *el = &r->m->elements[element];
  for (int k = 0; k < el->n_outgoing; k++) {
    int rc = push(r, r->m->flows[el->outgoing[k]].target, scope, el->outgoing[k]);
    if (rc) return rc;
  }
  return 0;
}

/* The value of a task attribute: static text, or "=path" read from the
 * variables (a string, or a list joined by commas). Allocated; NULL if none. */
static char *resolve(struct run *r, const char *value) {
  if (!value) return NULL;
  if (value[0] != '=') return strdup(value);
  const char *p = value + 1;
  while (*p == ' ') p++;
  json_t *v = r->vars;
  char part[128];
  while (*p && v) {
    size_t n = strcspn(p, ".");
    snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), p);
    v = json_is_object(v) ? json_object_get(v, part) : NULL;
    p += n + (p[n] == '.');
  }
  if (json_is_string(v)) return strdup(json_string_value(v));
  if (json_is_array(v)) {
    size_t i, len = 1;
    json_t *x;
    json_array_foreach(v, i, x) if (json_is_string(x)) len += json_string_length(x) + 1;
    char *out = calloc(1, len);
    json_array_foreach(v, i, x) if (json_is_string(x) && out) {
      if (*out) strcat(out, ",");
      strcat(out, json_string_value(x));
    }
    return out;
  }
  return NULL;
}

static int set_status(struct run *r, const char *statut, const char *element) {
  if (!statut || !r->request) return 0;
  return request_set_status_tx(r->db, r->actor, r->request, statut, element, r->now);
}

/* Arms a timer on `token` for timer event `element`. */
static int arm_timer(struct run *r, int64_t token, int element) {
  const struct bpmn_element *el = &r->m->elements[element];
  struct timer_spec spec = el->timer;
  char *value = NULL;
  if (spec.from_path) {
    char *text = resolve(r, el->timer_text);
    char why[256];
    int bad = !text || timer_parse(&spec, el->timer.kind, text, why, sizeof why) || spec.from_path;
    if (bad) {
      char msg[400];
      snprintf(msg, sizeof msg, "minuteur %s : la variable « %s » %s", el->id, spec.path,
               text ? "ne contient pas une valeur de minuteur valide" : "est absente");
      free(text);
      return incident(r, token, element, "timer", msg);
    }
    value = text;
  }
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "INSERT INTO timer (instance, token, element, due_at, repeats, value) VALUES (?, ?, ?, ?, ?, ?)");
  if (rc) {
    free(value);
    return rc;
  }
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, token);
  db_bind_text(st, 3, el->id);
  sqlite3_bind_int64(st, 4, timer_first_due(&spec, r->now));
  sqlite3_bind_int(st, 5, spec.kind == TIMER_CYCLE ? spec.repeat : 1);
  db_bind_text(st, 6, value);
  free(value);
  return step_done(r->db, st, "armement d'un minuteur");
}

static int subscribe(struct run *r, int64_t token, int element) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "INSERT INTO subscription (instance, token, element, message) VALUES (?, ?, ?, ?)");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, token);
  db_bind_text(st, 3, r->m->elements[element].id);
  db_bind_text(st, 4, r->m->elements[element].message);
  return step_done(r->db, st, "abonnement à un message");
}

/* Arms the boundary events of the activity `element` held by `token`. */
static int arm_boundaries(struct run *r, int element, int64_t token) {
  const struct bpmn_element *el = &r->m->elements[element];
  for (int k = 0; k < el->n_boundaries; k++) {
    int b = el->boundaries[k];
    int rc = r->m->elements[b].kind == BPMN_BOUNDARY_TIMER ? arm_timer(r, token, b) : subscribe(r, token, b);
    if (rc) return rc;
  }
  return 0;
}

int engine_arm_tx(struct engine *e, const struct user *actor, int64_t instance, int64_t version, int64_t token,
                  int element, int64_t now) {
  struct run r;
  int rc = load(&r, e, actor, instance, now);
  if (!rc && r.version != version) rc = err_set(ERR_INTERNAL, NULL, "instance %lld pas sur la version attendue", (long long)instance);
  if (!rc)
    rc = r.m->elements[element].kind == BPMN_BOUNDARY_TIMER ? arm_timer(&r, token, element) : subscribe(&r, token, element);
  return finish(&r, rc);
}

/* Deletes what waits on `token`: timers, subscriptions, job; closes its
 * task with `reason` (NULL: completed elsewhere). Not the token itself. */
static int clear_token(struct run *r, int64_t token, const char *reason) {
  int rc;
  if ((rc = exec_id(r, "DELETE FROM timer WHERE token = ?", token, "suppression de minuteurs")) ||
      (rc = exec_id(r, "DELETE FROM subscription WHERE token = ?", token, "suppression d'abonnements")) ||
      (rc = exec_id(r, "DELETE FROM job WHERE token = ?", token, "suppression d'un travail")))
    return rc;
  if (reason) {
    sqlite3_stmt *st;
    if ((rc = db_prepare(&st, r->db, "SELECT id, element FROM task WHERE token = ? AND state = 'open'"))) return rc;
    sqlite3_bind_int64(st, 1, token);
    int64_t task = 0;
    char element[128] = "";
    if (sqlite3_step(st) == SQLITE_ROW) {
      task = sqlite3_column_int64(st, 0);
      snprintf(element, sizeof element, "%s", db_col_text(st, 1));
    }
    db_done(st);
    if (task) {
      if ((rc = db_prepare(&st, r->db, "UPDATE task SET state = 'cancelled', reason = ?, token = NULL, ended_at = ? "
                                       "WHERE id = ?")))
        return rc;
      db_bind_text(st, 1, reason);
      sqlite3_bind_int64(st, 2, r->now);
      sqlite3_bind_int64(st, 3, task);
      if ((rc = step_done(r->db, st, "annulation d'une tâche"))) return rc;
      if ((rc = journal(r, "workflow.task_cancelled",
                        json_pack("{s:I, s:s, s:s}", "task", (json_int_t)task, "element", element, "reason", reason))))
        return rc;
    }
  }
  sqlite3_stmt *inc;
  if ((rc = db_prepare(&inc, r->db, "UPDATE incident SET resolved_at = coalesce(resolved_at, ?), token = NULL WHERE token = ?")))
    return rc;
  sqlite3_bind_int64(inc, 1, r->now);
  sqlite3_bind_int64(inc, 2, token);
  if ((rc = step_done(r->db, inc, "incidents"))) return rc;
  return exec_id(r, "UPDATE task SET token = NULL WHERE token = ?", token, "tâche");
}

/* Cancels `token` and everything inside it (a subProcess scope), for
 * `reason`. */
static int cancel_token(struct run *r, int64_t token, const char *reason) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "SELECT id FROM token WHERE scope = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, token);
  int64_t children[256];
  int n = 0;
  while (sqlite3_step(st) == SQLITE_ROW && n < 256) children[n++] = sqlite3_column_int64(st, 0);
  db_done(st);
  for (int i = 0; i < n; i++)
    if ((rc = cancel_token(r, children[i], reason))) return rc;
  if (n == 256) return cancel_token(r, token, reason); /* more children than one batch */
  if ((rc = clear_token(r, token, reason))) return rc;
  if ((rc = db_prepare(&st, r->db, "DELETE FROM arrival WHERE instance = ? AND scope = ?"))) return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, token);
  if ((rc = step_done(r->db, st, "suppression d'arrivées"))) return rc;
  return exec_id(r, "DELETE FROM token WHERE id = ?", token, "suppression d'un jeton");
}

/* Scope of token `token` (0 at process level) and its element index. */
static int token_info(struct run *r, int64_t token, int64_t *scope, int *element) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "SELECT scope, element FROM token WHERE id = ? AND instance = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, token);
  sqlite3_bind_int64(st, 2, r->instance);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    *scope = sqlite3_column_int64(st, 0);
    *element = bpmn_find(r->m, db_col_text(st, 1));
  } else {
    rc = s == SQLITE_DONE ? err_set(ERR_CONFLICT, NULL, "jeton %lld absent : déjà traité", (long long)token)
                          : db_fail(r->db, s, "lecture d'un jeton");
  }
  db_done(st);
  if (!rc && *element < 0) rc = err_set(ERR_INTERNAL, NULL, "élément du jeton %lld absent de la version", (long long)token);
  return rc;
}

static int end_instance(struct run *r, const char *how) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "UPDATE instance SET state = 'completed', ended_at = ? WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->now);
  sqlite3_bind_int64(st, 2, r->instance);
  if ((rc = step_done(r->db, st, "fin d'instance"))) return rc;
  r->ended = 1;
  r->head = r->tail; /* nothing more runs */
  if ((rc = exec_id(r, "DELETE FROM arrival WHERE instance = ?", r->instance, "arrivées"))) return rc;
  return journal(r, "workflow.completed", json_pack("{s:s}", "end", how));
}

/* A token left scope `scope`: completes the scope if nothing remains in it. */
static int scope_check(struct run *r, int64_t scope) {
  for (int i = r->head; i < r->tail; i++)
    if (r->queue[i].scope == scope) return 0;
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "SELECT 1 FROM token WHERE instance = ?1 AND coalesce(scope, 0) = ?2 LIMIT 1");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, scope);
  int busy = sqlite3_step(st) == SQLITE_ROW;
  db_done(st);
  if (busy) return 0;
  if (!scope) return end_instance(r, "normal");
  /* The subProcess completes: leave it from its own scope. */
  int64_t parent;
  int element;
  if ((rc = token_info(r, scope, &parent, &element))) return rc;
  if ((rc = cancel_token(r, scope, NULL))) return rc;
  return leave(r, element, parent);
}

/* Terminate end event in `scope`: everything in it stops. */
static int terminate(struct run *r, int64_t scope) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "SELECT id FROM token WHERE instance = ?1 AND coalesce(scope, 0) = ?2");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, scope);
  int64_t ids[256];
  int n = 0;
  while (sqlite3_step(st) == SQLITE_ROW && n < 256) ids[n++] = sqlite3_column_int64(st, 0);
  db_done(st);
  for (int i = 0; i < n; i++)
    if ((rc = cancel_token(r, ids[i], "terminated"))) return rc;
  if (n == 256) return terminate(r, scope);
  /* Arrivals queued in the scope stop too. */
  for (int i = r->head; i < r->tail; i++)
    if (r->queue[i].scope == scope) r->queue[i].element = -1;
  if ((rc = db_prepare(&st, r->db, "DELETE FROM arrival WHERE instance = ?1 AND scope = ?2"))) return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, scope);
  if ((rc = step_done(r->db, st, "arrivées"))) return rc;
  if (!scope) return end_instance(r, "terminate");
  return scope_check(r, scope);
}

/* Evaluates the condition of `flow`: 1, 0, or -1 with `why`. */
static int condition(struct run *r, int flow, char *why, size_t size) {
  const struct bpmn_flow *f = &r->m->flows[flow];
  if (!f->condition) return 1;
  struct civil c;
  clock_paris(r->now, &c);
  return expr_eval_condition(f->condition, r->vars, clock_days_from_civil(c.year, c.month, c.day), why, size);
}

static int gateway(struct run *r, int element, int64_t scope) {
  const struct bpmn_element *el = &r->m->elements[element];
  int inclusive = el->kind == BPMN_INCLUSIVE, rc;
  int chosen[64], n = 0;
  char why[300], msg[500];
  if (el->n_outgoing == 1 && !r->m->flows[el->outgoing[0]].condition) return leave(r, element, scope);
  for (int k = 0; k < el->n_outgoing && n < 64; k++) {
    int f = el->outgoing[k];
    if (f == el->default_flow) continue;
    int v = condition(r, f, why, sizeof why);
    if (v < 0) {
      snprintf(msg, sizeof msg, "condition du flux %s (%s) : %s", r->m->flows[f].id, r->m->flows[f].condition_text, why);
      return hold(r, element, scope, "condition", msg);
    }
    if (v) {
      chosen[n++] = f;
      if (!inclusive) break;
    }
  }
  if (!n && el->default_flow >= 0) chosen[n++] = el->default_flow;
  if (!n) {
    snprintf(msg, sizeof msg, "passerelle %s : aucune condition n'est vraie et il n'y a pas de flux par défaut", el->id);
    return hold(r, element, scope, "condition", msg);
  }
  for (int k = 0; k < n; k++)
    if ((rc = push(r, r->m->flows[chosen[k]].target, scope, chosen[k]))) return rc;
  return 0;
}

static int join(struct run *r, int element, int64_t scope, int flow) {
  const struct bpmn_element *el = &r->m->elements[element];
  if (el->n_incoming <= 1) return leave(r, element, scope);
  sqlite3_stmt *st;
  int rc = db_prepare(&st, r->db, "INSERT INTO arrival (instance, scope, gateway, flow, tokens) VALUES (?, ?, ?, ?, 1) "
                                  "ON CONFLICT DO UPDATE SET tokens = tokens + 1");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, scope);
  db_bind_text(st, 3, el->id);
  db_bind_text(st, 4, flow >= 0 ? r->m->flows[flow].id : "");
  if ((rc = step_done(r->db, st, "arrivée à une jonction"))) return rc;
  if ((rc = db_prepare(&st, r->db, "SELECT count(*) FROM arrival WHERE instance = ? AND scope = ? AND gateway = ?")))
    return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, scope);
  db_bind_text(st, 3, el->id);
  int arrived = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  db_done(st);
  if (arrived < el->n_incoming) return 0; /* waits for the other branches */
  /* One token of each incoming flow is consumed. */
  static const char *const consume[] = {
      "DELETE FROM arrival WHERE instance = ? AND scope = ? AND gateway = ? AND tokens = 1",
      "UPDATE arrival SET tokens = tokens - 1 WHERE instance = ? AND scope = ? AND gateway = ?"};
  for (int k = 0; k < 2; k++) {
    if ((rc = db_prepare(&st, r->db, consume[k]))) return rc;
    sqlite3_bind_int64(st, 1, r->instance);
    sqlite3_bind_int64(st, 2, scope);
    db_bind_text(st, 3, el->id);
    if ((rc = step_done(r->db, st, "jonction"))) return rc;
  }
  return leave(r, element, scope);
}

static int user_task(struct run *r, int element, int64_t scope) {
  const struct bpmn_element *el = &r->m->elements[element];
  int rc;
  int64_t token = new_token(r, element, scope, &rc);
  if (rc) return rc;
  char *assignee = resolve(r, el->assignee), *groups = resolve(r, el->candidate_groups),
       *users = resolve(r, el->candidate_users);
  if (!assignee && !groups && !users) groups = strdup("coordination");
  const char *statut = bpmn_property(el, "statut");
  sqlite3_stmt *st;
  if (!(rc = db_prepare(&st, r->db,
                        "INSERT INTO task (instance, token, element, name, assignee, candidate_groups, candidate_users, "
                        "form_key, statut, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)"))) {
    sqlite3_bind_int64(st, 1, r->instance);
    sqlite3_bind_int64(st, 2, token);
    db_bind_text(st, 3, el->id);
    db_bind_text(st, 4, el->name);
    db_bind_text(st, 5, assignee);
    db_bind_text(st, 6, groups);
    db_bind_text(st, 7, users);
    db_bind_text(st, 8, el->form_key);
    db_bind_text(st, 9, statut);
    sqlite3_bind_int64(st, 10, r->now);
    rc = step_done(r->db, st, "création d'une tâche");
  }
  int64_t task = sqlite3_last_insert_rowid(db_sqlite(r->db));
  if (!rc)
    rc = journal(r, "workflow.task_created", json_pack("{s:I, s:s, s:s?, s:s?, s:s?}", "task", (json_int_t)task, "element",
                                                       el->id, "name", el->name, "assignee", assignee, "groups", groups));
  free(assignee);
  free(groups);
  free(users);
  if (!rc) rc = set_status(r, statut, el->id);
  if (!rc) rc = arm_boundaries(r, element, token);
  return rc;
}

static int service_task(struct run *r, int element, int64_t scope) {
  const struct bpmn_element *el = &r->m->elements[element];
  int rc;
  int64_t token = new_token(r, element, scope, &rc);
  if (rc) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, r->db, "INSERT INTO job (instance, token, element, type, retries, due_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?)")))
    return rc;
  sqlite3_bind_int64(st, 1, r->instance);
  sqlite3_bind_int64(st, 2, token);
  db_bind_text(st, 3, el->id);
  db_bind_text(st, 4, el->job_type);
  sqlite3_bind_int(st, 5, el->retries > 0 ? el->retries : 1);
  sqlite3_bind_int64(st, 6, r->now);
  if ((rc = step_done(r->db, st, "création d'un travail"))) return rc;
  if ((rc = set_status(r, bpmn_property(el, "statut"), el->id))) return rc;
  return arm_boundaries(r, element, token);
}

/* Processes one arrival. */
static int enter(struct run *r, const struct arrival *a) {
  const struct bpmn_element *el = &r->m->elements[a->element];
  int rc = 0;
  int64_t token;
  switch (el->kind) {
  case BPMN_START: return leave(r, a->element, a->scope);
  case BPMN_END: return scope_check(r, a->scope);
  case BPMN_TERMINATE: return terminate(r, a->scope);
  case BPMN_USER_TASK: return user_task(r, a->element, a->scope);
  case BPMN_SERVICE_TASK: return service_task(r, a->element, a->scope);
  case BPMN_EXCLUSIVE:
  case BPMN_INCLUSIVE: return gateway(r, a->element, a->scope);
  case BPMN_PARALLEL: return join(r, a->element, a->scope, a->flow);
  case BPMN_SUBPROCESS:
    token = new_token(r, a->element, a->scope, &rc);
    if (!rc) rc = arm_boundaries(r, a->element, token);
    if (!rc) rc = push(r, el->start, token, -1);
    return rc;
  case BPMN_CATCH_TIMER:
    token = new_token(r, a->element, a->scope, &rc);
    return rc ? rc : arm_timer(r, token, a->element);
  case BPMN_CATCH_MESSAGE:
    token = new_token(r, a->element, a->scope, &rc);
    return rc ? rc : subscribe(r, token, a->element);
  case BPMN_BOUNDARY_TIMER:
  case BPMN_BOUNDARY_MESSAGE: return leave(r, a->element, a->scope);
  }
  return 0;
}

/* Works through the queue, within the step budget. */
static int drain(struct run *r) {
  int rc = 0;
  while (!rc && r->head < r->tail) {
    struct arrival a = r->queue[r->head++];
    if (a.element < 0) continue;
    if (++r->steps > ENGINE_STEP_BUDGET) {
      /* An automatic loop: what is still queued is held under one incident. */
      char msg[300];
      snprintf(msg, sizeof msg, "plus de %d étapes automatiques d'affilée : boucle sans attente probable (dernier élément %s)",
               ENGINE_STEP_BUDGET, r->m->elements[a.element].id);
      rc = incident(r, 0, a.element, "loop", msg);
      for (int i = r->head - 1; !rc && i < r->tail; i++) {
        if (r->queue[i].element < 0) continue;
        int64_t t = new_token(r, r->queue[i].element, r->queue[i].scope, &rc);
        if (!rc) rc = exec_id(r, "UPDATE token SET incident = 1 WHERE id = ?", t, "incident");
      }
      r->head = r->tail;
      break;
    }
    rc = enter(r, &a);
  }
  r->e->steps += r->steps;
  return rc;
}

/* Loads instance `id` into a run. */
static int load(struct run *r, struct engine *e, const struct user *actor, int64_t id, int64_t now) {
  memset(r, 0, sizeof *r);
  r->e = e;
  r->db = e->db;
  r->actor = actor;
  r->instance = id;
  r->now = now;
  sqlite3_stmt *st;
  int rc = db_prepare(&st, e->db, "SELECT version, coalesce(request, 0), state, variables FROM instance WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    r->version = sqlite3_column_int64(st, 0);
    r->request = sqlite3_column_int64(st, 1);
    if (strcmp(db_col_text(st, 2), "active") != 0)
      rc = err_set(ERR_CONFLICT, NULL, "l'instance %lld est terminée", (long long)id);
    r->vars = json_loads(db_col_text(st, 3), 0, NULL);
    if (!json_is_object(r->vars)) {
      json_decref(r->vars);
      r->vars = json_object();
    }
  } else {
    rc = s == SQLITE_DONE ? err_set(ERR_NOTFOUND, "instance", "instance inconnue : %lld", (long long)id)
                          : db_fail(e->db, s, "lecture d'une instance");
  }
  db_done(st);
  if (!rc) rc = engine_model(&r->m, e, r->version);
  return rc;
}

/* Saves the variables if changed and frees the run. */
static int finish(struct run *r, int rc) {
  if (!rc && r->vars_dirty) {
    char *text = json_dumps(r->vars, JSON_COMPACT);
    sqlite3_stmt *st;
    if (!text) rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    else if (!(rc = db_prepare(&st, r->db, "UPDATE instance SET variables = ? WHERE id = ?"))) {
      db_bind_text(st, 1, text);
      sqlite3_bind_int64(st, 2, r->instance);
      rc = step_done(r->db, st, "variables");
    }
    free(text);
  }
  json_decref(r->vars);
  free(r->queue);
  return rc;
}

static void merge(struct run *r, json_t *vars) {
  if (json_is_object(vars) && json_object_size(vars)) {
    json_object_update(r->vars, vars);
    r->vars_dirty = 1;
  }
}

int engine_start_tx(int64_t *instance, struct engine *e, const struct user *actor, int64_t version, int64_t request,
                    json_t *vars, int64_t now) {
  struct run r;
  memset(&r, 0, sizeof r);
  r.e = e;
  r.db = e->db;
  r.actor = actor;
  r.now = now;
  r.version = version;
  r.request = request;
  int rc = engine_model(&r.m, e, version);
  if (rc) return rc;
  if (vars && !json_is_object(vars)) return err_set(ERR_INVALID, "variables", "les variables sont un objet JSON");
  r.vars = vars ? json_deep_copy(vars) : json_object();
  char *text = json_dumps(r.vars, JSON_COMPACT);
  sqlite3_stmt *st;
  if (!text) rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  else if (!(rc = db_prepare(&st, e->db, "INSERT INTO instance (version, request, state, variables, started_at) "
                                         "VALUES (?, ?, 'active', ?, ?)"))) {
    sqlite3_bind_int64(st, 1, version);
    if (request) sqlite3_bind_int64(st, 2, request);
    db_bind_text(st, 3, text);
    sqlite3_bind_int64(st, 4, now);
    rc = step_done(e->db, st, "création d'une instance");
  }
  free(text);
  if (!rc) {
    r.instance = sqlite3_last_insert_rowid(db_sqlite(e->db));
    rc = journal(&r, "workflow.started", json_pack("{s:s, s:I}", "process", r.m->process_id, "version", (json_int_t)version));
  }
  if (!rc) rc = push(&r, r.m->start, 0, -1);
  if (!rc) rc = drain(&r);
  if (!rc && instance) *instance = r.instance;
  return finish(&r, rc);
}

/* Runs fn inside a write transaction with retries (db_write). */
struct trigger {
  struct engine *e;
  const struct user *actor;
  int64_t id;
  const char *name;
  json_t *vars;
  int64_t now;
  int done;
};

static int complete_tx(struct db *db, void *arg) {
  struct trigger *t = arg;
  struct run r;
  sqlite3_stmt *st;
  int64_t instance = 0, token = 0;
  char assignee[256] = "", element[128] = "";
  int rc = db_prepare(&st, db, "SELECT instance, coalesce(token, 0), state, assignee, element FROM task WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, t->id);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    instance = sqlite3_column_int64(st, 0);
    token = sqlite3_column_int64(st, 1);
    if (strcmp(db_col_text(st, 2), "open") != 0) rc = err_set(ERR_CONFLICT, NULL, "la tâche %lld n'est plus ouverte", (long long)t->id);
    snprintf(assignee, sizeof assignee, "%s", db_col_text(st, 3) ? db_col_text(st, 3) : "");
    snprintf(element, sizeof element, "%s", db_col_text(st, 4));
  } else {
    rc = s == SQLITE_DONE ? err_set(ERR_NOTFOUND, "task", "tâche inconnue : %lld", (long long)t->id)
                          : db_fail(db, s, "lecture d'une tâche");
  }
  db_done(st);
  if (rc) return rc;
  if (assignee[0] && strcasecmp(assignee, t->actor->email) != 0 && t->actor->role != ROLE_ADMIN &&
      t->actor->role != ROLE_COORDINATOR)
    return err_set(ERR_FORBIDDEN, NULL, "la tâche %lld est attribuée à %s", (long long)t->id, assignee);
  if (!token) return err_set(ERR_CONFLICT, NULL, "la tâche %lld n'a plus de jeton", (long long)t->id);
  if ((rc = load(&r, t->e, t->actor, instance, t->now))) return finish(&r, rc);
  merge(&r, t->vars);
  int64_t scope;
  int el;
  if (!(rc = token_info(&r, token, &scope, &el)) &&
      !(rc = db_prepare(&st, db, "UPDATE task SET state = 'completed', token = NULL, ended_at = ?, ended_by = ? WHERE id = ?"))) {
    sqlite3_bind_int64(st, 1, t->now);
    db_bind_text(st, 2, t->actor->email);
    sqlite3_bind_int64(st, 3, t->id);
    rc = step_done(db, st, "fin de tâche");
  }
  if (!rc) rc = journal(&r, "workflow.task_completed", json_pack("{s:I, s:s, s:s}", "task", (json_int_t)t->id, "element",
                                                               element, "by", t->actor->email));
  if (!rc) rc = cancel_token(&r, token, NULL);
  if (!rc) rc = leave(&r, el, scope);
  if (!rc) rc = drain(&r);
  return finish(&r, rc);
}

int engine_complete_task(struct engine *e, const struct user *actor, int64_t task, json_t *vars, int64_t now) {
  if (vars && !json_is_object(vars)) return err_set(ERR_INVALID, "variables", "les variables sont un objet JSON");
  struct trigger t = {e, actor, task, NULL, vars, now, 0};
  return db_write(e->db, complete_tx, &t);
}

/* The event `element` (boundary or catch) held by `token` happened. */
static int event_happened(struct run *r, int64_t token, int element, const char *reason) {
  const struct bpmn_element *el = &r->m->elements[element];
  int64_t scope;
  int held, rc = token_info(r, token, &scope, &held);
  if (rc) return rc;
  if (el->kind == BPMN_CATCH_TIMER || el->kind == BPMN_CATCH_MESSAGE) {
    if ((rc = cancel_token(r, token, NULL))) return rc;
    return leave(r, element, scope);
  }
  if (el->interrupting && (rc = cancel_token(r, token, reason))) return rc;
  return leave(r, element, scope);
}

static int deliver_tx(struct db *db, void *arg) {
  struct trigger *t = arg;
  struct run r;
  int rc = load(&r, t->e, t->actor, t->id, t->now);
  if (rc) return finish(&r, rc);
  sqlite3_stmt *st;
  int64_t sub = 0, token = 0;
  char element[128] = "";
  if (!(rc = db_prepare(&st, db, "SELECT id, token, element FROM subscription WHERE instance = ? AND message = ? "
                                 "ORDER BY id LIMIT 1"))) {
    sqlite3_bind_int64(st, 1, t->id);
    db_bind_text(st, 2, t->name);
    if (sqlite3_step(st) == SQLITE_ROW) {
      sub = sqlite3_column_int64(st, 0);
      token = sqlite3_column_int64(st, 1);
      snprintf(element, sizeof element, "%s", db_col_text(st, 2));
    }
    db_done(st);
  }
  if (!rc && !sub)
    rc = err_set(ERR_CONFLICT, "message", "l'instance %lld n'attend pas le message « %s » en ce moment", (long long)t->id,
                 t->name);
  int el = rc ? -1 : bpmn_find(r.m, element);
  if (!rc && el < 0) rc = err_set(ERR_INTERNAL, NULL, "événement %s absent de la version", element);
  if (!rc) {
    merge(&r, t->vars);
    rc = journal(&r, "workflow.message", json_pack("{s:s, s:s}", "message", t->name, "element", element));
  }
  if (!rc) rc = exec_id(&r, "DELETE FROM subscription WHERE id = ?", sub, "abonnement");
  if (!rc) rc = event_happened(&r, token, el, "message");
  if (!rc) rc = drain(&r);
  return finish(&r, rc);
}

/* The arguments of a message: a name, and variables that are an object. */
static int check_message(const char *name, const json_t *vars) {
  if (!name || !*name) return err_set(ERR_INVALID, "message", "nom du message manquant");
  if (vars && !json_is_object(vars)) return err_set(ERR_INVALID, "variables", "les variables sont un objet JSON");
  return 0;
}

int engine_deliver(struct engine *e, const struct user *actor, int64_t instance, const char *name, json_t *vars,
                   int64_t now) {
  int rc = check_message(name, vars);
  if (rc) return rc;
  struct trigger t = {e, actor, instance, name, vars, now, 0};
  return db_write(e->db, deliver_tx, &t);
}

int engine_deliver_tx(struct engine *e, const struct user *actor, int64_t instance, const char *name, json_t *vars,
                      int64_t now) {
  /* Same checks as engine_deliver(), then its work in the caller's transaction. */
  int rc = check_message(name, vars);
  if (rc) return rc;
  struct trigger t = {e, actor, instance, name, vars, now, 0};
  return deliver_tx(e->db, &t);
}

static int fire_tx(struct db *db, void *arg) {
  struct trigger *t = arg;
  sqlite3_stmt *st;
  int64_t instance = 0, token = 0, due = 0;
  int repeats = 0;
  char element[128] = "";
  t->done = 0;
  char value[256] = "";
  int rc = db_prepare(&st, db, "SELECT instance, token, element, due_at, repeats, value FROM timer WHERE id = ? AND due_at <= ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, t->id);
  sqlite3_bind_int64(st, 2, t->now);
  if (sqlite3_step(st) == SQLITE_ROW) {
    instance = sqlite3_column_int64(st, 0);
    token = sqlite3_column_int64(st, 1);
    snprintf(element, sizeof element, "%s", db_col_text(st, 2));
    due = sqlite3_column_int64(st, 3);
    repeats = sqlite3_column_int(st, 4);
    if (db_col_text(st, 5)) snprintf(value, sizeof value, "%s", db_col_text(st, 5));
  }
  db_done(st);
  if (!instance) return 0; /* fired or cancelled meanwhile */
  struct run r;
  if ((rc = load(&r, t->e, t->actor, instance, t->now))) return finish(&r, rc);
  int el = bpmn_find(r.m, element);
  if (el < 0) return finish(&r, err_set(ERR_INTERNAL, NULL, "minuteur %s absent de la version", element));
  const struct bpmn_element *ev = &r.m->elements[el];
  if (ev->kind == BPMN_BOUNDARY_TIMER && !ev->interrupting && repeats > 1) {
    struct timer_spec spec = ev->timer;
    char why[256];
    /* A cycle read from a variable keeps the value read when armed. */
    if (spec.from_path && (timer_parse(&spec, TIMER_CYCLE, value, why, sizeof why) || spec.from_path))
      return finish(&r, err_set(ERR_INTERNAL, NULL, "minuteur %s : valeur « %s » illisible", element, value));
    if (!(rc = db_prepare(&st, db, "UPDATE timer SET due_at = ?, repeats = repeats - 1 WHERE id = ?"))) {
      sqlite3_bind_int64(st, 1, timer_next_due(&spec, due, t->now));
      sqlite3_bind_int64(st, 2, t->id);
      rc = step_done(db, st, "minuteur");
    }
  } else {
    rc = exec_id(&r, "DELETE FROM timer WHERE id = ?", t->id, "minuteur");
  }
  if (!rc) rc = journal(&r, "workflow.timer_fired", json_pack("{s:s}", "element", element));
  if (!rc) rc = event_happened(&r, token, el, "timeout");
  if (!rc) rc = drain(&r);
  t->done = !rc;
  return finish(&r, rc);
}

/* Runs `tx` for each row id of `sql` (due ids, oldest first, parameter
 * now) in its own transaction, at most `limit`; *count counts those done. */
static int run_due(int *count, struct engine *e, const struct user *actor, int64_t now, int limit, const char *sql,
                   int (*tx)(struct db *, void *)) {
  int rc = 0, n = 0;
  *count = 0;
  while (!rc && n < limit) {
    int64_t ids[64];
    int k = 0;
    sqlite3_stmt *st;
    if ((rc = db_prepare(&st, e->db, sql))) break;
    sqlite3_bind_int64(st, 1, now);
    while (sqlite3_step(st) == SQLITE_ROW && k < 64) ids[k++] = sqlite3_column_int64(st, 0);
    db_done(st);
    if (!k) break;
    for (int i = 0; i < k && !rc && n < limit; i++) {
      struct trigger t = {e, actor, ids[i], NULL, NULL, now, 0};
      rc = db_write(e->db, tx, &t);
      n++;
      *count += t.done;
    }
  }
  return rc;
}

int engine_fire_timers(int *fired, struct engine *e, const struct user *actor, int64_t now, int limit) {
  return run_due(fired, e, actor, now, limit, "SELECT id FROM timer WHERE due_at <= ? ORDER BY due_at, id LIMIT 64",
                 fire_tx);
}

static int job_tx(struct db *db, void *arg) {
  struct trigger *t = arg;
  sqlite3_stmt *st;
  int64_t instance = 0, token = 0;
  int retries = 0;
  char element[128] = "", type[128] = "";
  t->done = 0;
  int rc = db_prepare(&st, db, "SELECT instance, token, element, type, retries FROM job WHERE id = ? AND due_at <= ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, t->id);
  sqlite3_bind_int64(st, 2, t->now);
  if (sqlite3_step(st) == SQLITE_ROW) {
    instance = sqlite3_column_int64(st, 0);
    token = sqlite3_column_int64(st, 1);
    snprintf(element, sizeof element, "%s", db_col_text(st, 2));
    snprintf(type, sizeof type, "%s", db_col_text(st, 3));
    retries = sqlite3_column_int(st, 4);
  }
  db_done(st);
  if (!instance) return 0;
  struct run r;
  if ((rc = load(&r, t->e, t->actor, instance, t->now))) return finish(&r, rc);
  int el = bpmn_find(r.m, element);
  const struct action *a = action_find(type);
  if (el < 0) return finish(&r, err_set(ERR_INTERNAL, NULL, "travail %lld : élément %s inconnu", (long long)t->id, element));
  if (!a) {
    char msg[300];
    snprintf(msg, sizeof msg, "action « %s » inconnue du registre des actions intégrées", type);
    if (!(rc = db_prepare(&st, db, "UPDATE job SET retries = 0, due_at = 9223372036854775807, error = ? WHERE id = ?"))) {
      db_bind_text(st, 1, msg);
      sqlite3_bind_int64(st, 2, t->id);
      rc = step_done(db, st, "travail");
    }
    if (!rc) rc = incident(&r, token, el, "job", msg);
    t->done = !rc;
    return finish(&r, rc);
  }
  /* The action's writes are undone if it fails. */
  if ((rc = db_exec(db, "SAVEPOINT action"))) return finish(&r, rc);
  json_t *before = json_deep_copy(r.vars);
  int total = r.m->elements[el].retries > 0 ? r.m->elements[el].retries : 1;
  struct action_ctx ctx = {db, t->actor, r.instance, r.request, &r.m->elements[el], r.vars, t->now,
                           total - retries + 1 > 0 ? total - retries + 1 : 1};
  int failed = a->run(&ctx);
  if (failed) {
    char why[400];
    snprintf(why, sizeof why, "%s", err_msg());
    db_exec(db, "ROLLBACK TO action");
    db_exec(db, "RELEASE action");
    json_decref(r.vars);
    r.vars = before;
    r.vars_dirty = 0;
    retries--;
    if (retries > 0) {
      if (!(rc = db_prepare(&st, db, "UPDATE job SET retries = ?, due_at = ?, error = ? WHERE id = ?"))) {
        sqlite3_bind_int(st, 1, retries);
        sqlite3_bind_int64(st, 2, t->now + 10000LL * (r.m->elements[el].retries - retries));
        db_bind_text(st, 3, why);
        sqlite3_bind_int64(st, 4, t->id);
        rc = step_done(db, st, "travail");
      }
      if (!rc) rc = journal(&r, "workflow.job_failed", json_pack("{s:s, s:s, s:i}", "element", element, "error", why,
                                                               "retries", retries));
    } else {
      if (!(rc = db_prepare(&st, db, "UPDATE job SET retries = 0, due_at = 9223372036854775807, error = ? WHERE id = ?"))) {
        db_bind_text(st, 1, why);
        sqlite3_bind_int64(st, 2, t->id);
        rc = step_done(db, st, "travail");
      }
      char msg[700];
      snprintf(msg, sizeof msg, "action %s en échec après toutes ses tentatives : %s", type, why);
      if (!rc) rc = incident(&r, token, el, "job", msg);
    }
    t->done = !rc;
    return finish(&r, rc);
  }
  json_decref(before);
  r.vars_dirty = 1;
  if ((rc = db_exec(db, "RELEASE action"))) return finish(&r, rc);
  int64_t scope;
  int held;
  if (!(rc = token_info(&r, token, &scope, &held))) rc = cancel_token(&r, token, NULL);
  if (!rc) rc = leave(&r, el, scope);
  if (!rc) rc = drain(&r);
  t->done = !rc;
  return finish(&r, rc);
}

int engine_run_jobs(int *ran, struct engine *e, const struct user *actor, int64_t now, int limit) {
  return run_due(ran, e, actor, now, limit, "SELECT id FROM job WHERE due_at <= ? ORDER BY due_at, id LIMIT 64", job_tx);
}

int engine_tick(int *timers, int *jobs, struct engine *e, const struct user *actor, int64_t now) {
  int rc = 0, total_t = 0, total_j = 0;
  for (int round = 0; round < 100 && !rc; round++) {
    int t = 0, j = 0;
    rc = engine_fire_timers(&t, e, actor, now, 10000);
    if (!rc) rc = engine_run_jobs(&j, e, actor, now, 10000);
    total_t += t;
    total_j += j;
    if (!t && !j) break;
  }
  if (timers) *timers = total_t;
  if (jobs) *jobs = total_j;
  return rc;
}

static int retry_tx(struct db *db, void *arg) {
  struct trigger *t = arg;
  sqlite3_stmt *st;
  int64_t instance = 0, token = 0;
  char kind[32] = "", element[128] = "";
  int open = 0;
  int rc = db_prepare(&st, db, "SELECT instance, coalesce(token, 0), kind, element, resolved_at IS NULL FROM incident WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, t->id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    instance = sqlite3_column_int64(st, 0);
    token = sqlite3_column_int64(st, 1);
    snprintf(kind, sizeof kind, "%s", db_col_text(st, 2));
    snprintf(element, sizeof element, "%s", db_col_text(st, 3));
    open = sqlite3_column_int(st, 4);
  }
  db_done(st);
  if (!instance) return err_set(ERR_NOTFOUND, "incident", "incident inconnu : %lld", (long long)t->id);
  if (!open) return err_set(ERR_CONFLICT, NULL, "l'incident %lld est déjà résolu", (long long)t->id);
  struct run r;
  if ((rc = load(&r, t->e, t->actor, instance, t->now))) return finish(&r, rc);
  if ((rc = db_prepare(&st, db, "UPDATE incident SET resolved_at = ? WHERE id = ?"))) return finish(&r, rc);
  sqlite3_bind_int64(st, 1, t->now);
  sqlite3_bind_int64(st, 2, t->id);
  if ((rc = step_done(db, st, "incident"))) return finish(&r, rc);
  rc = journal(&r, "workflow.incident_retried", json_pack("{s:I, s:s}", "incident", (json_int_t)t->id, "element", element));
  if (!rc && strcmp(kind, "timer") == 0 && token) {
    /* The timer is armed again, reading its variable anew (a new incident
     * if it is still wrong). */
    int el = bpmn_find(r.m, element);
    if (el < 0) rc = err_set(ERR_INTERNAL, NULL, "minuteur %s absent de la version", element);
    else rc = arm_timer(&r, token, el);
  } else if (!rc && strcmp(kind, "job") == 0 && token) {
    /* One more attempt now. */
    if (!(rc = db_prepare(&st, db, "UPDATE job SET retries = 1, due_at = ? WHERE token = ?"))) {
      sqlite3_bind_int64(st, 1, t->now);
      sqlite3_bind_int64(st, 2, token);
      rc = step_done(db, st, "travail");
    }
  } else if (!rc) {
    /* Tokens held by the engine (gateway conditions, loops) start again
     * from their element; their incidents are closed (a new one is raised
     * if the cause remains). */
    if (!(rc = db_prepare(&st, db, "UPDATE incident SET resolved_at = ? WHERE instance = ? AND resolved_at IS NULL "
                                   "AND kind IN ('condition', 'loop')"))) {
      sqlite3_bind_int64(st, 1, t->now);
      sqlite3_bind_int64(st, 2, instance);
      rc = step_done(db, st, "incidents");
    }
    if (!rc && !(rc = db_prepare(&st, db, "SELECT id, coalesce(scope, 0), element FROM token WHERE instance = ? AND incident = 1"))) {
      sqlite3_bind_int64(st, 1, instance);
      int64_t ids[256], scopes[256];
      int els[256], n = 0;
      while (sqlite3_step(st) == SQLITE_ROW && n < 256) {
        ids[n] = sqlite3_column_int64(st, 0);
        scopes[n] = sqlite3_column_int64(st, 1);
        els[n] = bpmn_find(r.m, db_col_text(st, 2));
        n++;
      }
      db_done(st);
      for (int i = 0; i < n && !rc; i++) {
        if (els[i] < 0) continue;
        rc = exec_id(&r, "UPDATE incident SET token = NULL WHERE token = ?", ids[i], "incident");
        if (!rc) rc = exec_id(&r, "DELETE FROM token WHERE id = ?", ids[i], "jeton");
        if (!rc) rc = push(&r, els[i], scopes[i], -1);
      }
    }
    if (!rc) rc = drain(&r);
  }
  return finish(&r, rc);
}

int engine_retry(struct engine *e, const struct user *actor, int64_t incident_id, int64_t now) {
  struct trigger t = {e, actor, incident_id, NULL, NULL, now, 0};
  return db_write(e->db, retry_tx, &t);
}

int engine_instances(json_t **out, struct db *db, const char *process) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      "SELECT i.id, v.process, v.version, r.ref, i.state, "
                      "(SELECT json_group_array(element) FROM token t WHERE t.instance = i.id), "
                      "(SELECT count(*) FROM incident n WHERE n.instance = i.id AND n.resolved_at IS NULL) "
                      "FROM instance i JOIN process_version v ON v.id = i.version LEFT JOIN request r ON r.id = i.request "
                      "WHERE ?1 IS NULL OR v.process = ?1 ORDER BY i.id");
  if (rc) return rc;
  db_bind_text(st, 1, process);
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:I, s:s, s:i, s:s?, s:s, s:o, s:I}", "id",
                                         (json_int_t)sqlite3_column_int64(st, 0), "process", db_col_text(st, 1),
                                         "version", sqlite3_column_int(st, 2), "request", db_col_text(st, 3), "state",
                                         db_col_text(st, 4), "waiting", json_loads(db_col_text(st, 5), 0, NULL),
                                         "incidents", (json_int_t)sqlite3_column_int64(st, 6)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des instances");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}

int engine_tasks(json_t **out, struct db *db, int64_t instance) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      "SELECT t.id, t.instance, r.ref, t.element, t.name, t.assignee, t.candidate_groups, t.statut, "
                      "appui_time(t.created_at) FROM task t JOIN instance i ON i.id = t.instance "
                      "LEFT JOIN request r ON r.id = i.request WHERE t.state = 'open' AND (?1 = 0 OR t.instance = ?1) "
                      "ORDER BY t.id");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, instance);
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:I, s:I, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s}", "id",
                                         (json_int_t)sqlite3_column_int64(st, 0), "instance",
                                         (json_int_t)sqlite3_column_int64(st, 1), "request", db_col_text(st, 2),
                                         "element", db_col_text(st, 3), "name", db_col_text(st, 4), "assignee",
                                         db_col_text(st, 5), "candidate_groups", db_col_text(st, 6), "statut",
                                         db_col_text(st, 7), "created_at", db_col_text(st, 8)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des tâches");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}

int engine_incidents(json_t **out, struct db *db) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      "SELECT n.id, n.instance, r.ref, n.element, n.kind, n.message, appui_time(n.created_at) "
                      "FROM incident n JOIN instance i ON i.id = n.instance LEFT JOIN request r ON r.id = i.request "
                      "WHERE n.resolved_at IS NULL ORDER BY n.id");
  if (rc) return rc;
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:I, s:I, s:s?, s:s, s:s, s:s, s:s}", "id",
                                         (json_int_t)sqlite3_column_int64(st, 0), "instance",
                                         (json_int_t)sqlite3_column_int64(st, 1), "request", db_col_text(st, 2),
                                         "element", db_col_text(st, 3), "kind", db_col_text(st, 4), "message",
                                         db_col_text(st, 5), "created_at", db_col_text(st, 6)));
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des incidents");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}
