/* Tests of `appui workflow …` and of the workflow set-up as a user meets
 * them: `appui init` publishes the default circuits with the right author
 * in a sound git repository; a filed request runs its circuit; definitions
 * are validated and published from files; a definition pushed with plain
 * git becomes a new version after reconcile while a running instance stays
 * on its version until migrated; bad input gives exit status 1 or 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CORPUS APPUI_SHARED_DIR "/testdata/bpmn"

static char dir[256];
static struct fixture_output io;
#define out io.out
#define errs io.err

/* Runs appui --data dir with args (NULL-terminated); output in out/errs. */
static int run(const char *const *args) { return fixture_run(&io, APPUI_BIN, dir, NULL, args); }

#define RUN(...) run((const char *const[]){__VA_ARGS__, NULL})
static int setup(void **state) {
  (void)state;
  fixture_dir(dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  fixture_rmdir(dir);
  return 0;
}

static void init_publishes_the_default_circuits(void **state) {
  (void)state;
  char buf[8192];
  assert_int_equal(RUN("init"), 0);
  assert_non_null(strstr(out, "workflows.git"));
  assert_int_equal(RUN("workflow", "list", "--json"), 0);
  json_t *o = json_loads(out, 0, NULL);
  assert_int_equal(json_array_size(o), 3);
  json_decref(o);
  fixture_sh(buf, sizeof buf, "git --git-dir=%s/workflows.git log --format='%%an <%%ae>|%%cn|%%s' main", dir);
  assert_non_null(strstr(buf, "Plateforme appui <plateforme@appui.invalid>|Plateforme appui|Publication de demande-appui"));
  assert_int_equal(fixture_sh(buf, sizeof buf, "git --git-dir=%s/workflows.git fsck --strict 2>&1", dir), 0);
  /* A second init publishes nothing new. */
  assert_int_equal(RUN("init"), 0);
  assert_non_null(strstr(out, "0 version(s)"));
  assert_int_equal(RUN("workflow", "show", "demande-appui", "--json"), 0);
  assert_non_null(strstr(out, "\"statut\""));
}

static void validate_and_publish_files(void **state) {
  (void)state;
  assert_int_equal(RUN("workflow", "validate", CORPUS "/accept/01-nitram-lib-bpmn-engine--simple-user-task.bpmn",
                       CORPUS "/accept/13-camunda--boundaryTimer.bpmn"),
                   0);
  assert_int_equal(RUN("workflow", "validate", CORPUS "/reject/25-camunda-bpm-platform--CallActivity.testCallSimpleSubProcess.bpmn"), 1);
  assert_non_null(strstr(errs, "callSubProcess"));
  assert_non_null(strstr(errs, "callActivity"));
  assert_int_equal(RUN("workflow", "validate", "/nonexistent.bpmn"), 1);
  assert_int_equal(RUN("workflow", "validate"), 2);
  assert_int_equal(RUN("workflow", "publish", CORPUS "/accept/01-nitram-lib-bpmn-engine--simple-user-task.bpmn"), 2);
  assert_non_null(strstr(errs, "--author"));
  assert_int_equal(RUN("workflow", "publish", CORPUS "/accept/01-nitram-lib-bpmn-engine--simple-user-task.bpmn", "--author",
                       "Claude Coordination <coordination@appui.example>"),
                   0);
  assert_non_null(strstr(out, "simple-user-task v1"));
  assert_int_equal(RUN("workflow", "publish", CORPUS "/accept/01-nitram-lib-bpmn-engine--simple-user-task.bpmn", "--author",
                       "Claude Coordination <coordination@appui.example>"),
                   0);
  assert_non_null(strstr(out, "inchangé"));
  assert_int_equal(RUN("workflow", "publish", CORPUS "/reject/30-bpmn-js--duplicate-ids.bpmn", "--author", "A <a@b.fr>"), 1);
  assert_int_equal(RUN("workflow", "log", "simple-user-task"), 0);
  assert_non_null(strstr(out, "Claude Coordination <coordination@appui.example>"));
  assert_int_equal(RUN("workflow", "log", "inconnu"), 1);
  /* Publishing needs a coordinator or an admin. */
  assert_int_equal(RUN("org", "add", "--slug", "atd31", "--name", "ATD 31", "--kind", "satellite"), 0);
  assert_int_equal(RUN("user", "add", "--email", "agent@atd31.example", "--name", "Agent", "--role", "agent", "--org", "atd31"), 0);
}

static void a_filed_request_runs_its_circuit(void **state) {
  (void)state;
  char buf[8192];
  assert_int_equal(RUN("territory", "import", "--source", fixture_referential(), "--departement", "31"), 0);
  assert_int_equal(RUN("request", "file", "--collectivity", "31001", "--title", "Chemin", "--description", "Raviné",
                       "--theme", "voirie"),
                   0);
  char ref[32];
  snprintf(ref, sizeof ref, "%.11s", out);
  assert_int_equal(RUN("request", "show", ref, "--json"), 0);
  json_t *o = json_loads(out, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(o, "status")), "En qualification");
  json_decref(o);
  assert_int_equal(RUN("workflow", "tasks", "--json"), 0);
  o = json_loads(out, 0, NULL);
  assert_int_equal(json_array_size(o), 1);
  char task[32];
  snprintf(task, sizeof task, "%lld", (long long)json_integer_value(json_object_get(json_array_get(o, 0), "id")));
  json_decref(o);
  /* A coordinator pushes a new version of the circuit with plain git. */
  assert_int_equal(fixture_sh(buf, sizeof buf,
                      "export GIT_AUTHOR_NAME='Dominique Git' GIT_AUTHOR_EMAIL=dg@appui.example GIT_COMMITTER_NAME=x "
                      "GIT_COMMITTER_EMAIL=x@x.fr; cd %s && git clone -q workflows.git clone && cd clone && "
                      "sed -i 's/name=\"Qualifier la demande\"/name=\"Qualifier la demande reçue\"/' processes/demande-appui.bpmn && "
                      "git commit -qam 'Libellé' && git push -q origin main 2>&1",
                      dir),
                   0);
  assert_int_equal(RUN("workflow", "reconcile"), 0);
  assert_non_null(strstr(out, "1 version(s) nouvelle(s)"));
  assert_int_equal(RUN("workflow", "log", "demande-appui", "--json"), 0);
  assert_non_null(strstr(out, "Dominique Git <dg@appui.example>"));
  assert_int_equal(RUN("workflow", "diff", "demande-appui", "1", "2"), 0);
  assert_non_null(strstr(out, "~ qualifier : nom"));
  assert_int_equal(RUN("workflow", "diff", "demande-appui", "1", "2", "--patch"), 0);
  assert_non_null(strstr(out, "Qualifier la demande reçue"));
  /* The running instance stays on v1 until migrated. */
  assert_int_equal(RUN("workflow", "instances", "--process", "demande-appui", "--json"), 0);
  o = json_loads(out, 0, NULL);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(o, 0), "version")), 1);
  json_decref(o);
  assert_int_equal(RUN("workflow", "migrate", "--process", "demande-appui", "--to", "2", "--map", "a=b", "--map", "a=c"), 2);
  assert_non_null(strstr(errs, "deux fois"));
  assert_int_equal(RUN("workflow", "migrate", "--process", "demande-appui", "--to", "2", "--dry-run"), 0);
  assert_non_null(strstr(out, "essai"));
  assert_int_equal(RUN("workflow", "instances", "--process", "demande-appui", "--json"), 0);
  assert_non_null(strstr(out, "\"version\": 1"));
  assert_int_equal(RUN("workflow", "migrate", "--process", "demande-appui", "--to", "2"), 0);
  assert_int_equal(RUN("workflow", "instances", "--process", "demande-appui", "--json"), 0);
  assert_non_null(strstr(out, "\"version\": 2"));
  /* The task goes on: completing it moves the request along. */
  assert_int_equal(RUN("workflow", "complete", task, "--var", "recevable=true", "--var", "complet=true"), 0);
  assert_int_equal(RUN("request", "show", ref, "--json"), 0);
  o = json_loads(out, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(o, "status")), "Orientée");
  json_decref(o);
  assert_int_equal(RUN("workflow", "complete", task), 1);
  assert_non_null(strstr(errs, "plus ouverte"));
  assert_int_equal(RUN("workflow", "complete", "abc"), 2);
  assert_int_equal(RUN("workflow", "complete", task, "--var", "sans-egal"), 2);
  assert_int_equal(RUN("workflow", "tick", "--at", "2026-13-01T00:00:00Z"), 2);
  assert_int_equal(RUN("workflow", "tick", "--at", "2030-01-01T00:00:00+01:00"), 0);
  assert_int_equal(RUN("workflow", "message", "1", "inconnu"), 1);
  assert_int_equal(RUN("workflow", "incidents"), 0);
  assert_int_equal(RUN("journal", "--request", ref, "--json"), 0);
  assert_non_null(strstr(out, "workflow.migrated"));
  assert_non_null(strstr(out, "request.status_changed"));
}

static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t n = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &n);
  close(fd);
  return ntohs(a.sin_port);
}

/* `serve` fires due timers from its scheduler thread: a request whose
 * circuit waits one second moves on without anyone ticking. */
static void serve_fires_timers(void **state) {
  (void)state;
  char path[400];
  snprintf(path, sizeof path, "%s/attente.bpmn", dir);
  FILE *f = fopen(path, "w");
  fputs("<?xml version=\"1.0\"?><bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" targetNamespace=\"t\">"
        "<bpmn:process id=\"attente-courte\" isExecutable=\"true\"><bpmn:startEvent id=\"s\"/>"
        "<bpmn:intermediateCatchEvent id=\"pause\"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:userTask id=\"apres\"><bpmn:extensionElements>"
        "<zeebe:properties><zeebe:property name=\"statut\" value=\"Après la pause\"/></zeebe:properties>"
        "</bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id=\"e\"/>"
        "<bpmn:sequenceFlow id=\"a\" sourceRef=\"s\" targetRef=\"pause\"/><bpmn:sequenceFlow id=\"b\" sourceRef=\"pause\" "
        "targetRef=\"apres\"/><bpmn:sequenceFlow id=\"c\" sourceRef=\"apres\" targetRef=\"e\"/></bpmn:process></bpmn:definitions>",
        f);
  fclose(f);
  assert_int_equal(RUN("workflow", "publish", path, "--author", "A <a@b.fr>"), 0);
  assert_int_equal(RUN("offer", "add", "--slug", "pause", "--org", "atd31", "--kind", "conseil", "--title", "Pause",
                       "--theme", "voirie", "--process", "attente-courte"),
                   0);
  assert_int_equal(RUN("request", "file", "--collectivity", "31001", "--title", "Attente", "--description", "Une seconde",
                       "--theme", "voirie", "--offer", "pause"),
                   0);
  char ref[32];
  snprintf(ref, sizeof ref, "%.11s", out);
  char listen[64];
  snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)free_port());
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(APPUI_BIN, APPUI_BIN, "--data", dir, "serve", "--listen", listen, (char *)NULL);
    _exit(127);
  }
  int moved = 0;
  for (int i = 0; i < 100 && !moved; i++) {
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    if (RUN("request", "show", ref, "--json") == 0 && strstr(out, "Après la pause")) moved = 1;
  }
  kill(pid, SIGTERM);
  int status;
  waitpid(pid, &status, 0);
  assert_true(moved);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(init_publishes_the_default_circuits),
      cmocka_unit_test(validate_and_publish_files),
      cmocka_unit_test(a_filed_request_runs_its_circuit),
      cmocka_unit_test(serve_fires_timers),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
