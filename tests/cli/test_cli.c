/* Tests of cli/: the `appui` program run as a user would, through its exit
 * statuses (0 done, 1 refused, 2 usage), its French messages and its output;
 * the demo, the import of real data, `serve` answering and stopping cleanly
 * on Ctrl-C, and a request filed over HTTP shown by `appui request show`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[256]; /* data directory shared by the tests, in order */
static struct fixture_output io;
#define out io.out
#define errs io.err

static int run_in(const char *data, const char *input, const char *const *args) {
  return fixture_run(&io, APPUI_BIN, data, input, args);
}

#define RUN(input, ...) run_in(dir, input, (const char *const[]){__VA_ARGS__, NULL})

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

static void usage_errors_exit_2(void **state) {
  (void)state;
  assert_int_equal(RUN(NULL, "help"), 0);
  assert_non_null(strstr(out, "territory import"));
  assert_non_null(strstr(out, "request file"));
  assert_int_equal(RUN(NULL, "request", "file", "--help"), 0);
  assert_non_null(strstr(out, "--collectivity"));
  assert_int_equal(RUN(NULL, "nimporte"), 2);
  assert_non_null(strstr(errs, "commande inconnue"));
  assert_int_equal(RUN(NULL, "territory", "show"), 2);
  assert_non_null(strstr(errs, "argument manquant"));
  assert_int_equal(RUN(NULL, "territory", "show", "31555", "31003"), 2);
  assert_int_equal(RUN(NULL, "org", "list", "--couleur", "bleu"), 2);
  assert_non_null(strstr(errs, "option inconnue"));
  assert_int_equal(RUN(NULL, "territory", "import"), 2);
  assert_int_equal(RUN(NULL, "request", "list", "--limit", "dix"), 2);
  assert_non_null(strstr(errs, "--limit"));
  assert_int_equal(RUN(NULL, "token", "create"), 2);
  assert_non_null(strstr(errs, "--email"));
  assert_int_equal(RUN(NULL, "org", "list", "--json=oui"), 2);
}

static void import_and_show_real_territory(void **state) {
  (void)state;
  assert_int_equal(RUN(NULL, "territory", "import", "--source", fixture_referential(), "--departement", "99"), 1);
  assert_non_null(strstr(errs, "département inconnu"));
  assert_int_equal(RUN(NULL, "territory", "import", "--source", "/nonexistent", "--departement", "31"), 1);
  assert_non_null(strstr(errs, "introuvable"));
  assert_int_equal(RUN(NULL, "territory", "import", "--source", fixture_referential(), "--departement", "31"), 0);
  assert_non_null(strstr(out, "586 communes"));
  /* Quiet in scripts: no progress drawing when standard error is not a terminal. */
  assert_null(strstr(errs, "\r"));
  assert_int_equal(RUN(NULL, "territory", "import", "--source", fixture_referential(), "--departement", "31"), 0);
  assert_non_null(strstr(out, "0 ajoutés, 0 mis à jour"));
  assert_int_equal(RUN(NULL, "territory", "show", "31555", "--json"), 0);
  json_t *o = json_loads(out, 0, NULL);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "name")), "Toulouse");
  assert_true(json_integer_value(json_object_get(o, "population")) > 400000);
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "epci"), "name")), "Toulouse Métropole");
  json_decref(o);
  assert_int_equal(RUN(NULL, "territory", "show", "31555"), 0);
  assert_non_null(strstr(out, "Population : "));
  assert_int_equal(RUN(NULL, "territory", "show", "99999"), 1);
  assert_non_null(strstr(errs, "collectivité inconnue"));
}

static void catalogue_users_and_requests(void **state) {
  (void)state;
  assert_int_equal(RUN(NULL, "org", "add", "--slug", "atd31", "--name", "ATD 31", "--kind", "satellite"), 0);
  assert_int_equal(RUN(NULL, "org", "add", "--slug", "atd31", "--name", "ATD 31", "--kind", "satellite"), 1);
  assert_non_null(strstr(errs, "existe déjà"));
  assert_int_equal(RUN(NULL, "org", "add", "--slug", "X Y", "--name", "n", "--kind", "satellite"), 1);
  assert_int_equal(RUN(NULL, "offer", "add", "--slug", "atd-voirie", "--org", "atd31", "--kind", "amo", "--title",
                       "Voirie", "--theme", "voirie", "--theme", "commande-publique", "--perimeter", "departement:31",
                       "--members-only", "--sla-ack", "2"),
                   0);
  assert_int_equal(RUN(NULL, "offer", "show", "atd-voirie", "--json"), 0);
  json_t *o = json_loads(out, 0, NULL);
  assert_int_equal(json_array_size(json_object_get(o, "themes")), 2);
  assert_true(json_is_true(json_object_get(o, "requires_membership")));
  json_decref(o);
  assert_int_equal(RUN(NULL, "offer", "add", "--slug", "x1", "--org", "atd31", "--kind", "amo", "--title", "X",
                       "--theme", "routes"),
                   1);
  assert_non_null(strstr(errs, "thématique inconnue"));
  assert_int_equal(RUN("mot-de-passe-assez-long\n", "user", "add", "--email", "maire@agassac.example", "--name",
                       "Mairie d'Agassac", "--role", "requester", "--collectivity", "31001", "--password-stdin"),
                   0);
  assert_int_equal(RUN("court\n", "user", "add", "--email", "x@agassac.example", "--name", "X", "--role",
                       "requester", "--collectivity", "31001", "--password-stdin"),
                   1);
  assert_non_null(strstr(errs, "mot de passe"));
  assert_int_equal(RUN(NULL, "user", "add", "--email", "y@appui.example", "--name", "Y", "--role", "head"), 1);
  assert_non_null(strstr(errs, "structure"));
  assert_int_equal(RUN(NULL, "token", "create", "--email", "maire@agassac.example"), 0);
  assert_int_equal(strncmp(out, "appui_", 6), 0);
  assert_int_equal(RUN(NULL, "request", "file", "--title", "Chemin raviné", "--description", "Après les orages.",
                       "--theme", "voirie", "--offer", "atd-voirie", "--budget", "85000", "--as",
                       "maire@agassac.example"),
                   0);
  char ref[32];
  snprintf(ref, sizeof ref, "%.11s", out);
  assert_int_equal(strlen(ref), 11);
  assert_int_equal(ref[4], '-');
  assert_int_equal(RUN(NULL, "request", "file", "--collectivity", "31003", "--title", "x", "--description", "y",
                       "--theme", "voirie", "--as", "maire@agassac.example"),
                   1);
  assert_non_null(strstr(errs, "votre collectivité"));
  assert_int_equal(RUN(NULL, "request", "file", "--collectivity", "31001", "--title", "x", "--description", "y",
                       "--theme", "inconnu"),
                   1);
  assert_int_equal(RUN(NULL, "request", "file", "--collectivity", "31001", "--title", "x", "--description", "y",
                       "--theme", "voirie", "--as", "personne@nulle.part"),
                   1);
  assert_non_null(strstr(errs, "aucun compte"));
  assert_int_equal(RUN("Des photos suivent.\n", "request", "message", ref, "--body", "-", "--as",
                       "maire@agassac.example"),
                   0);
  assert_int_equal(RUN(NULL, "request", "message", ref, "--body", "note", "--internal", "--as",
                       "maire@agassac.example"),
                   1);
  assert_int_equal(RUN(NULL, "request", "show", ref), 0);
  assert_non_null(strstr(out, "Chemin raviné"));
  assert_non_null(strstr(out, "request.filed"));
  assert_non_null(strstr(out, "message.posted"));
  assert_non_null(strstr(out, "85 000 €"));
  assert_int_equal(RUN(NULL, "request", "list", "--theme", "voirie", "--json"), 0);
  o = json_loads(out, 0, NULL);
  assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
  json_decref(o);
  assert_int_equal(RUN(NULL, "request", "show", "2026-999999"), 1);
  assert_non_null(strstr(errs, "demande inconnue"));
  assert_int_equal(RUN(NULL, "journal", "--limit", "3", "--json"), 0);
  o = json_loads(out, 0, NULL);
  assert_int_equal(json_array_size(o), 3);
  json_decref(o);
}

static void demo_is_idempotent(void **state) {
  (void)state;
  char demo[256];
  fixture_dir(demo);
  assert_int_equal(run_in(demo, NULL, (const char *const[]){"demo", "--source", fixture_referential(), NULL}), 0);
  assert_non_null(strstr(out, "maire@agassac.example"));
  assert_non_null(strstr(out, "admin@appui.example"));
  assert_int_equal(run_in(demo, NULL, (const char *const[]){"demo", NULL}), 0);
  assert_non_null(strstr(out, "existent déjà"));
  assert_int_equal(run_in(demo, NULL, (const char *const[]){"territory", "show", "31555", "--json", NULL}), 0);
  json_t *o = json_loads(out, 0, NULL);
  assert_true(json_integer_value(json_object_get(o, "population")) > 400000);
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "epci"), "code")), "243100518");
  json_decref(o);
  assert_int_equal(run_in(demo, NULL, (const char *const[]){"offer", "list", "--json", NULL}), 0);
  o = json_loads(out, 0, NULL);
  int found = 0;
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) {
    const char *t = json_string_value(json_object_get(x, "title"));
    found += strstr(t, "démocratie participative") || strstr(t, "conseils citoyens") ||
             strstr(t, "Plateforme d'appuis aux territoires") || strstr(t, "démarche participative");
  }
  assert_true(found >= 6);
  json_decref(o);
  fixture_rmdir(demo);
}

static uint16_t free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t n = sizeof a;
  bind(s, (struct sockaddr *)&a, sizeof a);
  getsockname(s, (struct sockaddr *)&a, &n);
  close(s);
  return ntohs(a.sin_port);
}

static size_t keep(char *p, size_t size, size_t n, void *ctx) {
  strncat(ctx, p, size * n < 4000 ? size * n : 4000);
  return size * n;
}

static long http(const char *url, const char *token, const char *body, char *reply) {
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  char auth[256];
  long status = 0;
  reply[0] = 0;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  if (body) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return status;
}

static void serve_files_over_http_and_stops_on_ctrl_c(void **state) {
  (void)state;
  assert_int_equal(RUN(NULL, "token", "create", "--email", "maire@agassac.example"), 0);
  char token[128];
  snprintf(token, sizeof token, "%.*s", (int)strcspn(out, "\n"), out);
  char listen[64], url[128], reply[4096];
  uint16_t port = free_port();
  snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)port);
  char errpath[300];
  snprintf(errpath, sizeof errpath, "%s.serve", dir);
  pid_t pid = fork();
  if (pid == 0) {
    int fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fe, 2);
    execl(APPUI_BIN, APPUI_BIN, "--data", dir, "serve", "--listen", listen, (char *)NULL);
    _exit(127);
  }
  snprintf(url, sizeof url, "http://%s/healthz", listen);
  long st = 0;
  for (int i = 0; i < 200 && st != 200; i++) {
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    st = http(url, NULL, NULL, reply);
  }
  assert_int_equal(st, 200);
  snprintf(url, sizeof url, "http://%s/api/v1/requests", listen);
  st = http(url, token, "{\"title\":\"Déposée par l'API\",\"description\":\"Essai\",\"themes\":[\"urbanisme\"]}", reply);
  assert_int_equal(st, 201);
  json_t *o = json_loads(reply, 0, NULL);
  char ref[32];
  snprintf(ref, sizeof ref, "%s", json_string_value(json_object_get(o, "ref")));
  json_decref(o);
  /* The request filed over HTTP is seen by the command line while serving. */
  assert_int_equal(RUN(NULL, "request", "show", ref), 0);
  assert_non_null(strstr(out, "Déposée par l'API"));
  assert_non_null(strstr(out, "request.filed"));
  assert_non_null(strstr(out, "maire@agassac.example"));
  kill(pid, SIGINT);
  int status = 0;
  for (int i = 0; i < 100; i++) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    if (i == 99) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fail_msg("serve did not stop within 5 s of SIGINT");
    }
  }
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  size_t len;
  char *log = fixture_read(errpath, &len);
  snprintf(errs, sizeof errs, "%s", log);
  free(log);
  unlink(errpath);
  assert_non_null(strstr(errs, "Serveur arrêté"));
  /* Nothing lost: the request is still there after the stop. */
  assert_int_equal(RUN(NULL, "request", "show", ref, "--json"), 0);
  assert_non_null(strstr(out, "Déposée par l'API"));
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(usage_errors_exit_2),
      cmocka_unit_test(import_and_show_real_territory),
      cmocka_unit_test(catalogue_users_and_requests),
      cmocka_unit_test(demo_is_idempotent),
      cmocka_unit_test(serve_files_over_http_and_stops_on_ctrl_c),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  curl_global_cleanup();
  return rc;
}
