/* Tests of the default process definitions (workflows/definitions/<process>.bpmn):
 * each file compiles inside the subset without a warning, gives every user
 * task a public `statut`, and carries a complete diagram (a shape for every
 * node, an edge with waypoints joined to both ends for every flow, no shapes
 * on top of each other, the Camunda 8 execution platform) so that Camunda
 * Modeler opens it as drawn. Then every path of each circuit is driven
 * through the engine with an injected clock, on a request whose public
 * status is followed: tasks created, messages delivered, reminders,
 * escalations and closures fired by timers, instances completed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "action.h"
#include "bpmn.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "fixture.h"
#include "wfixture.h"
#include "store.h"
#include "user.h"
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFINITIONS APPUI_SOURCE_DIR "/workflows/definitions/"

static const char *const processes[] = {"demande-appui", "subvention", "inscription-formation"};

static struct wfixture g;
static struct db *base; /* migrated, with the territory: cloned for each test */
static char base_dir[256];

static const int64_t T0 = 1795000000000LL; /* 2026-11-18 12:06 in Paris; no DST change in the next months */
#define MINUTE 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL
#define REQUEST 2026000042LL

/* ---- fixtures ---- */

static int group_setup(void **state) {
  (void)state;
  base = fixture_db(base_dir);
  fixture_territory(base);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(base);
  fixture_rmdir(base_dir);
  return 0;
}

static int setup(void **state) {
  (void)state;
  g.db = fixture_clone(base, g.dir);
  return wfixture_open(&g);
}

static int teardown(void **state) {
  (void)state;
  wfixture_close(&g);
  return 0;
}

/* The bytes of workflows/definitions/<name>.bpmn (free()), length in *len. */
static char *read_definition(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, DEFINITIONS "%s.bpmn", name);
  return fixture_read(path, len);
}

static void print_report(const char *name, const struct bpmn_report *r) {
  for (int i = 0; i < r->n; i++)
    fprintf(stderr, "  %s: %s [%s] %s\n", name, r->items[i].error ? "erreur" : "avertissement", r->items[i].element,
            r->items[i].message);
}

/* Publishes the default definition `name` and returns its version id. */
static int64_t publish(const char *name) {
  size_t len;
  char *xml = read_definition(name, &len);
  int64_t v = wfixture_publish(&g, xml, len);
  free(xml);
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM process_version WHERE id = %lld AND process = '%s'", (long long)v, name);
  assert_int_equal(fixture_int(g.db, sql), 1);
  return v;
}

/* Files request REQUEST and starts an instance of `name` for it with the
 * variables `vars_json` (NULL: none) at `now`. Returns the instance. */
static int64_t start(const char *name, const char *vars_json, int64_t now) {
  int64_t version = publish(name);
  char sql[300];
  snprintf(sql, sizeof sql,
           "INSERT INTO request (id, collectivity, title, description, themes, filed_at, updated_at) "
           "VALUES (%lld, '31001', 'Demande', 'Description', '[\"voirie\"]', %lld, %lld)",
           (long long)REQUEST, (long long)now, (long long)now);
  assert_int_equal(db_exec(g.db, sql), 0);
  json_t *vars = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
  if (vars_json) assert_non_null(vars);
  int64_t id = 0;
  assert_int_equal(db_begin(g.db), 0);
  int rc = engine_start_tx(&id, g.engine, &g.admin, version, REQUEST, vars, now);
  if (rc) {
    db_rollback(g.db);
    fail_msg("start %s: %s", name, err_msg());
  }
  assert_int_equal(db_commit(g.db), 0);
  json_decref(vars);
  return id;
}

__attribute__((format(printf, 1, 2))) static int64_t count(const char *fmt, ...) {
  char sql[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return fixture_int(g.db, sql);
}

/* The text of the one-row, one-column query `sql` with `id` bound to ?1
 * ("" for no row or NULL), in a static buffer. */
static const char *text(const char *sql, int64_t id) {
  static char out[256];
  sqlite3_stmt *st;
  out[0] = 0;
  assert_int_equal(db_prepare(&st, g.db, sql), 0);
  sqlite3_bind_int64(st, 1, id);
  if (sqlite3_step(st) == SQLITE_ROW && db_col_text(st, 0)) snprintf(out, sizeof out, "%s", db_col_text(st, 0));
  db_done(st);
  return out;
}

/* The public status of the request. */
static const char *status(void) { return text("SELECT status FROM request WHERE id = ?1", REQUEST); }

/* Every public status the request went through, in order, from its journal. */
static const char *history(void) {
  return text("SELECT group_concat(s, ' > ') FROM (SELECT json_extract(data, '$.status') AS s FROM event "
              "WHERE type = 'request.status_changed' AND request = ?1 ORDER BY id)",
              REQUEST);
}

static const char *state_of(int64_t instance) { return text("SELECT state FROM instance WHERE id = ?1", instance); }

/* The open task of `instance` at `element` (0 if none). */
static int64_t task_at(int64_t instance, const char *element) {
  return count("SELECT coalesce(max(id), 0) FROM task WHERE instance = %lld AND element = '%s' AND state = 'open'",
               (long long)instance, element);
}

static int64_t open_tasks(int64_t instance) {
  return count("SELECT count(*) FROM task WHERE instance = %lld AND state = 'open'", (long long)instance);
}

/* Lines written by the `log` action of `instance` whose message starts with `prefix`. */
static int64_t logs(int64_t instance, const char *prefix) {
  return count("SELECT count(*) FROM event WHERE type = 'workflow.log' AND json_extract(data, '$.instance') = %lld "
               "AND json_extract(data, '$.message') LIKE '%s%%'",
               (long long)instance, prefix);
}

static int64_t timers(int64_t instance) {
  return count("SELECT count(*) FROM timer WHERE instance = %lld", (long long)instance);
}

static void complete(int64_t instance, const char *element, const char *vars_json, int64_t now) {
  int64_t task = task_at(instance, element);
  if (!task) fail_msg("no open task at %s", element);
  json_t *vars = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
  if (vars_json) assert_non_null(vars);
  if (engine_complete_task(g.engine, &g.admin, task, vars, now)) fail_msg("complete %s: %s", element, err_msg());
  json_decref(vars);
}

static void deliver(int64_t instance, const char *message, const char *vars_json, int64_t now) {
  json_t *vars = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
  if (engine_deliver(g.engine, &g.admin, instance, message, vars, now)) fail_msg("deliver %s: %s", message, err_msg());
  json_decref(vars);
}

static void tick(int64_t now) {
  if (engine_tick(NULL, NULL, g.engine, &g.admin, now)) fail_msg("tick: %s", err_msg());
}

/* The instance ended and left nothing behind, and no incident was raised. */
static void assert_completed(int64_t instance) {
  assert_string_equal(state_of(instance), "completed");
  assert_int_equal(open_tasks(instance), 0);
  assert_int_equal(timers(instance), 0);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld", (long long)instance), 0);
  assert_int_equal(count("SELECT count(*) FROM job WHERE instance = %lld", (long long)instance), 0);
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld", (long long)instance), 0);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld", (long long)instance), 0);
}

/* ---- the files themselves ---- */

/* Compiles definition `name` as the store does; asserts no error and no warning. */
static struct bpmn_model *compile(const char *name, const char *xml, size_t len) {
  struct bpmn_options opt = {name, action_known};
  struct bpmn_model *m = NULL;
  struct bpmn_report r;
  int rc = bpmn_compile(&m, &r, xml, len, &opt);
  if (rc || r.errors || r.warnings) {
    print_report(name, &r);
    fail_msg("%s: %d error(s), %d warning(s): %s", name, r.errors, r.warnings, rc ? err_msg() : "");
  }
  bpmn_report_free(&r);
  assert_non_null(m);
  return m;
}

static void definitions_compile_without_warnings(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof processes / sizeof processes[0]; k++) {
    size_t len;
    char *xml = read_definition(processes[k], &len);
    struct bpmn_model *m = compile(processes[k], xml, len);
    assert_string_equal(m->process_id, processes[k]);
    assert_non_null(m->name);
    int users = 0, services = 0;
    for (int i = 0; i < m->n_elements; i++) {
      const struct bpmn_element *e = &m->elements[i];
      if (!e->name && (e->kind == BPMN_USER_TASK || e->kind == BPMN_SERVICE_TASK))
        fail_msg("%s: task %s has no name", processes[k], e->id);
      if (e->kind == BPMN_USER_TASK) {
        users++;
        const char *statut = bpmn_property(e, "statut");
        if (!statut || !*statut) fail_msg("%s: userTask %s has no statut property", processes[k], e->id);
        if (!e->candidate_groups || !*e->candidate_groups)
          fail_msg("%s: userTask %s has no candidate groups", processes[k], e->id);
      } else if (e->kind == BPMN_SERVICE_TASK) {
        services++;
        assert_true(action_known(e->job_type));
        /* The header each action reads; `match` reads none. */
        const char *key = !strcmp(e->job_type, "set_status") ? "statut"
                          : !strcmp(e->job_type, "dispatch") ? "seuil"
                          : !strcmp(e->job_type, "match")    ? NULL
                                                             : "message";
        const char *value = key ? bpmn_header(e, key) : "-";
        if (!value || !*value) fail_msg("%s: serviceTask %s (%s) has no header %s", processes[k], e->id, e->job_type, key);
      }
    }
    assert_true(users >= 2);
    assert_true(services >= 2);
    bpmn_free(m);
    free(xml);
  }
}

#define NS_BPMNDI "http://www.omg.org/spec/BPMN/20100524/DI"
#define NS_DC "http://www.omg.org/spec/DD/20100524/DC"
#define NS_DI "http://www.omg.org/spec/DD/20100524/DI"
#define NS_MODELER "http://camunda.org/schema/modeler/1.0"

struct box {
  double x, y, w, h;
};

static double num(xmlNode *n, const char *name) {
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  if (!v) fail_msg("attribute %s missing on %s", name, (const char *)n->name);
  double d = atof((const char *)v);
  xmlFree(v);
  return d;
}

/* The result of the XPath expression made from `fmt` (free with
 * xmlXPathFreeObject()). */
__attribute__((format(printf, 2, 3))) static xmlXPathObjectPtr query(xmlXPathContextPtr x, const char *fmt, ...) {
  char path[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof path, fmt, ap);
  va_end(ap);
  xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)path, x);
  if (!o) fail_msg("xpath %s", path);
  return o;
}

static int nodes(xmlXPathObjectPtr o) { return o->nodesetval ? o->nodesetval->nodeNr : 0; }

/* 1 if (px, py) lies on the border of `b` (1 px of tolerance). */
static int on_border(double px, double py, struct box b) {
  int near = px >= b.x - 1 && px <= b.x + b.w + 1 && py >= b.y - 1 && py <= b.y + b.h + 1;
  int inside = px > b.x + 1 && px < b.x + b.w - 1 && py > b.y + 1 && py < b.y + b.h - 1;
  return near && !inside;
}

static int overlap(struct box a, struct box b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/* 1 if element `a` lies (at any depth) inside subProcess `s`. */
static int inside(const struct bpmn_model *m, int a, int s) {
  for (int p = m->elements[a].scope; p >= 0; p = m->elements[p].scope)
    if (p == s) return 1;
  return 0;
}

static int named_label_needed(enum bpmn_kind k) {
  return k != BPMN_USER_TASK && k != BPMN_SERVICE_TASK && k != BPMN_SUBPROCESS;
}

static void diagram_is_complete(const char *name, const char *xml, size_t len, const struct bpmn_model *m) {
  xmlDocPtr doc = xmlReadMemory(xml, (int)len, "definition.bpmn", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
  assert_non_null(doc);
  xmlNode *root = xmlDocGetRootElement(doc);
  xmlChar *platform = xmlGetNsProp(root, (const xmlChar *)"executionPlatform", (const xmlChar *)NS_MODELER);
  xmlChar *version = xmlGetNsProp(root, (const xmlChar *)"executionPlatformVersion", (const xmlChar *)NS_MODELER);
  assert_non_null(platform);
  assert_non_null(version);
  assert_string_equal((const char *)platform, "Camunda Cloud");
  assert_string_equal((const char *)version, "8.4.0");
  xmlFree(platform);
  xmlFree(version);
  xmlXPathContextPtr x = xmlXPathNewContext(doc);
  assert_non_null(x);
  xmlXPathRegisterNs(x, (const xmlChar *)"bpmndi", (const xmlChar *)NS_BPMNDI);
  xmlXPathRegisterNs(x, (const xmlChar *)"dc", (const xmlChar *)NS_DC);
  xmlXPathRegisterNs(x, (const xmlChar *)"di", (const xmlChar *)NS_DI);

  xmlXPathObjectPtr o = query(x, "//bpmndi:BPMNDiagram/bpmndi:BPMNPlane[@bpmnElement='%s']", m->process_id);
  assert_int_equal(nodes(o), 1);
  xmlXPathFreeObject(o);
  /* As many shapes as nodes, as many edges as flows: nothing missing, nothing stray. */
  o = query(x, "//bpmndi:BPMNShape");
  assert_int_equal(nodes(o), m->n_elements);
  xmlXPathFreeObject(o);
  o = query(x, "//bpmndi:BPMNEdge");
  assert_int_equal(nodes(o), m->n_flows);
  xmlXPathFreeObject(o);

  struct box *b = calloc((size_t)m->n_elements, sizeof *b);
  assert_non_null(b);
  for (int i = 0; i < m->n_elements; i++) {
    const struct bpmn_element *e = &m->elements[i];
    o = query(x, "//bpmndi:BPMNShape[@bpmnElement='%s']/dc:Bounds", e->id);
    if (nodes(o) != 1) fail_msg("%s: %d shape(s) for %s", name, nodes(o), e->id);
    xmlNode *n = o->nodesetval->nodeTab[0];
    b[i] = (struct box){num(n, "x"), num(n, "y"), num(n, "width"), num(n, "height")};
    xmlXPathFreeObject(o);
    assert_true(b[i].w > 0 && b[i].h > 0);
    if (e->kind == BPMN_SUBPROCESS) {
      o = query(x, "//bpmndi:BPMNShape[@bpmnElement='%s' and @isExpanded='true']", e->id);
      if (nodes(o) != 1) fail_msg("%s: subProcess %s is not drawn expanded", name, e->id);
      xmlXPathFreeObject(o);
    }
    if (e->name && named_label_needed(e->kind)) {
      o = query(x, "//bpmndi:BPMNShape[@bpmnElement='%s']/bpmndi:BPMNLabel/dc:Bounds", e->id);
      if (nodes(o) != 1) fail_msg("%s: the name of %s has no label position", name, e->id);
      xmlXPathFreeObject(o);
    }
  }
  /* Shapes: inside their subProcess, boundary events on their activity's
   * border, nothing else on top of anything else. */
  for (int i = 0; i < m->n_elements; i++) {
    const struct bpmn_element *e = &m->elements[i];
    if (e->kind == BPMN_BOUNDARY_TIMER || e->kind == BPMN_BOUNDARY_MESSAGE) {
      if (!on_border(b[i].x + b[i].w / 2, b[i].y + b[i].h / 2, b[e->attached_to]))
        fail_msg("%s: boundary event %s is not on the border of %s", name, e->id, m->elements[e->attached_to].id);
      continue;
    }
    if (e->scope >= 0) {
      struct box s = b[e->scope];
      if (!(b[i].x > s.x && b[i].y > s.y && b[i].x + b[i].w < s.x + s.w && b[i].y + b[i].h < s.y + s.h))
        fail_msg("%s: %s is drawn outside its subProcess %s", name, e->id, m->elements[e->scope].id);
    }
    for (int j = i + 1; j < m->n_elements; j++) {
      enum bpmn_kind k = m->elements[j].kind;
      if (k == BPMN_BOUNDARY_TIMER || k == BPMN_BOUNDARY_MESSAGE) continue;
      if (inside(m, i, j) || inside(m, j, i)) continue;
      if (overlap(b[i], b[j])) fail_msg("%s: %s and %s overlap", name, e->id, m->elements[j].id);
    }
  }
  /* Edges: at least two waypoints, from the border of the source to the
   * border of the target; named flows have a label position. */
  for (int f = 0; f < m->n_flows; f++) {
    const struct bpmn_flow *fl = &m->flows[f];
    o = query(x, "//bpmndi:BPMNEdge[@bpmnElement='%s']/di:waypoint", fl->id);
    int n = nodes(o);
    if (n < 2) fail_msg("%s: edge of %s has %d waypoint(s)", name, fl->id, n);
    xmlNode *first = o->nodesetval->nodeTab[0], *last = o->nodesetval->nodeTab[n - 1];
    if (!on_border(num(first, "x"), num(first, "y"), b[fl->source]))
      fail_msg("%s: edge of %s does not start on %s", name, fl->id, m->elements[fl->source].id);
    if (!on_border(num(last, "x"), num(last, "y"), b[fl->target]))
      fail_msg("%s: edge of %s does not end on %s", name, fl->id, m->elements[fl->target].id);
    for (int k = 1; k < n; k++) {
      xmlNode *p = o->nodesetval->nodeTab[k - 1], *q = o->nodesetval->nodeTab[k];
      if (num(p, "x") != num(q, "x") && num(p, "y") != num(q, "y"))
        fail_msg("%s: edge of %s has a diagonal segment", name, fl->id);
    }
    xmlXPathFreeObject(o);
    o = query(x, "//bpmndi:BPMNEdge[@bpmnElement='%s']", fl->id);
    if (nodes(o) != 1) fail_msg("%s: %d edge(s) for %s", name, nodes(o), fl->id);
    xmlXPathFreeObject(o);
    if (fl->name) {
      o = query(x, "//bpmndi:BPMNEdge[@bpmnElement='%s']/bpmndi:BPMNLabel/dc:Bounds", fl->id);
      if (nodes(o) != 1) fail_msg("%s: the name of flow %s has no label position", name, fl->id);
      xmlXPathFreeObject(o);
    }
  }
  free(b);
  xmlXPathFreeContext(x);
  xmlFreeDoc(doc);
}

static void definitions_have_a_complete_diagram(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof processes / sizeof processes[0]; k++) {
    size_t len;
    char *xml = read_definition(processes[k], &len);
    struct bpmn_model *m = compile(processes[k], xml, len);
    diagram_is_complete(processes[k], xml, len, m);
    bpmn_free(m);
    free(xml);
  }
}

static void definitions_publish_and_republish_idempotently(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof processes / sizeof processes[0]; k++) {
    int64_t v = publish(processes[k]);
    assert_int_equal(publish(processes[k]), v); /* unchanged file: no new version */
    int64_t latest;
    int number;
    assert_int_equal(store_latest(&latest, &number, g.db, processes[k]), 0);
    assert_int_equal(latest, v);
    assert_int_equal(number, 1);
  }
}

/* ---- demande-appui ---- */

static void demande_appui_happy_path(void **state) {
  (void)state;
  int64_t i = start("demande-appui", NULL, T0);
  int64_t q = task_at(i, "qualifier");
  assert_true(q > 0);
  assert_string_equal(text("SELECT candidate_groups FROM task WHERE id = ?1", q), "coordination");
  assert_string_equal(status(), "En qualification");
  complete(i, "qualifier", "{\"recevable\": true, \"complet\": true}", T0 + 10 * MINUTE);
  assert_false(task_at(i, "qualifier"));
  tick(T0 + 10 * MINUTE); /* matching and dispatch: nothing suits well enough, the coordinators orient */
  int64_t o = task_at(i, "orienter");
  assert_true(o > 0);
  assert_string_equal(text("SELECT candidate_groups FROM task WHERE id = ?1", o), "coordination");
  assert_string_equal(status(), "Orientée");
  /* The coordinators name the services that will handle it. */
  complete(i, "orienter", "{\"services\": [\"agence-technique\", \"caue\"]}", T0 + DAY);
  int64_t t = task_at(i, "traiter");
  assert_true(t > 0);
  assert_string_equal(text("SELECT candidate_groups FROM task WHERE id = ?1", t), "agence-technique,caue");
  assert_string_equal(status(), "En cours");
  assert_int_equal(timers(i), 1); /* the escalation */
  complete(i, "traiter", NULL, T0 + 3 * DAY);
  assert_int_equal(timers(i), 0);
  tick(T0 + 3 * DAY);
  assert_string_equal(status(), "closed");
  assert_int_equal(logs(i, "Escalade"), 0);
  assert_int_equal(logs(i, "Relance"), 0);
  assert_completed(i);
  assert_string_equal(history(), "En qualification > Orientée > En cours > closed");
}

static void demande_appui_documents_received_then_escalation(void **state) {
  (void)state;
  int64_t i = start("demande-appui", NULL, T0);
  int64_t t1 = T0 + 2 * HOUR;
  complete(i, "qualifier", "{\"recevable\": true, \"complet\": false}", t1);
  /* The waiting subProcess: a status job, a weekly reminder, a 30-day limit. */
  assert_int_equal(count("SELECT count(*) FROM job WHERE instance = %lld AND element = 'signaler_attente'", (long long)i), 1);
  assert_int_equal(count("SELECT count(*) FROM timer WHERE instance = %lld AND element = 'relance_pieces' AND repeats = 3 "
                         "AND due_at = %lld",
                         (long long)i, (long long)(t1 + 7 * DAY)),
                   1);
  assert_int_equal(count("SELECT count(*) FROM timer WHERE instance = %lld AND element = 'delai_pieces' AND due_at = %lld",
                         (long long)i, (long long)(t1 + 30 * DAY)),
                   1);
  /* Not waiting for the message before the status job has run. */
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "pieces-recues", NULL, t1), ERR_CONFLICT);
  tick(t1);
  assert_string_equal(status(), "En attente de la collectivité");
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld AND message = 'pieces-recues'", (long long)i), 1);
  assert_int_equal(open_tasks(i), 0);
  tick(t1 + 7 * DAY - 1);
  assert_int_equal(logs(i, "Relance : pièces manquantes"), 0);
  tick(t1 + 7 * DAY);
  assert_int_equal(logs(i, "Relance : pièces manquantes"), 1);
  assert_string_equal(status(), "En attente de la collectivité");
  /* The documents arrive: back to qualification, the timers are gone. */
  deliver(i, "pieces-recues", "{\"pieces\": [\"delibération.pdf\"]}", t1 + 8 * DAY);
  assert_int_equal(timers(i), 0);
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld", (long long)i), 0);
  assert_true(task_at(i, "qualifier") > 0);
  assert_string_equal(status(), "En qualification");
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND element = 'qualifier'", (long long)i), 2);
  tick(t1 + 40 * DAY); /* nothing left to fire */
  assert_int_equal(logs(i, "Relance"), 1);
  assert_int_equal(logs(i, "Clôture sans suite"), 0);
  int64_t t2 = t1 + 40 * DAY;
  complete(i, "qualifier", "{\"complet\": true}", t2);
  tick(t2); /* matching and dispatch */
  /* No service named: the task falls back to the coordinators. */
  complete(i, "orienter", NULL, t2);
  int64_t t = task_at(i, "traiter");
  assert_true(t > 0);
  assert_string_equal(text("SELECT candidate_groups FROM task WHERE id = ?1", t), "coordination");
  assert_string_equal(status(), "En cours");
  /* Nobody takes it for 5 days: one escalation, the task stays open. */
  tick(t2 + 5 * DAY - 1);
  assert_int_equal(logs(i, "Escalade"), 0);
  tick(t2 + 5 * DAY);
  assert_int_equal(logs(i, "Escalade : personne n''a pris en charge"), 1);
  assert_int_equal(task_at(i, "traiter"), t);
  assert_string_equal(status(), "En cours");
  assert_string_equal(state_of(i), "active");
  tick(t2 + 20 * DAY);
  assert_int_equal(logs(i, "Escalade"), 1); /* once */
  complete(i, "traiter", NULL, t2 + 21 * DAY);
  tick(t2 + 21 * DAY);
  assert_string_equal(status(), "closed");
  assert_completed(i);
  assert_string_equal(history(), "En qualification > En attente de la collectivité > En qualification > Orientée > "
                                 "En cours > closed");
}

static void demande_appui_documents_never_received(void **state) {
  (void)state;
  int64_t i = start("demande-appui", NULL, T0);
  complete(i, "qualifier", "{\"complet\": false}", T0);
  tick(T0);
  assert_string_equal(status(), "En attente de la collectivité");
  /* Three weekly reminders, then nothing more until the 30-day limit. */
  tick(T0 + 7 * DAY);
  assert_int_equal(logs(i, "Relance : pièces manquantes"), 1);
  tick(T0 + 14 * DAY);
  assert_int_equal(logs(i, "Relance : pièces manquantes"), 2);
  tick(T0 + 21 * DAY);
  assert_int_equal(logs(i, "Relance : pièces manquantes"), 3);
  assert_int_equal(count("SELECT count(*) FROM timer WHERE instance = %lld AND element = 'relance_pieces'", (long long)i), 0);
  tick(T0 + 28 * DAY);
  assert_int_equal(logs(i, "Relance"), 3);
  assert_string_equal(state_of(i), "active");
  tick(T0 + 30 * DAY - 1);
  assert_int_equal(logs(i, "Clôture sans suite"), 0);
  /* Day 30: closed without follow-up. */
  tick(T0 + 30 * DAY);
  assert_int_equal(logs(i, "Clôture sans suite"), 1);
  assert_string_equal(history(), "En qualification > En attente de la collectivité > closed");
  assert_completed(i);
  assert_false(task_at(i, "orienter"));
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "pieces-recues", NULL, T0 + 31 * DAY), ERR_CONFLICT);
}

static void demande_appui_not_receivable(void **state) {
  (void)state;
  int64_t i = start("demande-appui", NULL, T0);
  complete(i, "qualifier", "{\"recevable\": false, \"complet\": false}", T0 + MINUTE);
  assert_false(task_at(i, "orienter"));
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld AND element = 'attente_pieces'", (long long)i), 0);
  tick(T0 + MINUTE);
  assert_int_equal(logs(i, "Demande non recevable"), 1);
  assert_string_equal(status(), "closed");
  assert_completed(i);
}

/* ---- subvention ---- */

static void subvention_granted(void **state) {
  (void)state;
  int64_t i = start("subvention", "{\"montant_demande\": 25000}", T0);
  int64_t e = task_at(i, "verifier_eligibilite");
  assert_true(e > 0);
  assert_string_equal(text("SELECT candidate_groups FROM task WHERE id = ?1", e), "subventions");
  assert_string_equal(status(), "En cours de vérification");
  complete(i, "verifier_eligibilite", "{\"eligible\": true}", T0 + DAY);
  assert_true(task_at(i, "instruire") > 0);
  assert_string_equal(status(), "En instruction");
  /* A long instruction: two monthly reminders, no more. */
  tick(T0 + 31 * DAY);
  assert_int_equal(logs(i, "Relance : dossier en instruction"), 1);
  tick(T0 + 61 * DAY);
  assert_int_equal(logs(i, "Relance : dossier en instruction"), 2);
  tick(T0 + 91 * DAY);
  assert_int_equal(logs(i, "Relance"), 2);
  assert_true(task_at(i, "instruire") > 0);
  complete(i, "instruire", "{\"decision\": \"accordee\", \"montant_accorde\": 20000}", T0 + 95 * DAY);
  tick(T0 + 95 * DAY);
  assert_int_equal(logs(i, "Subvention accordée"), 1);
  assert_int_equal(logs(i, "Subvention refusée"), 0);
  assert_true(task_at(i, "verser") > 0);
  assert_string_equal(status(), "Subvention accordée");
  complete(i, "verser", NULL, T0 + 120 * DAY);
  tick(T0 + 120 * DAY);
  assert_string_equal(history(), "En cours de vérification > En instruction > Subvention accordée > closed");
  assert_completed(i);
}

static void subvention_refused(void **state) {
  (void)state;
  int64_t i = start("subvention", NULL, T0);
  complete(i, "verifier_eligibilite", "{\"eligible\": true}", T0);
  complete(i, "instruire", "{\"decision\": \"refusee\"}", T0 + 10 * DAY);
  assert_int_equal(timers(i), 0);
  tick(T0 + 10 * DAY);
  assert_int_equal(logs(i, "Subvention refusée"), 1);
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND element = 'verser'", (long long)i), 0);
  assert_string_equal(status(), "closed");
  assert_completed(i);
}

static void subvention_not_eligible(void **state) {
  (void)state;
  int64_t i = start("subvention", NULL, T0);
  complete(i, "verifier_eligibilite", "{\"eligible\": false}", T0);
  assert_false(task_at(i, "instruire"));
  tick(T0);
  assert_int_equal(logs(i, "Demande non éligible"), 1);
  assert_string_equal(status(), "closed");
  assert_completed(i);
}

/* A decision that is neither "accordee" nor "refusee" is never taken as a
 * refusal: an incident holds the gateway until the variable is fixed. */
static void subvention_without_decision_raises_an_incident(void **state) {
  (void)state;
  int64_t i = start("subvention", NULL, T0);
  complete(i, "verifier_eligibilite", "{\"eligible\": true}", T0);
  complete(i, "instruire", "{\"decision\": \"peut-etre\"}", T0 + DAY);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND element = 'decision' AND kind = 'condition' "
                         "AND resolved_at IS NULL",
                         (long long)i),
                   1);
  assert_int_equal(open_tasks(i), 0);
  assert_string_equal(state_of(i), "active");
  char sql[200];
  snprintf(sql, sizeof sql, "UPDATE instance SET variables = json_set(variables, '$.decision', 'refusee') WHERE id = %lld",
           (long long)i);
  assert_int_equal(db_exec(g.db, sql), 0);
  int64_t inc = count("SELECT max(id) FROM incident WHERE instance = %lld", (long long)i);
  if (engine_retry(g.engine, &g.admin, inc, T0 + 2 * DAY)) fail_msg("retry: %s", err_msg());
  tick(T0 + 2 * DAY);
  assert_int_equal(logs(i, "Subvention refusée"), 1);
  assert_string_equal(status(), "closed");
  assert_string_equal(state_of(i), "completed");
}

/* ---- inscription-formation ---- */

/* 2026-12-01 09:00 in Paris (UTC+1), 13 days after T0. */
#define SESSION "{\"session\": {\"intitule\": \"Marchés publics\", \"debut\": \"2026-12-01T09:00:00+01:00\"}}"
static const int64_t SESSION_AT = 1796112000000LL;

static void formation_attended(void **state) {
  (void)state;
  int64_t i = start("inscription-formation", SESSION, T0);
  int64_t v = task_at(i, "verifier_inscription");
  assert_true(v > 0);
  assert_string_equal(text("SELECT candidate_groups FROM task WHERE id = ?1", v), "formation");
  assert_string_equal(status(), "En cours de vérification");
  complete(i, "verifier_inscription", "{\"inscription_valide\": true}", T0 + 2 * HOUR);
  tick(T0 + 2 * HOUR);
  assert_string_equal(status(), "Inscription confirmée");
  /* Waiting for the date of the session, read from the variables. */
  assert_int_equal(count("SELECT count(*) FROM timer WHERE instance = %lld AND element = 'date_session' AND due_at = %lld",
                         (long long)i, (long long)SESSION_AT),
                   1);
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld AND message = 'desistement'", (long long)i), 1);
  tick(SESSION_AT - 1);
  assert_false(task_at(i, "confirmer_presence"));
  tick(SESSION_AT);
  assert_true(task_at(i, "confirmer_presence") > 0);
  assert_string_equal(status(), "Session en cours");
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld", (long long)i), 0);
  complete(i, "confirmer_presence", "{\"present\": true}", SESSION_AT + DAY);
  tick(SESSION_AT + DAY);
  assert_string_equal(history(), "En cours de vérification > Inscription confirmée > Session en cours > closed");
  assert_int_equal(logs(i, "Attestation de présence"), 1);
  assert_int_equal(logs(i, "Absence"), 0);
  assert_int_equal(logs(i, "Relance"), 0);
  assert_string_equal(status(), "closed");
  assert_completed(i);
}

static void formation_absent_after_reminders(void **state) {
  (void)state;
  int64_t i = start("inscription-formation", SESSION, T0);
  complete(i, "verifier_inscription", "{\"inscription_valide\": true}", T0);
  tick(SESSION_AT);
  assert_true(task_at(i, "confirmer_presence") > 0);
  /* Attendance not confirmed: a reminder every 3 days, twice. */
  tick(SESSION_AT + 3 * DAY);
  assert_int_equal(logs(i, "Relance : présence"), 1);
  tick(SESSION_AT + 6 * DAY);
  assert_int_equal(logs(i, "Relance : présence"), 2);
  tick(SESSION_AT + 9 * DAY);
  assert_int_equal(logs(i, "Relance"), 2);
  assert_string_equal(status(), "Session en cours");
  complete(i, "confirmer_presence", "{\"present\": false}", SESSION_AT + 10 * DAY);
  tick(SESSION_AT + 10 * DAY);
  assert_int_equal(logs(i, "Absence à la session"), 1);
  assert_int_equal(logs(i, "Attestation"), 0);
  assert_string_equal(status(), "closed");
  assert_completed(i);
}

static void formation_withdrawal_before_the_session(void **state) {
  (void)state;
  int64_t i = start("inscription-formation", SESSION, T0);
  complete(i, "verifier_inscription", "{\"inscription_valide\": true}", T0);
  tick(T0);
  assert_int_equal(timers(i), 1);
  deliver(i, "desistement", "{\"motif\": \"agent indisponible\"}", T0 + 2 * DAY);
  assert_int_equal(timers(i), 0);
  tick(T0 + 2 * DAY);
  assert_string_equal(history(), "En cours de vérification > Inscription confirmée > cancelled");
  assert_completed(i);
  tick(SESSION_AT + DAY); /* the session date passes: nothing happens */
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND element = 'confirmer_presence'", (long long)i), 0);
}

static void formation_refused(void **state) {
  (void)state;
  int64_t i = start("inscription-formation", SESSION, T0);
  complete(i, "verifier_inscription", "{\"inscription_valide\": false}", T0);
  tick(T0);
  assert_int_equal(logs(i, "Inscription refusée"), 1);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'request.status_changed' AND request = %lld "
                         "AND json_extract(data, '$.status') = 'Inscription confirmée'",
                         (long long)REQUEST),
                   0);
  assert_string_equal(status(), "closed");
  assert_completed(i);
}

/* Without a session date the wait cannot be armed: an incident says so
 * rather than a wait that never ends silently. */
static void formation_without_session_date_raises_an_incident(void **state) {
  (void)state;
  int64_t i = start("inscription-formation", NULL, T0);
  complete(i, "verifier_inscription", "{\"inscription_valide\": true}", T0);
  tick(T0);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND element = 'date_session' AND kind = 'timer' "
                         "AND message LIKE '%%session.debut%%'",
                         (long long)i),
                   1);
  assert_int_equal(timers(i), 0);
  assert_string_equal(state_of(i), "active");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(definitions_compile_without_warnings),
      cmocka_unit_test(definitions_have_a_complete_diagram),
      T(definitions_publish_and_republish_idempotently),
      T(demande_appui_happy_path),
      T(demande_appui_documents_received_then_escalation),
      T(demande_appui_documents_never_received),
      T(demande_appui_not_receivable),
      T(subvention_granted),
      T(subvention_refused),
      T(subvention_not_eligible),
      T(subvention_without_decision_raises_an_incident),
      T(formation_attended),
      T(formation_absent_after_reminders),
      T(formation_withdrawal_before_the_session),
      T(formation_refused),
      T(formation_without_session_date_raises_an_incident),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
