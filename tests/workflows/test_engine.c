/* Tests of workflows/engine.c: one scenario per element kind and rule of
 * shared/workflow-subset.md — user and service tasks, the three gateways,
 * subprocesses, timer and message events (boundary and catch, interrupting
 * or not, cycles), terminate ends, incidents (conditions, jobs, loops) and
 * their retry, the public status from `statut`, and version pinning.
 * Definitions are published through the git store into a temporary data
 * directory; time is injected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "engine.h"
#include "err.h"
#include "fixture.h"
#include "store.h"
#include "user.h"
#include "wfixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wfixture g;

static const int64_t T0 = 1795000000000LL; /* 2026-11-18, a fixed "now" */
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

/* Publishes a process `id` made of `body` and returns its version id. */
static int64_t publish(const char *id, const char *body) { return wfixture_publish_body(&g, id, body); }

static int64_t start(int64_t version, const char *vars_json) {
  json_t *vars = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
  int64_t id = 0;
  assert_int_equal(db_begin(g.db), 0);
  int rc = engine_start_tx(&id, g.engine, &g.admin, version, 0, vars, T0);
  if (rc) {
    db_rollback(g.db);
    fail_msg("start: %s", err_msg());
  }
  assert_int_equal(db_commit(g.db), 0);
  json_decref(vars);
  return id;
}

static const char *state_of(int64_t instance) {
  static char s[32];
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT CASE state WHEN 'active' THEN 1 WHEN 'completed' THEN 2 ELSE 3 END FROM instance WHERE id = %lld",
           (long long)instance);
  int64_t v = fixture_int(g.db, sql);
  snprintf(s, sizeof s, "%s", v == 1 ? "active" : v == 2 ? "completed" : "other");
  return s;
}

/* The open task of `instance` at `element` (0 if none). */
static int64_t task_at(int64_t instance, const char *element) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT coalesce(max(id), 0) FROM task WHERE instance = %lld AND element = '%s' AND state = 'open'",
           (long long)instance, element);
  return fixture_int(g.db, sql);
}

__attribute__((format(printf, 1, 2))) static int64_t count(const char *fmt, ...) {
  char sql[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return fixture_int(g.db, sql);
}

static void complete(int64_t instance, const char *element, const char *vars_json, int64_t now) {
  int64_t task = task_at(instance, element);
  if (!task) fail_msg("no open task at %s", element);
  json_t *vars = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
  if (engine_complete_task(g.engine, &g.admin, task, vars, now)) fail_msg("complete %s: %s", element, err_msg());
  json_decref(vars);
}

static void tick(int64_t now) {
  int t, j;
  if (engine_tick(&t, &j, g.engine, &g.admin, now)) fail_msg("tick: %s", err_msg());
}

#define START "<bpmn:startEvent id=\"start\"/>"
#define END(id) "<bpmn:endEvent id=\"" id "\"/>"
#define TASK(id) "<bpmn:userTask id=\"" id "\"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups=\"coordination\"/></bpmn:extensionElements></bpmn:userTask>"
#define FLOW(id, a, b) "<bpmn:sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>"
#define COND(id, a, b, c) "<bpmn:sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"><bpmn:conditionExpression>" c "</bpmn:conditionExpression></bpmn:sequenceFlow>"
#define SERVICE(id, type, headers) "<bpmn:serviceTask id=\"" id "\"><bpmn:extensionElements><zeebe:taskDefinition type=\"" type "\" retries=\"2\"/><zeebe:taskHeaders>" headers "</zeebe:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>"

static void user_task_to_end(void **state) {
  (void)state;
  int64_t v = publish("simple", START TASK("t") END("end") FLOW("f1", "start", "t") FLOW("f2", "t", "end"));
  int64_t i = start(v, NULL);
  assert_string_equal(state_of(i), "active");
  assert_true(task_at(i, "t") > 0);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld", (long long)i), 1);
  complete(i, "t", "{\"avis\":\"favorable\"}", T0 + 1);
  assert_string_equal(state_of(i), "completed");
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld", (long long)i), 0);
  assert_int_equal(count("SELECT count(*) FROM instance WHERE id = %lld AND json_extract(variables, '$.avis') = 'favorable'", (long long)i), 1);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type IN ('workflow.started', 'workflow.task_created', "
                         "'workflow.task_completed', 'workflow.completed') AND json_extract(data, '$.instance') = %lld", (long long)i),
                   4);
  /* A completed task cannot be completed again. */
  int64_t done = fixture_int(g.db, "SELECT max(id) FROM task");
  assert_int_equal(engine_complete_task(g.engine, &g.admin, done, NULL, T0 + 2), ERR_CONFLICT);
  assert_int_equal(engine_complete_task(g.engine, &g.admin, 999999, NULL, T0 + 2), ERR_NOTFOUND);
}

static void bad_triggers_are_refused_and_change_nothing(void **state) {
  (void)state;
  int64_t v = publish("assignee", START "<bpmn:userTask id=\"t\"><bpmn:extensionElements><zeebe:assignmentDefinition "
                                        "assignee=\"agent@atd31.example\"/></bpmn:extensionElements></bpmn:userTask>" END("end")
                                            FLOW("f1", "start", "t") FLOW("f2", "t", "end"));
  int64_t i = start(v, NULL);
  int64_t task = task_at(i, "t");
  char before[65], after[65];
  fixture_digest(g.db, before);
  /* Assigned to someone else: an agent may not complete it. */
  struct user other;
  user_system(&other, "autre@atd31.example");
  other.role = ROLE_AGENT;
  assert_int_equal(engine_complete_task(g.engine, &other, task, NULL, T0 + 1), ERR_FORBIDDEN);
  assert_non_null(strstr(err_msg(), "agent@atd31.example"));
  json_t *list = json_array();
  assert_int_equal(engine_complete_task(g.engine, &g.admin, task, list, T0 + 1), ERR_INVALID);
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "", NULL, T0 + 1), ERR_INVALID);
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "pieces", list, T0 + 1), ERR_INVALID);
  assert_int_equal(engine_deliver(g.engine, &g.admin, 999999, "pieces", NULL, T0 + 1), ERR_NOTFOUND);
  assert_int_equal(engine_retry(g.engine, &g.admin, 999999, T0 + 1), ERR_NOTFOUND);
  json_decref(list);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  /* The assignee may. */
  struct user agent;
  user_system(&agent, "agent@atd31.example");
  agent.role = ROLE_AGENT;
  assert_int_equal(engine_complete_task(g.engine, &agent, task, NULL, T0 + 2), 0);
  assert_string_equal(state_of(i), "completed");
}

static void exclusive_gateway_takes_the_first_true_flow(void **state) {
  (void)state;
  int64_t v = publish("xor",
                      START "<bpmn:exclusiveGateway id=\"gw\" default=\"fd\"/>" TASK("petit") TASK("moyen") TASK("gros")
                          END("end") FLOW("f1", "start", "gw")
                      COND("fa", "gw", "gros", "= montant &gt;= 10000") COND("fb", "gw", "moyen", "= montant &gt;= 1000")
                      FLOW("fd", "gw", "petit") FLOW("g1", "petit", "end") FLOW("g2", "moyen", "end") FLOW("g3", "gros", "end"));
  int64_t a = start(v, "{\"montant\": 50000}"), b = start(v, "{\"montant\": 5000}"), c = start(v, "{\"montant\": 5}");
  assert_true(task_at(a, "gros") && !task_at(a, "moyen"));
  assert_true(task_at(b, "moyen"));
  assert_true(task_at(c, "petit"));
  /* Neither true nor false: an incident on the gateway, nothing taken. */
  int64_t d = start(v, "{}");
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld", (long long)d), 0);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND element = 'gw' AND kind = 'condition' "
                         "AND message LIKE '%%montant%%' AND resolved_at IS NULL", (long long)d),
                   1);
  assert_string_equal(state_of(d), "active");
  /* Fix the variable, retry: the gateway decides again. */
  assert_int_equal(db_exec(g.db, "UPDATE instance SET variables = '{\"montant\": 2000}' WHERE id = (SELECT max(id) FROM instance)"), 0);
  int64_t inc = fixture_int(g.db, "SELECT max(id) FROM incident");
  if (engine_retry(g.engine, &g.admin, inc, T0 + 5)) fail_msg("retry: %s", err_msg());
  assert_true(task_at(d, "moyen"));
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND resolved_at IS NULL", (long long)d), 0);
  assert_int_equal(engine_retry(g.engine, &g.admin, inc, T0 + 6), ERR_CONFLICT);
}

static void no_true_condition_and_no_default_is_an_incident(void **state) {
  (void)state;
  int64_t v = publish("xor2", START "<bpmn:exclusiveGateway id=\"gw\"/>" TASK("a") END("end") END("end2")
                                  FLOW("f1", "start", "gw") COND("fa", "gw", "a", "= x = 1") COND("fb", "gw", "end2", "= x = 2")
                                      FLOW("g", "a", "end"));
  int64_t i = start(v, "{\"x\": 3}");
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND element = 'gw' AND message LIKE '%%par défaut%%'", (long long)i), 1);
}

static void incident_stays_on_its_element(void **state) {
  (void)state;
  /* A parallel split: one branch has a bad condition, the other goes on. */
  int64_t v = publish("split", START "<bpmn:parallelGateway id=\"fork\"/>" TASK("ok") "<bpmn:exclusiveGateway id=\"gw\" default=\"fd\"/>"
                                   TASK("autre") END("e1") END("e2") END("e3") FLOW("f0", "start", "fork")
                                       FLOW("f1", "fork", "ok") FLOW("f2", "fork", "gw")
                                           COND("fc", "gw", "e2", "= pieces &gt; 2") FLOW("fd", "gw", "autre")
                                               FLOW("g1", "ok", "e1") FLOW("g2", "autre", "e3"));
  int64_t i = start(v, "{\"pieces\": \"trois\"}");
  assert_true(task_at(i, "ok") > 0);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND element = 'gw' AND message LIKE '%%pieces%%'", (long long)i), 1);
  complete(i, "ok", NULL, T0 + 1);
  assert_string_equal(state_of(i), "active"); /* the held token keeps it alive */
}

static void parallel_fork_and_join(void **state) {
  (void)state;
  int64_t v = publish("par", START "<bpmn:parallelGateway id=\"fork\"/>" TASK("a") TASK("b")
                                 "<bpmn:parallelGateway id=\"join\"/>" TASK("apres") END("end") FLOW("f0", "start", "fork")
                                     FLOW("f1", "fork", "a") FLOW("f2", "fork", "b") FLOW("f3", "a", "join")
                                         FLOW("f4", "b", "join") FLOW("f5", "join", "apres") FLOW("f6", "apres", "end"));
  int64_t i = start(v, NULL);
  assert_true(task_at(i, "a") && task_at(i, "b"));
  complete(i, "a", NULL, T0 + 1);
  assert_false(task_at(i, "apres")); /* waits for b */
  assert_int_equal(count("SELECT count(*) FROM arrival WHERE instance = %lld AND gateway = 'join'", (long long)i), 1);
  complete(i, "b", NULL, T0 + 2);
  assert_true(task_at(i, "apres") > 0);
  assert_int_equal(count("SELECT count(*) FROM arrival WHERE instance = %lld", (long long)i), 0);
  complete(i, "apres", NULL, T0 + 3);
  assert_string_equal(state_of(i), "completed");
}

static void uncontrolled_merge_runs_once_per_token(void **state) {
  (void)state;
  int64_t v = publish("merge", START "<bpmn:parallelGateway id=\"fork\"/>" SERVICE("s", "log", "") TASK("apres") END("end")
                                   FLOW("f0", "start", "fork") FLOW("f1", "fork", "s") FLOW("f2", "fork", "s")
                                       FLOW("f3", "s", "apres") FLOW("f4", "apres", "end"));
  int64_t i = start(v, NULL);
  assert_int_equal(count("SELECT count(*) FROM job WHERE instance = %lld", (long long)i), 2);
  tick(T0);
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND element = 'apres' AND state = 'open'", (long long)i), 2);
}

static void inclusive_gateway_takes_every_true_flow(void **state) {
  (void)state;
  int64_t v = publish("or", START "<bpmn:inclusiveGateway id=\"gw\" default=\"fd\"/>" TASK("voirie") TASK("eau") TASK("autre")
                                END("e1") END("e2") END("e3") FLOW("f0", "start", "gw")
                                    COND("fa", "gw", "voirie", "= list contains(themes, \"voirie\")")
                                        COND("fb", "gw", "eau", "= list contains(themes, \"eau\")") FLOW("fd", "gw", "autre")
                                            FLOW("g1", "voirie", "e1") FLOW("g2", "eau", "e2") FLOW("g3", "autre", "e3"));
  int64_t a = start(v, "{\"themes\": [\"voirie\", \"eau\"]}"), b = start(v, "{\"themes\": [\"social\"]}");
  assert_true(task_at(a, "voirie") && task_at(a, "eau") && !task_at(a, "autre"));
  assert_true(task_at(b, "autre") && !task_at(b, "voirie"));
  complete(a, "voirie", NULL, T0 + 1);
  assert_string_equal(state_of(a), "active");
  complete(a, "eau", NULL, T0 + 2);
  assert_string_equal(state_of(a), "completed");
}

static void subprocess_completes_then_continues(void **state) {
  (void)state;
  int64_t v = publish("sub", START "<bpmn:subProcess id=\"sp\"><bpmn:startEvent id=\"s2\"/>" TASK("dedans") END("e2")
                                   FLOW("h1", "s2", "dedans") FLOW("h2", "dedans", "e2") "</bpmn:subProcess>" TASK("apres")
                                       END("end") FLOW("f1", "start", "sp") FLOW("f2", "sp", "apres") FLOW("f3", "apres", "end"));
  int64_t i = start(v, NULL);
  assert_true(task_at(i, "dedans") > 0);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld AND element = 'sp'", (long long)i), 1);
  assert_int_equal(count("SELECT count(*) FROM token t JOIN token s ON s.id = t.scope WHERE t.instance = %lld AND "
                         "t.element = 'dedans' AND s.element = 'sp'", (long long)i),
                   1);
  complete(i, "dedans", NULL, T0 + 1);
  assert_true(task_at(i, "apres") > 0);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld AND element = 'sp'", (long long)i), 0);
}

static void interrupting_timer_cancels_the_subprocess(void **state) {
  (void)state;
  int64_t v = publish("subtimer", START "<bpmn:subProcess id=\"sp\"><bpmn:startEvent id=\"s2\"/><bpmn:parallelGateway id=\"fk\"/>"
                                        TASK("a") TASK("b") END("e2") END("e3") FLOW("h0", "s2", "fk") FLOW("h1", "fk", "a")
                                            FLOW("h2", "fk", "b") FLOW("h3", "a", "e2") FLOW("h4", "b", "e3") "</bpmn:subProcess>"
                                        "<bpmn:boundaryEvent id=\"delai\" attachedToRef=\"sp\"><bpmn:timerEventDefinition>"
                                        "<bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
                                            TASK("escalade") END("end") END("end2") FLOW("f1", "start", "sp")
                                                FLOW("f2", "sp", "end") FLOW("f3", "delai", "escalade") FLOW("f4", "escalade", "end2"));
  int64_t i = start(v, NULL);
  assert_true(task_at(i, "a") && task_at(i, "b"));
  tick(T0 + 47 * HOUR);
  assert_true(task_at(i, "a") > 0); /* not yet */
  tick(T0 + 48 * HOUR);
  assert_false(task_at(i, "a"));
  assert_false(task_at(i, "b"));
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND state = 'cancelled' AND reason = 'timeout'", (long long)i), 2);
  assert_true(task_at(i, "escalade") > 0);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld AND element IN ('sp', 'a', 'b')", (long long)i), 0);
  assert_int_equal(count("SELECT count(*) FROM timer WHERE instance = %lld", (long long)i), 0);
}

static void non_interrupting_cycle_fires_each_repetition(void **state) {
  (void)state;
  int64_t v = publish("relances", START TASK("attente") END("end") FLOW("f1", "start", "attente") FLOW("f2", "attente", "end")
                                      "<bpmn:boundaryEvent id=\"relance\" attachedToRef=\"attente\" cancelActivity=\"false\">"
                                      "<bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1H</bpmn:timeCycle>"
                                      "</bpmn:timerEventDefinition></bpmn:boundaryEvent>" SERVICE("rappel", "log", "")
                                          END("e2") FLOW("f3", "relance", "rappel") FLOW("f4", "rappel", "e2"));
  int64_t i = start(v, NULL);
  tick(T0 + HOUR);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'workflow.log' AND json_extract(data, '$.instance') = %lld", (long long)i), 1);
  assert_true(task_at(i, "attente") > 0);
  /* Downtime: the second repetition fires once, however late. */
  tick(T0 + 10 * HOUR);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'workflow.log' AND json_extract(data, '$.instance') = %lld", (long long)i), 2);
  tick(T0 + 20 * HOUR);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'workflow.log' AND json_extract(data, '$.instance') = %lld", (long long)i), 2);
  assert_int_equal(count("SELECT count(*) FROM timer WHERE instance = %lld", (long long)i), 0);
  complete(i, "attente", NULL, T0 + 21 * HOUR);
  assert_string_equal(state_of(i), "completed");
}

static void catch_events_wait(void **state) {
  (void)state;
  int64_t v = publish("attentes", START "<bpmn:intermediateCatchEvent id=\"pause\"><bpmn:timerEventDefinition><bpmn:timeDuration>"
                                        "P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
                                        "<bpmn:intermediateCatchEvent id=\"recues\"><bpmn:messageEventDefinition messageRef=\"m1\"/>"
                                        "</bpmn:intermediateCatchEvent>" END("end") FLOW("f1", "start", "pause")
                                            FLOW("f2", "pause", "recues") FLOW("f3", "recues", "end"));
  int64_t i = start(v, NULL);
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "pieces", NULL, T0), ERR_CONFLICT); /* not waiting yet */
  tick(T0 + 23 * HOUR);
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld", (long long)i), 0);
  tick(T0 + 24 * HOUR);
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld AND message = 'pieces'", (long long)i), 1);
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "autre", NULL, T0 + 25 * HOUR), ERR_CONFLICT);
  json_t *vars = json_pack("{s:i}", "nb", 3);
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "pieces", vars, T0 + 25 * HOUR), 0);
  json_decref(vars);
  assert_int_equal(count("SELECT count(*) FROM instance WHERE id = %lld AND json_extract(variables, '$.nb') = 3", (long long)i), 1);
  assert_string_equal(state_of(i), "completed");
}

static void message_boundary_interrupts(void **state) {
  (void)state;
  int64_t v = publish("annulable", START TASK("instruction") END("end") END("annulee") FLOW("f1", "start", "instruction")
                                       FLOW("f2", "instruction", "end")
                                       "<bpmn:boundaryEvent id=\"stop\" attachedToRef=\"instruction\"><bpmn:messageEventDefinition "
                                       "messageRef=\"m2\"/></bpmn:boundaryEvent>" FLOW("f3", "stop", "annulee"));
  int64_t i = start(v, NULL);
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "annulation", NULL, T0 + 1), 0);
  assert_string_equal(state_of(i), "completed");
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND reason = 'message'", (long long)i), 1);
  assert_int_equal(engine_deliver(g.engine, &g.admin, i, "annulation", NULL, T0 + 2), ERR_CONFLICT);
}

static void terminate_end_stops_everything(void **state) {
  (void)state;
  int64_t v = publish("term", START "<bpmn:parallelGateway id=\"fork\"/>" TASK("long") "<bpmn:endEvent id=\"stop\">"
                                    "<bpmn:terminateEventDefinition/></bpmn:endEvent>" END("end") FLOW("f0", "start", "fork")
                                        FLOW("f1", "fork", "long") FLOW("f2", "fork", "stop") FLOW("f3", "long", "end"));
  int64_t i = start(v, NULL);
  assert_string_equal(state_of(i), "completed");
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld", (long long)i), 0);
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND state = 'open'", (long long)i), 0);
}

static void jobs_retry_then_raise_an_incident(void **state) {
  (void)state;
  int64_t v = publish("jobs", START SERVICE("ok", "test", "<zeebe:header key=\"fail_first\" value=\"1\"/>")
                                  SERVICE("ko", "test", "<zeebe:header key=\"fail\" value=\"always\"/>") TASK("fin") END("end")
                                      FLOW("f1", "start", "ok") FLOW("f2", "ok", "ko") FLOW("f3", "ko", "fin") FLOW("f4", "fin", "end"));
  int64_t i = start(v, NULL);
  tick(T0); /* first attempt of ok fails: retried 10 s later */
  assert_int_equal(count("SELECT count(*) FROM job WHERE instance = %lld AND element = 'ok' AND retries = 1", (long long)i), 1);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'workflow.job_failed' AND json_extract(data, '$.instance') = %lld", (long long)i), 1);
  /* A failed attempt leaves no trace of its writes but the counter of runs. */
  tick(T0 + 5000);
  assert_int_equal(count("SELECT count(*) FROM job WHERE instance = %lld AND element = 'ok'", (long long)i), 1);
  tick(T0 + 10000); /* second attempt of ok passes; ko fails twice → incident */
  assert_int_equal(count("SELECT count(*) FROM job WHERE instance = %lld AND element = 'ok'", (long long)i), 0);
  tick(T0 + 30000);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND element = 'ko' AND kind = 'job' AND "
                         "resolved_at IS NULL",
                         (long long)i),
                   1);
  assert_false(task_at(i, "fin"));
  int64_t inc = fixture_int(g.db, "SELECT max(id) FROM incident WHERE kind = 'job'");
  assert_int_equal(engine_retry(g.engine, &g.admin, inc, T0 + 40000), 0);
  tick(T0 + 40000); /* still failing: a new incident */
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND kind = 'job' AND resolved_at IS NULL", (long long)i), 1);
}

static void automatic_loop_hits_the_step_budget(void **state) {
  (void)state;
  int64_t v = publish("boucle", START "<bpmn:exclusiveGateway id=\"gw\" default=\"fin\"/>" END("end") FLOW("f1", "start", "gw")
                                      COND("encore", "gw", "gw", "= true") FLOW("fin", "gw", "end"));
  int64_t i = start(v, NULL);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND kind = 'loop'", (long long)i), 1);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld AND incident = 1", (long long)i), 1);
  assert_string_equal(state_of(i), "active");
}

static void statut_sets_the_public_status(void **state) {
  (void)state;
  fixture_territory(g.db);
  assert_int_equal(db_exec(g.db, "INSERT INTO request (id, collectivity, title, description, themes, filed_at, updated_at) "
                                 "VALUES (2026000001, '31001', 't', 'd', '[\"voirie\"]', 0, 0)"),
                   0);
  int64_t v = publish("statuts", START "<bpmn:userTask id=\"q\"><bpmn:extensionElements><zeebe:properties><zeebe:property "
                                       "name=\"statut\" value=\"En qualification\"/></zeebe:properties></bpmn:extensionElements>"
                                       "</bpmn:userTask>" SERVICE("clore", "set_status", "<zeebe:header key=\"statut\" value=\"closed\"/>")
                                           END("end") FLOW("f1", "start", "q") FLOW("f2", "q", "clore") FLOW("f3", "clore", "end"));
  int64_t i;
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(engine_start_tx(&i, g.engine, &g.admin, v, 2026000001, NULL, T0), 0);
  assert_int_equal(db_commit(g.db), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM request WHERE status = 'En qualification'"), 1);
  complete(i, "q", NULL, T0 + 1);
  tick(T0 + 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM request WHERE status = 'closed'"), 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'request.status_changed' AND request = 2026000001"), 2);
}

static void instances_stay_on_their_version(void **state) {
  (void)state;
  int64_t v1 = publish("versions", START TASK("a") END("end") FLOW("f1", "start", "a") FLOW("f2", "a", "end"));
  int64_t old = start(v1, NULL);
  int64_t v2 = publish("versions", START TASK("a") TASK("b") END("end") FLOW("f1", "start", "a") FLOW("f2", "a", "b")
                                       FLOW("f3", "b", "end"));
  assert_true(v2 != v1);
  /* Republishing the same file creates no version. */
  assert_int_equal(publish("versions", START TASK("a") TASK("b") END("end") FLOW("f1", "start", "a") FLOW("f2", "a", "b")
                                           FLOW("f3", "b", "end")),
                   v2);
  int64_t latest;
  int number;
  assert_int_equal(store_latest(&latest, &number, g.db, "versions"), 0);
  assert_int_equal(latest, v2);
  assert_int_equal(number, 2);
  int64_t fresh = start(latest, NULL);
  complete(old, "a", NULL, T0 + 1);
  assert_string_equal(state_of(old), "completed"); /* v1 has no b */
  complete(fresh, "a", NULL, T0 + 1);
  assert_true(task_at(fresh, "b") > 0);
}

static void timers_read_from_variables(void **state) {
  (void)state;
  int64_t v = publish("variables", START "<bpmn:intermediateCatchEvent id=\"attente\"><bpmn:timerEventDefinition>"
                                         "<bpmn:timeDuration>=relance.delai</bpmn:timeDuration></bpmn:timerEventDefinition>"
                                         "</bpmn:intermediateCatchEvent>" TASK("t") END("end") END("e2")
                                             FLOW("f1", "start", "attente") FLOW("f2", "attente", "t") FLOW("f3", "t", "end")
                                         "<bpmn:boundaryEvent id=\"rappel\" attachedToRef=\"t\" cancelActivity=\"false\">"
                                         "<bpmn:timerEventDefinition><bpmn:timeCycle>=relance.cycle</bpmn:timeCycle>"
                                         "</bpmn:timerEventDefinition></bpmn:boundaryEvent>" SERVICE("journal", "log", "")
                                             FLOW("f4", "rappel", "journal") FLOW("f5", "journal", "e2"));
  /* The variable is missing: an incident; fixed then retried, the timer is armed. */
  int64_t i = start(v, "{\"relance\": {\"cycle\": \"R2/PT1H\"}}");
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND kind = 'timer' AND element = 'attente' "
                         "AND message LIKE '%%relance.delai%%'", (long long)i),
                   1);
  assert_int_equal(db_exec(g.db, "UPDATE instance SET variables = json_set(variables, '$.relance.delai', 'PT2H') "
                                 "WHERE id = (SELECT max(id) FROM instance)"),
                   0);
  int64_t inc = fixture_int(g.db, "SELECT max(id) FROM incident");
  assert_int_equal(engine_retry(g.engine, &g.admin, inc, T0), 0);
  assert_int_equal(count("SELECT due_at = %lld FROM timer WHERE instance = %lld AND element = 'attente'",
                         (long long)(T0 + 2 * HOUR), (long long)i),
                   1);
  tick(T0 + 2 * HOUR);
  assert_true(task_at(i, "t") > 0);
  /* The cycle read from the variable repeats with its own period. */
  tick(T0 + 3 * HOUR);
  tick(T0 + 4 * HOUR);
  tick(T0 + 9 * HOUR);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'workflow.log' AND json_extract(data, '$.instance') = %lld",
                         (long long)i),
                   2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(user_task_to_end),
      T(bad_triggers_are_refused_and_change_nothing),
      T(exclusive_gateway_takes_the_first_true_flow),
      T(no_true_condition_and_no_default_is_an_incident),
      T(incident_stays_on_its_element),
      T(parallel_fork_and_join),
      T(uncontrolled_merge_runs_once_per_token),
      T(inclusive_gateway_takes_every_true_flow),
      T(subprocess_completes_then_continues),
      T(interrupting_timer_cancels_the_subprocess),
      T(non_interrupting_cycle_fires_each_repetition),
      T(catch_events_wait),
      T(message_boundary_interrupts),
      T(terminate_end_stops_everything),
      T(jobs_retry_then_raise_an_incident),
      T(automatic_loop_hits_the_step_budget),
      T(statut_sets_the_public_status),
      T(instances_stay_on_their_version),
      T(timers_read_from_variables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
