/* Tests of workflows/migrate.c: for each rule of shared/workflow-subset.md
 * §7.4, one migration accepted and one refused (with nothing changed), the
 * dry run, and the effects on tasks, timers, subscriptions and joins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "engine.h"
#include "err.h"
#include "fixture.h"
#include "migrate.h"
#include "store.h"
#include "user.h"
#include "wfixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wfixture g;

static const int64_t T0 = 1795000000000LL;
#define HOUR 3600000LL

static int setup(void **state) {
  (void)state;
  g.db = fixture_db(g.dir);
  return wfixture_open(&g);
}

static int teardown(void **state) {
  (void)state;
  wfixture_close(&g);
  return 0;
}

static int64_t publish(const char *body) { return wfixture_publish_body(&g, "p", body); }

static int64_t start(int64_t version) {
  int64_t id = 0;
  assert_int_equal(db_begin(g.db), 0);
  if (engine_start_tx(&id, g.engine, &g.admin, version, 0, NULL, T0)) fail_msg("start: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
  return id;
}

/* Migrates and returns the code; checks that a refusal changes nothing and
 * names `needle` in one of its problems. */
static int migrate(int64_t instance, int64_t target, const char *mapping_json, int dry, const char *needle) {
  char before[65], after[65];
  json_t *map = mapping_json ? json_loads(mapping_json, 0, NULL) : NULL, *report = NULL;
  fixture_digest(g.db, before);
  int rc = migrate_instance(&report, g.engine, &g.admin, instance, target, map, dry, T0 + HOUR);
  fixture_digest(g.db, after);
  if (rc || dry) assert_string_equal(before, after);
  if (needle) {
    int found = 0;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "problems"), i, p) found |= strstr(json_string_value(p), needle) != NULL;
    if (!found) {
      char *text = json_dumps(report, 0);
      fail_msg("no problem mentioning « %s »: %s (%s)", needle, text, err_msg());
    }
  }
  json_decref(report);
  json_decref(map);
  return rc;
}

static int64_t q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t q(const char *fmt, ...) {
  char sql[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return fixture_int(g.db, sql);
}

#define START "<bpmn:startEvent id=\"start\"/>"
#define END(id) "<bpmn:endEvent id=\"" id "\"/>"
#define TASK(id) "<bpmn:userTask id=\"" id "\"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups=\"g\"/></bpmn:extensionElements></bpmn:userTask>"
#define FLOW(id, a, b) "<bpmn:sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>"
#define TIMER(id, on, dur, cancel) "<bpmn:boundaryEvent id=\"" id "\" attachedToRef=\"" on "\" cancelActivity=\"" cancel "\"><bpmn:timerEventDefinition><bpmn:timeDuration>" dur "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"

static void active_and_at_rest(void **state) {
  (void)state;
  int64_t v1 = publish(START TASK("a") END("end") FLOW("f1", "start", "a") FLOW("f2", "a", "end"));
  int64_t v2 = publish(START TASK("a") TASK("b") END("end") FLOW("f1", "start", "a") FLOW("f2", "a", "b") FLOW("f3", "b", "end"));
  /* A finished instance is refused. */
  int64_t done = start(v1);
  int64_t task = q("SELECT id FROM task WHERE instance = %lld", (long long)done);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, task, NULL, T0), 0);
  assert_int_equal(migrate(done, v2, NULL, 0, NULL), ERR_CONFLICT);
  /* An instance with a job due is not at rest. */
  int64_t v3 = publish(START "<bpmn:serviceTask id=\"a\"><bpmn:extensionElements><zeebe:taskDefinition type=\"log\"/>"
                             "</bpmn:extensionElements></bpmn:serviceTask>" TASK("b") END("end")
                                 FLOW("f1", "start", "a") FLOW("f2", "a", "b") FLOW("f3", "b", "end"));
  int64_t v4 = publish(START "<bpmn:serviceTask id=\"a\"><bpmn:extensionElements><zeebe:taskDefinition type=\"log\"/>"
                             "</bpmn:extensionElements></bpmn:serviceTask>" TASK("b") TASK("c") END("end")
                                 FLOW("f1", "start", "a") FLOW("f2", "a", "b") FLOW("f3", "b", "c") FLOW("f4", "c", "end"));
  int64_t busy = start(v3);
  assert_int_equal(migrate(busy, v4, NULL, 0, "repos"), ERR_INVALID);
  int t, j;
  assert_int_equal(engine_tick(&t, &j, g.engine, &g.admin, T0 + 1), 0);
  assert_int_equal(migrate(busy, v4, NULL, 0, NULL), 0);
  assert_int_equal(q("SELECT version FROM instance WHERE id = %lld", (long long)busy), v4);
  assert_int_equal(q("SELECT count(*) FROM event WHERE type = 'workflow.migrated' AND json_extract(data, '$.instance') = %lld",
                     (long long)busy),
                   1);
  /* A mapping that is not an object, or an actor who may not migrate: refused, nothing changed. */
  char before[65], after[65];
  json_t *list = json_array(), *report = NULL;
  fixture_digest(g.db, before);
  assert_int_equal(migrate_instance(&report, g.engine, &g.admin, busy, v3, list, 0, T0 + HOUR), ERR_INVALID);
  assert_null(report);
  struct user agent;
  user_system(&agent, "agent");
  agent.role = ROLE_AGENT;
  assert_int_equal(migrate_instance(&report, g.engine, &agent, busy, v3, NULL, 0, T0 + HOUR), ERR_FORBIDDEN);
  assert_int_equal(migrate(busy, 999999, NULL, 0, NULL), ERR_NOTFOUND);
  assert_int_equal(migrate(999999, v3, NULL, 0, NULL), ERR_NOTFOUND);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  json_decref(list);
  /* Same version: refused. */
  assert_int_equal(migrate(busy, v4, NULL, 0, "déjà"), ERR_INVALID);
}

static void every_active_element_is_mapped(void **state) {
  (void)state;
  int64_t v1 = publish(START TASK("a") END("end") FLOW("f1", "start", "a") FLOW("f2", "a", "end"));
  int64_t v2 = publish(START TASK("a2") END("end") FLOW("f1", "start", "a2") FLOW("f2", "a2", "end"));
  int64_t i = start(v1);
  assert_int_equal(migrate(i, v2, NULL, 0, "a (userTask"), ERR_INVALID);
  assert_int_equal(migrate(i, v2, "{\"a\": \"nulle-part\"}", 0, "nulle-part"), ERR_INVALID);
  assert_int_equal(migrate(i, v2, "{\"a\": \"a2\"}", 1, NULL), 0); /* dry run: nothing changed */
  assert_int_equal(q("SELECT version FROM instance WHERE id = %lld", (long long)i), v1);
  assert_int_equal(migrate(i, v2, "{\"a\": \"a2\"}", 0, NULL), 0);
  assert_int_equal(q("SELECT count(*) FROM task WHERE instance = %lld AND element = 'a2' AND state = 'open'", (long long)i), 1);
  assert_int_equal(q("SELECT count(*) FROM token WHERE instance = %lld AND element = 'a2'", (long long)i), 1);
  int64_t task = q("SELECT id FROM task WHERE instance = %lld", (long long)i);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, task, NULL, T0 + 2 * HOUR), 0);
  assert_int_equal(q("SELECT count(*) FROM instance WHERE id = %lld AND state = 'completed'", (long long)i), 1);
}

static void types_must_be_equal(void **state) {
  (void)state;
  int64_t v1 = publish(START TASK("a") END("end") FLOW("f1", "start", "a") FLOW("f2", "a", "end"));
  int64_t v2 = publish(START "<bpmn:serviceTask id=\"a\"><bpmn:extensionElements><zeebe:taskDefinition type=\"log\"/>"
                             "</bpmn:extensionElements></bpmn:serviceTask>" TASK("t") END("end")
                                 FLOW("f1", "start", "a") FLOW("f2", "a", "t") FLOW("f3", "t", "end"));
  int64_t i = start(v1);
  assert_int_equal(migrate(i, v2, "{\"a\": \"a\"}", 0, "types"), ERR_INVALID);
  assert_int_equal(migrate(i, v2, "{\"a\": \"t\"}", 0, NULL), 0);
}

static void parent_scope_is_unchanged(void **state) {
  (void)state;
  int64_t v1 = publish(START "<bpmn:subProcess id=\"sp\"><bpmn:startEvent id=\"s2\"/>" TASK("x") END("e2")
                             FLOW("h1", "s2", "x") FLOW("h2", "x", "e2") "</bpmn:subProcess>" END("end")
                                 FLOW("f1", "start", "sp") FLOW("f2", "sp", "end"));
  int64_t v2 = publish(START TASK("x") END("end") FLOW("f1", "start", "x") FLOW("f2", "x", "end"));
  int64_t v3 = publish(START "<bpmn:subProcess id=\"sp2\"><bpmn:startEvent id=\"s2\"/>" TASK("x") END("e2")
                             FLOW("h1", "s2", "x") FLOW("h2", "x", "e2") "</bpmn:subProcess>" END("end")
                                 FLOW("f1", "start", "sp2") FLOW("f2", "sp2", "end"));
  int64_t i = start(v1);
  assert_int_equal(migrate(i, v2, "{\"sp\": \"x\"}", 0, "portée"), ERR_INVALID);
  assert_int_equal(migrate(i, v3, "{\"sp\": \"sp2\"}", 0, NULL), 0);
  assert_int_equal(q("SELECT count(*) FROM token t JOIN token s ON s.id = t.scope WHERE t.instance = %lld AND "
                     "t.element = 'x' AND s.element = 'sp2'",
                     (long long)i),
                   1);
}

static void events_map_one_to_one_and_timers_keep_their_due_time(void **state) {
  (void)state;
  int64_t v1 = publish(START TASK("t") END("end") END("e1") END("e2") FLOW("f1", "start", "t") FLOW("f2", "t", "end")
                           TIMER("r1", "t", "P1D", "false") TIMER("r2", "t", "P2D", "false") FLOW("g1", "r1", "e1")
                               FLOW("g2", "r2", "e2"));
  int64_t v2 = publish(START TASK("t") END("end") END("e1") END("e3") FLOW("f1", "start", "t") FLOW("f2", "t", "end")
                           TIMER("relance", "t", "P3D", "false") TIMER("escalade", "t", "P10D", "false")
                               FLOW("g1", "relance", "e1") FLOW("g3", "escalade", "e3"));
  int64_t i = start(v1);
  int64_t due_r1 = q("SELECT due_at FROM timer WHERE instance = %lld AND element = 'r1'", (long long)i);
  assert_int_equal(due_r1, T0 + 24 * HOUR);
  assert_int_equal(migrate(i, v2, "{\"r1\": \"relance\", \"r2\": \"relance\"}", 0, "même événement"), ERR_INVALID);
  assert_int_equal(migrate(i, v2, "{\"r1\": \"relance\"}", 0, NULL), 0);
  /* r1 kept its due time under its new id; r2 was dropped; escalade armed as if just entered. */
  assert_int_equal(q("SELECT due_at FROM timer WHERE instance = %lld AND element = 'relance'", (long long)i), due_r1);
  assert_int_equal(q("SELECT count(*) FROM timer WHERE instance = %lld AND element IN ('r1', 'r2')", (long long)i), 0);
  assert_int_equal(q("SELECT due_at FROM timer WHERE instance = %lld AND element = 'escalade'", (long long)i),
                   T0 + HOUR + 10 * 24 * HOUR);
}

static void joins_keep_their_arrived_tokens(void **state) {
  (void)state;
  int64_t v1 = publish(START "<bpmn:parallelGateway id=\"fork\"/>" TASK("a") TASK("b") "<bpmn:parallelGateway id=\"join\"/>"
                           END("end") FLOW("f0", "start", "fork") FLOW("f1", "fork", "a") FLOW("f2", "fork", "b")
                               FLOW("fa", "a", "join") FLOW("fb", "b", "join") FLOW("f5", "join", "end"));
  /* v2 renames the flows into the join; v3 joins only one branch (b goes elsewhere). */
  int64_t v2 = publish(START "<bpmn:parallelGateway id=\"fork\"/>" TASK("a") TASK("b") "<bpmn:parallelGateway id=\"join\"/>"
                           END("end") FLOW("f0", "start", "fork") FLOW("f1", "fork", "a") FLOW("f2", "fork", "b")
                               FLOW("ga", "a", "join") FLOW("gb", "b", "join") FLOW("f5", "join", "end"));
  int64_t i = start(v1);
  int64_t ta = q("SELECT id FROM task WHERE instance = %lld AND element = 'a'", (long long)i);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, ta, NULL, T0), 0);
  assert_int_equal(q("SELECT count(*) FROM arrival WHERE instance = %lld AND flow = 'fa'", (long long)i), 1);
  assert_int_equal(migrate(i, v2, NULL, 0, "fa"), ERR_INVALID);
  assert_int_equal(migrate(i, v2, "{\"fa\": \"gb\"}", 0, NULL), 0); /* flows map flow to flow */
  assert_int_equal(q("SELECT count(*) FROM arrival WHERE instance = %lld AND gateway = 'join' AND flow = 'gb'", (long long)i), 1);
  /* A join whose target has fewer incoming flows than those holding tokens. */
  int64_t v3 = publish(START "<bpmn:parallelGateway id=\"fork\"/>" TASK("a") TASK("b") TASK("c")
                           "<bpmn:parallelGateway id=\"join\"/>" END("end") FLOW("f0", "start", "fork") FLOW("f1", "fork", "a")
                               FLOW("f2", "fork", "b") FLOW("f3", "fork", "c") FLOW("fa", "a", "join") FLOW("fb", "b", "join")
                                   FLOW("fc", "c", "join") FLOW("f5", "join", "end"));
  int64_t v4 = publish(START "<bpmn:parallelGateway id=\"fork\"/>" TASK("a") TASK("b") TASK("c")
                           "<bpmn:parallelGateway id=\"join\"/>" "<bpmn:exclusiveGateway id=\"x\"/>" END("end")
                               FLOW("f0", "start", "fork") FLOW("f1", "fork", "a") FLOW("f2", "fork", "b") FLOW("f3", "fork", "c")
                                   FLOW("fa", "a", "x") FLOW("fb", "b", "x") FLOW("fx", "x", "join") FLOW("fc", "c", "join")
                                       FLOW("f5", "join", "end"));
  int64_t k = start(v3);
  ta = q("SELECT id FROM task WHERE instance = %lld AND element = 'a'", (long long)k);
  int64_t tb = q("SELECT id FROM task WHERE instance = %lld AND element = 'b'", (long long)k);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, ta, NULL, T0), 0);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, tb, NULL, T0), 0);
  assert_int_equal(migrate(k, v4, "{\"fa\": \"fx\", \"fb\": \"fc\"}", 0, NULL), 0);
  int64_t m = start(v3);
  ta = q("SELECT id FROM task WHERE instance = %lld AND element = 'a'", (long long)m);
  tb = q("SELECT id FROM task WHERE instance = %lld AND element = 'b'", (long long)m);
  int64_t tc = q("SELECT id FROM task WHERE instance = %lld AND element = 'c'", (long long)m);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, ta, NULL, T0), 0);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, tb, NULL, T0), 0);
  (void)tc;
  int64_t v5 = publish(START "<bpmn:parallelGateway id=\"fork\"/>" TASK("a") TASK("b") TASK("c")
                           "<bpmn:parallelGateway id=\"join\"/>" END("end") END("e2") FLOW("f0", "start", "fork")
                               FLOW("f1", "fork", "a") FLOW("f2", "fork", "b") FLOW("f3", "fork", "c") FLOW("fa", "a", "join")
                                   FLOW("fb", "b", "e2") FLOW("fc", "c", "e2") FLOW("f5", "join", "end"));
  assert_int_equal(migrate(m, v5, NULL, 0, "flux entrants"), ERR_INVALID);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(active_and_at_rest),
      T(every_active_element_is_mapped),
      T(types_must_be_equal),
      T(parent_scope_is_unchanged),
      T(events_map_one_to_one_and_timers_keep_their_due_time),
      T(joins_keep_their_arrived_tokens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
