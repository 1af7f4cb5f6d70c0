/* bench_engine — figures of the workflow engine (issue 3), printed, never
 * asserted:
 *   1. validate and compile a generated 500-element process (ms each);
 *   2. publish latency into the git store (ms each, the file changing);
 *   3. 10,000 instances of the default circuit demande-appui run to
 *      completion, tasks completed by the bench, every trigger its own
 *      durable transaction: instances/s and engine steps/s;
 *   4. 100,000 due timers fired, each in its own transaction: timers/s.
 * Usage: bench_engine [--data DIR] [--instances N] [--timers N]
 * The data directory (default /tmp/appui-bench-engine) is recreated. */
#include "bpmn.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "embed.h"
#include "engine.h"
#include "err.h"
#include "store.h"
#include "user.h"
#include "workflow.h"
#include "action.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "bench_engine : %s : %s\n", what, err_msg());
  exit(1);
}

/* A process of about `n` elements: start, then blocks of
 * userTask → exclusiveGateway (two conditioned branches) → serviceTask. */
static void big_process(struct buf *b, int n, int variant) {
  buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
                "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" targetNamespace=\"t\">\n"
                "<!-- variante %d -->\n<bpmn:process id=\"grand\" isExecutable=\"true\"><bpmn:startEvent id=\"s\"/>\n",
             variant);
  const char *prev = "s";
  char p[64];
  int blocks = (n - 2) / 5;
  for (int i = 0; i < blocks; i++) {
    buf_printf(b,
               "<bpmn:userTask id=\"t%d\"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups=\"g\"/>"
               "<zeebe:properties><zeebe:property name=\"statut\" value=\"Étape %d\"/></zeebe:properties>"
               "</bpmn:extensionElements></bpmn:userTask>\n"
               "<bpmn:exclusiveGateway id=\"x%d\" default=\"d%d\"/><bpmn:serviceTask id=\"a%d\"><bpmn:extensionElements>"
               "<zeebe:taskDefinition type=\"log\"/></bpmn:extensionElements></bpmn:serviceTask>"
               "<bpmn:serviceTask id=\"b%d\"><bpmn:extensionElements><zeebe:taskDefinition type=\"log\"/>"
               "</bpmn:extensionElements></bpmn:serviceTask><bpmn:exclusiveGateway id=\"j%d\"/>\n"
               "<bpmn:sequenceFlow id=\"i%d\" sourceRef=\"%s\" targetRef=\"t%d\"/>"
               "<bpmn:sequenceFlow id=\"k%d\" sourceRef=\"t%d\" targetRef=\"x%d\"/>"
               "<bpmn:sequenceFlow id=\"c%d\" sourceRef=\"x%d\" targetRef=\"a%d\"><bpmn:conditionExpression>= montant &gt; %d and "
               "(commune.population &lt; 3500 or list contains(themes, \"voirie\"))</bpmn:conditionExpression></bpmn:sequenceFlow>"
               "<bpmn:sequenceFlow id=\"d%d\" sourceRef=\"x%d\" targetRef=\"b%d\"/>"
               "<bpmn:sequenceFlow id=\"e%d\" sourceRef=\"a%d\" targetRef=\"j%d\"/><bpmn:sequenceFlow id=\"f%d\" sourceRef=\"b%d\" targetRef=\"j%d\"/>\n",
               i, i, i, i, i, i, i, i, prev, i, i, i, i, i, i, i, i * 100, i, i, i, i, i, i, i, i, i);
    snprintf(p, sizeof p, "j%d", i);
    prev = p;
  }
  buf_printf(b, "<bpmn:endEvent id=\"fin\"/><bpmn:sequenceFlow id=\"z\" sourceRef=\"%s\" targetRef=\"fin\"/>\n"
                "</bpmn:process></bpmn:definitions>\n",
             prev);
}

static int64_t open_task(struct db *db, int64_t instance) {
  sqlite3_stmt *st;
  int64_t id = 0;
  if (db_prepare(&st, db, "SELECT id FROM task WHERE instance = ? AND state = 'open' ORDER BY id LIMIT 1")) die("tâche");
  sqlite3_bind_int64(st, 1, instance);
  if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
  db_done(st);
  return id;
}

int main(int argc, char **argv) {
  const char *dir = "/tmp/appui-bench-engine";
  long instances = 10000, timers = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data")) dir = argv[i + 1];
    else if (!strcmp(argv[i], "--instances")) instances = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--timers")) timers = atol(argv[i + 1]);
  }
  char cmd[4200], path[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  if (system(cmd)) return 1;
  snprintf(path, sizeof path, "%s/appui.db", dir);
  struct db *db;
  struct engine *e;
  struct user sys;
  user_system(&sys, "bench");
  if (db_open(&db, path, DB_MIGRATE) || engine_new(&e, db)) die("base");
  if (workflow_init(NULL, db, dir, &sys, "Bench <bench@appui.invalid>")) die("init");

  /* 1. Validate and compile a 500-element process. */
  struct buf xml = BUF_INIT;
  big_process(&xml, 500, 0);
  struct bpmn_options opt = {NULL, action_known};
  int reps = 50, elements = 0;
  double t0 = seconds();
  for (int i = 0; i < reps; i++) {
    struct bpmn_model *m;
    struct bpmn_report r;
    if (bpmn_compile(&m, &r, buf_str(&xml), xml.len, &opt)) die("compilation");
    elements = m->n_elements + m->n_flows;
    bpmn_free(m);
    bpmn_report_free(&r);
  }
  double compile_ms = (seconds() - t0) * 1000 / reps;
  printf("Compilation : processus de %d éléments (dont flux), %zu octets : %.2f ms par validation + compilation\n",
         elements, xml.len, compile_ms);

  /* 2. Publish latency (the file changes each time). */
  struct store *s;
  workflow_repository(path, sizeof path, dir);
  if (store_open(&s, path, 0)) die("dépôt");
  int publishes = 20;
  t0 = seconds();
  for (int i = 1; i <= publishes; i++) {
    buf_reset(&xml);
    big_process(&xml, 500, i);
    struct store_version v;
    struct bpmn_report r;
    if (store_publish(&v, &r, s, db, &sys, buf_str(&xml), xml.len, "Bench <bench@appui.invalid>", NULL)) die("publication");
    bpmn_report_free(&r);
  }
  double publish_ms = (seconds() - t0) * 1000 / publishes;
  printf("Publication : %.1f ms par version (validation, commit git, version, référence épinglée)\n", publish_ms);
  store_close(s);
  buf_free(&xml);

  /* 3. Instances of the default circuit to completion. */
  int64_t version;
  if (store_latest(&version, NULL, db, "demande-appui")) die("circuit");
  json_t *vars = json_pack("{s:{s:s, s:[s], s:f}}", "demande", "ref", "bench", "themes", "voirie", "budget", 1000.0);
  json_t *qualif = json_pack("{s:b, s:b}", "recevable", 1, "complet", 1);
  int64_t now = clock_now_ms(), steps0 = engine_steps(e), triggers = 0;
  t0 = seconds();
  for (long i = 0; i < instances; i++) {
    int64_t id = 0;
    if (db_begin(db) || engine_start_tx(&id, e, &sys, version, 0, vars, now) || db_commit(db)) die("démarrage");
    triggers++;
    int64_t task;
    while ((task = open_task(db, id))) {
      if (engine_complete_task(e, &sys, task, qualif, now)) die("tâche");
      triggers++;
      int t, j;
      if (engine_run_jobs(&j, e, &sys, now, 100)) die("travaux");
      triggers += j;
      (void)t;
    }
    int j;
    if (engine_run_jobs(&j, e, &sys, now, 100)) die("travaux");
    triggers += j;
  }
  double run_s = seconds() - t0;
  int64_t steps = engine_steps(e) - steps0;
  sqlite3_stmt *st;
  int64_t completed = 0;
  if (!db_prepare(&st, db, "SELECT count(*) FROM instance WHERE state = 'completed'")) {
    if (sqlite3_step(st) == SQLITE_ROW) completed = sqlite3_column_int64(st, 0);
    db_done(st);
  }
  printf("Circuit demande-appui : %ld instances en %.2f s, %lld terminées ; %lld déclencheurs (transactions), "
         "%lld étapes : %.0f étapes/s, %.0f instances/s, %.0f transactions/s\n",
         instances, run_s, (long long)completed, (long long)triggers, (long long)steps, (double)steps / run_s,
         (double)instances / run_s, (double)triggers / run_s);

  /* 4. Due timers. */
  const char *timer_xml =
      "<?xml version=\"1.0\"?><bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\" "
      "targetNamespace=\"t\"><bpmn:process id=\"minuteurs\" isExecutable=\"true\"><bpmn:startEvent id=\"s\"/>"
      "<bpmn:intermediateCatchEvent id=\"attente\"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration>"
      "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id=\"f\"/>"
      "<bpmn:sequenceFlow id=\"a\" sourceRef=\"s\" targetRef=\"attente\"/><bpmn:sequenceFlow id=\"b\" sourceRef=\"attente\" "
      "targetRef=\"f\"/></bpmn:process></bpmn:definitions>";
  if (store_open(&s, path, 0)) die("dépôt");
  struct store_version tv;
  struct bpmn_report tr;
  if (store_publish(&tv, &tr, s, db, &sys, timer_xml, strlen(timer_xml), "Bench <bench@appui.invalid>", NULL)) die("minuteurs");
  bpmn_report_free(&tr);
  store_close(s);
  t0 = seconds();
  for (long i = 0; i < timers;) {
    if (db_begin(db)) die("lot");
    for (int k = 0; k < 5000 && i < timers; k++, i++)
      if (engine_start_tx(NULL, e, &sys, tv.id, 0, NULL, now)) die("démarrage");
    if (db_commit(db)) die("lot");
  }
  double arm_s = seconds() - t0;
  int fired = 0;
  t0 = seconds();
  if (engine_fire_timers(&fired, e, &sys, now + 2000, (int)timers)) die("déclenchement");
  double fire_s = seconds() - t0;
  printf("Minuteurs : %ld armés en %.2f s ; %d déclenchés en %.2f s (chacun sa transaction) : %.0f minuteurs/s "
         "(objectif : 100 000 en moins de 20 s)\n",
         timers, arm_s, fired, fire_s, fired / fire_s);
  json_decref(vars);
  json_decref(qualif);
  engine_free(e);
  db_close(db);
  return 0;
}
