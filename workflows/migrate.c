/* migrate — moving instances between versions (see migrate.h). */
#include "migrate.h"
#include "bpmn.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "journal.h"
#include "user.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plan {
  struct db *db;
  const struct bpmn_model *a, *b; /* from, to */
  const json_t *explicit;
  json_t *problems;
  json_t *mapping; /* effective element and flow mapping, for the report */
};

__attribute__((format(printf, 2, 3))) static void problem(struct plan *p, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_array_append_new(p->problems, json_string(msg));
}

/* Target element index of source element `i`, or -1. */
static int map_element(struct plan *p, int i) {
  const char *id = p->a->elements[i].id;
  const char *to = json_string_value(json_object_get(p->explicit, id));
  if (to) return bpmn_find(p->b, to);
  int j = bpmn_find(p->b, id);
  return j >= 0 && p->b->elements[j].kind == p->a->elements[i].kind ? j : -1;
}

static int flow_index(const struct bpmn_model *m, const char *id) {
  for (int f = 0; f < m->n_flows; f++)
    if (strcmp(m->flows[f].id, id) == 0) return f;
  return -1;
}

/* Target flow of source flow `id` (explicit, else the same id), or -1. */
static int map_flow(struct plan *p, const char *id) {
  const char *to = json_string_value(json_object_get(p->explicit, id));
  return flow_index(p->b, to ? to : id);
}

/* Checks element `i` (active in the instance) and records its mapping. */
static int check_element(struct plan *p, int i, const char *why) {
  const struct bpmn_element *s = &p->a->elements[i];
  int j = map_element(p, i);
  if (j < 0) {
    problem(p, "%s (%s, %s) n'a pas d'équivalent dans la version cible : associez-le (--map %s=ID)", s->id,
            bpmn_kind_name(s->kind), why, s->id);
    return -1;
  }
  const struct bpmn_element *t = &p->b->elements[j];
  json_object_set_new(p->mapping, s->id, json_string(t->id));
  if (s->kind != t->kind) {
    problem(p, "%s (%s) ne peut devenir %s (%s) : les types diffèrent", s->id, bpmn_kind_name(s->kind), t->id,
            bpmn_kind_name(t->kind));
    return -1;
  }
  int ps = s->scope, pt = t->scope;
  int mapped_parent = ps < 0 ? -1 : map_element(p, ps);
  if ((ps < 0) != (pt < 0) || (ps >= 0 && mapped_parent != pt))
    problem(p, "%s change de portée (%s → %s) : le sous-processus parent doit rester le même", s->id,
            ps < 0 ? "processus" : p->a->elements[ps].id, pt < 0 ? "processus" : p->b->elements[pt].id);
  return j;
}

struct plan_row {
  int64_t id;
  char element[128];
  char flow[128];
};

/* Reads (id, element[, flow]) rows of `sql` for the instance. */
static int rows(struct plan_row **out, int *n, struct db *db, const char *sql, int64_t instance) {
  sqlite3_stmt *st;
  *out = NULL;
  *n = 0;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, instance);
  int cap = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      struct plan_row *q = realloc(*out, (size_t)cap * sizeof *q);
      if (!q) {
        rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
        break;
      }
      *out = q;
    }
    struct plan_row *r = &(*out)[(*n)++];
    r->id = sqlite3_column_int64(st, 0);
    snprintf(r->element, sizeof r->element, "%s", db_col_text(st, 1));
    snprintf(r->flow, sizeof r->flow, "%s", sqlite3_column_count(st) > 2 && db_col_text(st, 2) ? db_col_text(st, 2) : "");
  }
  db_done(st);
  return rc;
}

static int update_element(struct db *db, const char *sql, const char *to, int64_t id) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  db_bind_text(st, 1, to);
  sqlite3_bind_int64(st, 2, id);
  int s = sqlite3_step(st);
  db_done(st);
  return s == SQLITE_DONE ? 0 : db_fail(db, s, "migration");
}

struct job {
  struct engine *e;
  const struct user *actor;
  int64_t instance, target, now;
  const json_t *mapping;
  int dry_run;
  json_t *report;
};

static int migrate_tx(struct db *db, void *arg) {
  struct job *jb = arg;
  struct plan p = {db, NULL, NULL, jb->mapping, json_array(), json_object()};
  struct plan_row *tokens = NULL, *timers = NULL, *subs = NULL, *arrivals = NULL;
  int n_tokens = 0, n_timers = 0, n_subs = 0, n_arrivals = 0;
  int64_t from = 0;
  int rc = 0, at_rest = 1;
  char state[32] = "";
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT version, state, (SELECT count(*) FROM job WHERE instance = ?1 AND due_at <= ?2) "
                                "FROM instance WHERE id = ?1")))
    goto done;
  sqlite3_bind_int64(st, 1, jb->instance);
  sqlite3_bind_int64(st, 2, jb->now);
  if (sqlite3_step(st) == SQLITE_ROW) {
    from = sqlite3_column_int64(st, 0);
    snprintf(state, sizeof state, "%s", db_col_text(st, 1));
    at_rest = sqlite3_column_int(st, 2) == 0;
  }
  db_done(st);
  if (!from) {
    rc = err_set(ERR_NOTFOUND, "instance", "instance inconnue : %lld", (long long)jb->instance);
    goto done;
  }
  if (strcmp(state, "active") != 0) {
    rc = err_set(ERR_CONFLICT, "instance", "l'instance %lld est terminée : rien à migrer", (long long)jb->instance);
    goto done;
  }
  if ((rc = engine_model(&p.a, jb->e, from)) || (rc = engine_model(&p.b, jb->e, jb->target))) goto done;
  if (strcmp(p.a->process_id, p.b->process_id) != 0) {
    rc = err_set(ERR_INVALID, "version", "la version cible est celle d'un autre processus (%s, pas %s)", p.b->process_id,
                 p.a->process_id);
    goto done;
  }
  if (from == jb->target) problem(&p, "l'instance est déjà sur cette version");
  if (!at_rest) problem(&p, "l'instance n'est pas au repos : un travail est en attente d'exécution (relancez après appui workflow tick)");
  /* Explicit entries must name something of each version. */
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)jb->mapping, key, val) {
    if (!json_is_string(val)) {
      problem(&p, "association de %s : un identifiant est attendu", key);
      continue;
    }
    if (bpmn_find(p.a, key) < 0 && flow_index(p.a, key) < 0) problem(&p, "%s n'existe pas dans la version source", key);
    if (bpmn_find(p.b, json_string_value(val)) < 0 && flow_index(p.b, json_string_value(val)) < 0)
      problem(&p, "%s n'existe pas dans la version cible", json_string_value(val));
  }
  if ((rc = rows(&tokens, &n_tokens, db, "SELECT id, element FROM token WHERE instance = ?", jb->instance)) ||
      (rc = rows(&timers, &n_timers, db, "SELECT id, element FROM timer WHERE instance = ?", jb->instance)) ||
      (rc = rows(&subs, &n_subs, db, "SELECT id, element FROM subscription WHERE instance = ?", jb->instance)) ||
      (rc = rows(&arrivals, &n_arrivals, db, "SELECT tokens, gateway, flow FROM arrival WHERE instance = ?", jb->instance)))
    goto done;
  for (int k = 0; k < n_tokens; k++) {
    int i = bpmn_find(p.a, tokens[k].element);
    if (i >= 0) check_element(&p, i, "actif");
  }
  /* Events with timers or subscriptions: mapped (or dropped), never two on one target. */
  json_t *targets = json_object();
  for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < (pass ? n_subs : n_timers); k++) {
      struct plan_row *r = pass ? &subs[k] : &timers[k];
      int i = bpmn_find(p.a, r->element);
      int j = i < 0 ? -1 : map_element(&p, i);
      if (j < 0) continue; /* unmapped: deleted */
      const char *to = p.b->elements[j].id;
      const char *seen = json_string_value(json_object_get(targets, to));
      if (seen && strcmp(seen, r->element) != 0)
        problem(&p, "%s et %s seraient associés au même événement %s : un seul au plus", seen, r->element, to);
      json_object_set_new(targets, to, json_string(r->element));
      if (p.a->elements[i].kind != p.b->elements[j].kind)
        problem(&p, "%s (%s) ne peut devenir %s (%s) : les types diffèrent", r->element,
                bpmn_kind_name(p.a->elements[i].kind), to, bpmn_kind_name(p.b->elements[j].kind));
      else json_object_set_new(p.mapping, r->element, json_string(to));
    }
  json_decref(targets);
  /* Joins holding tokens. */
  for (int k = 0; k < n_arrivals; k++) {
    int i = bpmn_find(p.a, arrivals[k].element);
    int j = i < 0 ? -1 : check_element(&p, i, "jonction avec jetons arrivés");
    if (j < 0) continue;
    int f = map_flow(&p, arrivals[k].flow);
    int holding = 0;
    for (int q = 0; q < n_arrivals; q++) holding += strcmp(arrivals[q].element, arrivals[k].element) == 0;
    if (p.b->elements[j].n_incoming < holding)
      problem(&p, "la jonction %s de la version cible a %d flux entrants, moins que les %d qui portent déjà des jetons",
              p.b->elements[j].id, p.b->elements[j].n_incoming, holding);
    if (f < 0 || p.b->flows[f].target != j)
      problem(&p, "le flux %s (jetons arrivés à %s) n'a pas d'équivalent entrant dans %s : associez-le (--map %s=FLUX)",
              arrivals[k].flow, arrivals[k].element, p.b->elements[j].id, arrivals[k].flow);
    else json_object_set_new(p.mapping, arrivals[k].flow, json_string(p.b->flows[f].id));
  }
  if (json_array_size(p.problems)) {
    rc = err_set(ERR_INVALID, "mapping", "migration de l'instance %lld refusée : %s%s", (long long)jb->instance,
                 json_string_value(json_array_get(p.problems, 0)),
                 json_array_size(p.problems) > 1 ? " (et d'autres problèmes)" : "");
    goto done;
  }
  if (jb->dry_run) goto done;
  /* Apply. */
  for (int k = 0; k < n_tokens && !rc; k++) {
    const char *to = json_string_value(json_object_get(p.mapping, tokens[k].element));
    rc = update_element(db, "UPDATE token SET element = ? WHERE id = ?", to, tokens[k].id);
    if (!rc) rc = update_element(db, "UPDATE task SET element = ? WHERE token = ? AND state = 'open'", to, tokens[k].id);
    if (!rc) rc = update_element(db, "UPDATE job SET element = ? WHERE token = ?", to, tokens[k].id);
  }
  for (int k = 0; k < n_timers && !rc; k++) {
    const char *to = json_string_value(json_object_get(p.mapping, timers[k].element));
    if (to) rc = update_element(db, "UPDATE timer SET element = ? WHERE id = ?", to, timers[k].id);
    else rc = update_element(db, "DELETE FROM timer WHERE element = ? AND id = ?", timers[k].element, timers[k].id);
  }
  for (int k = 0; k < n_subs && !rc; k++) {
    const char *to = json_string_value(json_object_get(p.mapping, subs[k].element));
    int j = to ? bpmn_find(p.b, to) : -1;
    if (j >= 0) {
      rc = update_element(db, "UPDATE subscription SET element = ? WHERE id = ?", to, subs[k].id);
      if (!rc) rc = update_element(db, "UPDATE subscription SET message = ? WHERE id = ?", p.b->elements[j].message, subs[k].id);
    } else {
      rc = update_element(db, "DELETE FROM subscription WHERE element = ? AND id = ?", subs[k].element, subs[k].id);
    }
  }
  for (int k = 0; k < n_arrivals && !rc; k++) {
    if ((rc = db_prepare(&st, db, "UPDATE arrival SET gateway = ?, flow = ? WHERE instance = ? AND gateway = ? AND flow = ?")))
      break;
    db_bind_text(st, 1, json_string_value(json_object_get(p.mapping, arrivals[k].element)));
    db_bind_text(st, 2, json_string_value(json_object_get(p.mapping, arrivals[k].flow)));
    sqlite3_bind_int64(st, 3, jb->instance);
    db_bind_text(st, 4, arrivals[k].element);
    db_bind_text(st, 5, arrivals[k].flow);
    int s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "migration des jonctions");
  }
  if (!rc && !(rc = db_prepare(&st, db, "UPDATE instance SET version = ? WHERE id = ?"))) {
    sqlite3_bind_int64(st, 1, jb->target);
    sqlite3_bind_int64(st, 2, jb->instance);
    int s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "migration");
  }
  /* Boundary events of the target without a source are armed now. */
  for (int k = 0; k < n_tokens && !rc; k++) {
    const char *to = json_string_value(json_object_get(p.mapping, tokens[k].element));
    int j = bpmn_find(p.b, to);
    for (int q = 0; j >= 0 && q < p.b->elements[j].n_boundaries && !rc; q++) {
      int bnd = p.b->elements[j].boundaries[q];
      int sourced = 0;
      const char *k2;
      json_t *v2;
      json_object_foreach(p.mapping, k2, v2) sourced |= strcmp(json_string_value(v2), p.b->elements[bnd].id) == 0;
      if (!sourced) rc = engine_arm_tx(jb->e, jb->actor, jb->instance, jb->target, tokens[k].id, bnd, jb->now);
    }
  }
  if (!rc) {
    int64_t request = 0;
    if (!(rc = db_prepare(&st, db, "SELECT coalesce(request, 0) FROM instance WHERE id = ?"))) {
      sqlite3_bind_int64(st, 1, jb->instance);
      if (sqlite3_step(st) == SQLITE_ROW) request = sqlite3_column_int64(st, 0);
      db_done(st);
    }
    json_t *data = json_pack("{s:I, s:I, s:I, s:O}", "instance", (json_int_t)jb->instance, "from", (json_int_t)from, "to",
                             (json_int_t)jb->target, "mapping", p.mapping);
    if (!rc) rc = journal_append_at(db, jb->actor, request, "workflow.migrated", data, jb->now);
    json_decref(data);
  }
done:
  json_decref(jb->report);
  jb->report = json_pack("{s:I, s:I, s:I, s:O, s:O, s:b}", "instance", (json_int_t)jb->instance, "from", (json_int_t)from,
                         "to", (json_int_t)jb->target, "mapping", p.mapping, "problems", p.problems, "applied",
                         !rc && !jb->dry_run);
  json_decref(p.mapping);
  json_decref(p.problems);
  free(tokens);
  free(timers);
  free(subs);
  free(arrivals);
  return rc;
}

int migrate_instance(json_t **report, struct engine *e, const struct user *actor, int64_t instance, int64_t target,
                     const json_t *mapping, int dry_run, int64_t now) {
  *report = NULL;
  if (!user_coordinates(actor))
    return err_set(ERR_FORBIDDEN, NULL, "seules l'administration et la coordination migrent des instances");
  json_t *none = json_object();
  if (mapping && !json_is_object(mapping)) {
    json_decref(none);
    return err_set(ERR_INVALID, "mapping", "l'association est un objet JSON {\"source\": \"cible\"}");
  }
  struct job jb = {e, actor, instance, target, now, mapping ? mapping : none, dry_run, NULL};
  int rc = db_write(engine_db(e), migrate_tx, &jb);
  json_decref(none);
  *report = jb.report;
  return rc;
}
