/* Tests of `appui match`, `appui part …`, `appui sla …` and `appui rules …`
 * (cli/cli_dispatch.c, cli/cli_workflow.c) as a user meets them, on the
 * demo data (Haute-Garonne and the Gers, whose communes lie outside every
 * demo offer's perimeter): dry runs and request matches ranked and
 * explained in French, in text and JSON; a demo request dispatched after
 * qualification and worked to its closure by the head and the agent of the
 * ATD 31, every refusal with exit status 1, a French message on standard
 * error and nothing changed; bulk reassignment; deadlines; routing rules
 * published from a file and shown in the match explanation, a malformed
 * file reported as FILE:LINE:COLUMN. The tests run in order on one data
 * directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256]; /* data directory shared by the tests, in order */
static struct fixture_output io;
#define out io.out
#define errs io.err

#define CHEF "chef.atd31@appui.example"
#define AGENT "agent.atd31@appui.example"
#define CHEF_CAUE "chef.caue31@appui.example"
#define COORD "coordination@appui.example"
#define MAIRE "maire@agassac.example"
#define ATD "Haute-Garonne Ingénierie – ATD 31"

static char ref[32];    /* the demo request of Agassac on voirie */
static char second[32]; /* a request filed by the test, left open */

static int run(const char *const *args) { return fixture_run(&io, APPUI_BIN, dir, NULL, args); }

#define RUN(...) run((const char *const[]){__VA_ARGS__, NULL})

/* Runs a command that must succeed. */
#define OK(...)                                                                                                  \
  do {                                                                                                           \
    if (RUN(__VA_ARGS__) != 0) fail_msg("%s: %s", #__VA_ARGS__, errs);                                           \
  } while (0)

static int group_setup(void **state) {
  (void)state;
  fixture_dir(dir);
  if (RUN("demo", "--source", fixture_referential()) != 0) {
    fprintf(stderr, "demo: %s\n", errs);
    return -1;
  }
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  fixture_rmdir(dir);
  return 0;
}

/* The standard output parsed as JSON (decref it); fails the test if it is
 * not JSON. */
static json_t *json_out(void) {
  json_error_t e;
  json_t *o = json_loads(out, 0, &e);
  if (!o) fail_msg("JSON invalide (%s, ligne %d) :\n%.2000s", e.text, e.line, out);
  return o;
}

/* The line of the output that starts with `prefix` (static copy), or NULL. */
static const char *line_starting(const char *prefix) {
  static char line[4096];
  for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    if (!strncmp(p, prefix, strlen(prefix))) {
      size_t n = strcspn(p, "\n");
      snprintf(line, sizeof line, "%.*s", (int)n, p);
      return line;
    }
  }
  return NULL;
}

/* The block of text of ranked offer `rank` (its line and its reasons), as a
 * static copy. */
static const char *ranked(int rank) {
  static char block[8192];
  char start[16], next[16];
  snprintf(start, sizeof start, "\n%2d. ", rank);
  snprintf(next, sizeof next, "\n%2d. ", rank + 1);
  const char *p = strstr(out, start);
  if (!p) fail_msg("pas de rang %d :\n%s", rank, out);
  const char *q = strstr(p + 1, next);
  size_t n = q ? (size_t)(q - p) : strlen(p);
  snprintf(block, sizeof block, "%.*s", (int)n, p + 1);
  return block;
}

static const char *status_of(const char *r) {
  static char s[128];
  OK("request", "show", r, "--json");
  json_t *o = json_out();
  snprintf(s, sizeof s, "%s", json_string_value(json_object_get(o, "status")));
  json_decref(o);
  return s;
}

/* The open task at `element` for request `r` (its id as text), "" if none. */
static const char *task_of(const char *r, const char *element) {
  static char id[32];
  id[0] = 0;
  OK("workflow", "tasks", "--json");
  json_t *o = json_out();
  size_t i;
  json_t *t;
  json_array_foreach(o, i, t) {
    if (!strcmp(json_string_value(json_object_get(t, "request")), r) &&
        !strcmp(json_string_value(json_object_get(t, "element")), element))
      snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(t, "id")));
  }
  json_decref(o);
  return id;
}

/* What a refused command must leave as it was: the parts of the request
 * and the whole journal. */
static char *snapshot(const char *r) {
  OK("part", "list", r, "--json");
  size_t n = strlen(out);
  char *s = malloc(n + 64);
  assert_non_null(s);
  memcpy(s, out, n);
  OK("journal", "--limit", "100000", "--json");
  json_t *j = json_out();
  snprintf(s + n, 64, "|%zu", json_array_size(j));
  json_decref(j);
  return s;
}

/* Asserts that the command fails with exit status 1, a message on standard
 * error containing `needle` (starting "appui : "), and changes nothing. */
#define REFUSED(needle, ...)                                                                                     \
  do {                                                                                                           \
    char *before_ = snapshot(ref);                                                                               \
    int rc_ = RUN(__VA_ARGS__);                                                                                  \
    char err_[sizeof io.err];                                                                                    \
    memcpy(err_, errs, sizeof err_);                                                                             \
    if (rc_ != 1) fail_msg("%s: statut %d au lieu de 1 (%s)", #__VA_ARGS__, rc_, errs);                           \
    if (strncmp(err_, "appui : ", 8) || !strstr(err_, needle))                                                   \
      fail_msg("%s: message sans « %s » : %s", #__VA_ARGS__, needle, err_);                                      \
    char *after_ = snapshot(ref);                                                                                \
    if (strcmp(before_, after_)) fail_msg("%s: refusé mais quelque chose a changé", #__VA_ARGS__);               \
    free(before_);                                                                                               \
    free(after_);                                                                                                \
  } while (0)

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* ---- matching ---- */

static void dry_run_ranks_and_explains(void **state) {
  (void)state;
  OK("match", "--collectivity", "31001", "--theme", "voirie", "--text",
     "Réfection du chemin communal raviné par les orages de septembre");
  assert_non_null(strstr(out, "Orientation pour Agassac (31001)"));
  const char *first = ranked(1);
  assert_non_null(strstr(first, ATD " — Assistance technique en voirie communale"));
  assert_non_null(strstr(first, "- Commune adhérente à « " ATD " »"));
  assert_non_null(strstr(first, "- Charge actuelle "));
  assert_non_null(strstr(first, "- Thématique commune : Voirie"));
  assert_non_null(strstr(first, "thématiques 1.00"));
  assert_null(strstr(ranked(2), ATD));
  assert_non_null(line_starting("Proposition : atd31 pilote"));
  /* The same in JSON, with its components. */
  OK("match", "--collectivity", "31001", "--theme", "voirie", "--text",
     "Réfection du chemin communal raviné par les orages de septembre", "--json");
  json_t *o = json_out();
  json_t *offers = json_object_get(o, "offers");
  assert_true(json_array_size(offers) >= 2);
  json_t *best = json_array_get(offers, 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(best, "org"), "slug")), "atd31");
  assert_int_equal(json_integer_value(json_object_get(best, "rank")), 1);
  json_t *c = json_object_get(best, "components");
  static const char *const keys[] = {"theme", "text", "history", "load", "continuity"};
  for (int k = 0; k < 5; k++) {
    json_t *v = json_object_get(c, keys[k]);
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) fail_msg("composante %s", keys[k]);
  }
  assert_true(json_number_value(json_object_get(c, "theme")) == 1.0);
  assert_true(json_number_value(json_object_get(c, "continuity")) > 0);
  assert_true(json_number_value(json_object_get(best, "score")) >=
              json_number_value(json_object_get(json_array_get(offers, 1), "score")));
  assert_true(json_is_null(json_object_get(o, "summary")));
  assert_null(json_object_get(o, "ref"));
  json_decref(o);
  /* --limit keeps the best. */
  OK("match", "--collectivity", "31001", "--theme", "voirie", "--limit", "1", "--json");
  o = json_out();
  assert_int_equal(json_array_size(json_object_get(o, "offers")), 1);
  json_decref(o);
}

static void gers_commune_is_outside_every_perimeter(void **state) {
  (void)state;
  OK("match", "--collectivity", "32013", "--theme", "voirie", "--text", "Réfection du chemin communal");
  assert_non_null(strstr(out, "Orientation pour Auch (32013)"));
  const char *summary = line_starting("Aucune offre ne convient");
  assert_non_null(summary);
  assert_int_equal(strncmp(summary, "Aucune offre ne convient à Auch :", 33), 0);
  assert_non_null(strstr(summary, "hors périmètre"));
  assert_null(strstr(out, "\n 1. "));
  assert_null(strstr(out, "Proposition :"));
  OK("offer", "list", "--json");
  json_t *offers = json_out();
  size_t n = json_array_size(offers);
  json_decref(offers);
  assert_true(n > 0);
  OK("match", "--collectivity", "32013", "--theme", "voirie", "--json");
  json_t *o = json_out();
  assert_int_equal(json_array_size(json_object_get(o, "offers")), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "eligible")), 0);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "excluded_counts"), "perimeter")), (int)n);
  assert_int_equal(strncmp(json_string_value(json_object_get(o, "summary")), "Aucune offre ne convient", 24), 0);
  assert_true(json_is_null(json_object_get(json_object_get(o, "proposal"), "lead")));
  json_decref(o);
  /* The explanation lists the offers on the theme with the reason. */
  OK("match", "--collectivity", "32013", "--theme", "voirie", "--explain");
  assert_non_null(strstr(out, "Hors périmètre : l'offre est donnée sur « Haute-Garonne », pas sur Auch"));
}

static void match_refusals(void **state) {
  (void)state;
  assert_int_equal(RUN("match"), 2);
  assert_non_null(strstr(errs, "--collectivity"));
  assert_int_equal(RUN("match", "2026-000001", "--collectivity", "31001", "--theme", "voirie"), 2);
  assert_non_null(strstr(errs, "pas les deux"));
  assert_int_equal(RUN("match", "--collectivity", "31001", "--theme", "voirie", "--limit", "0"), 2);
  assert_int_equal(RUN("match", "--collectivity", "31001"), 1);
  assert_non_null(strstr(errs, "au moins une thématique"));
  assert_int_equal(RUN("match", "--collectivity", "31001", "--theme", "routes"), 1);
  assert_non_null(strstr(errs, "thématique inconnue : « routes »"));
  assert_int_equal(RUN("match", "--collectivity", "99999", "--theme", "voirie"), 1);
  assert_non_null(strstr(errs, "appui : "));
  assert_int_equal(RUN("match", "2026-999999"), 1);
  assert_non_null(strstr(errs, "demande inconnue"));
}

static void match_of_a_demo_request(void **state) {
  (void)state;
  OK("request", "list", "--collectivity", "31001", "--theme", "voirie", "--json");
  json_t *o = json_out();
  json_t *items = json_object_get(o, "items");
  assert_int_equal(json_array_size(items), 1);
  snprintf(ref, sizeof ref, "%s", json_string_value(json_object_get(json_array_get(items, 0), "ref")));
  json_decref(o);
  assert_int_equal(strlen(ref), 11);
  OK("match", ref);
  char head[128];
  snprintf(head, sizeof head, "Orientation pour Agassac (31001) — demande %s", ref);
  assert_non_null(strstr(out, head));
  const char *first = ranked(1);
  assert_non_null(strstr(first, ATD));
  assert_non_null(strstr(first, "- Offre choisie par la collectivité"));
  assert_non_null(strstr(first, "- Commune adhérente"));
  OK("match", ref, "--json");
  o = json_out();
  assert_string_equal(json_string_value(json_object_get(o, "ref")), ref);
  json_t *best = json_array_get(json_object_get(o, "offers"), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(best, "org"), "slug")), "atd31");
  assert_string_equal(json_string_value(json_object_get(json_object_get(best, "offer"), "slug")), "atd-voirie");
  assert_true(json_is_object(json_object_get(best, "components")));
  assert_true(json_number_value(json_object_get(best, "score")) >= 60);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(json_object_get(o, "proposal"), "lead"), "org")), "atd31");
  json_decref(o);
  /* Matching is for the services. */
  assert_int_equal(RUN("match", ref, "--as", MAIRE), 1);
  assert_non_null(strstr(errs, "réservée aux services"));
  assert_int_equal(RUN("match", ref, "--as", "secretariat@muret.example"), 1);
  assert_non_null(strstr(errs, "autre collectivité"));
}

/* ---- the life of the parts ---- */

static void parts_from_dispatch_to_closure(void **state) {
  (void)state;
  assert_string_equal(status_of(ref), "En qualification");
  OK("part", "list", ref);
  assert_non_null(strstr(out, "Aucune mise en relation."));
  /* Qualified: the best offer scores enough, the ATD 31 is proposed. */
  const char *task = task_of(ref, "qualifier");
  assert_true(*task);
  OK("workflow", "complete", task, "--var", "recevable=true", "--var", "complet=true", "--as", COORD);
  assert_string_equal(status_of(ref), "En cours");
  assert_true(*task_of(ref, "traiter"));
  OK("part", "list", ref);
  assert_non_null(line_starting("Pilote       " ATD));
  assert_non_null(strstr(out, "Proposée"));
  OK("part", "queue", "--as", CHEF);
  assert_non_null(strstr(out, ref));
  /* The coordination asks the routes to contribute. */
  OK("part", "propose", ref, "routes", "--role", "contributor", "--offer", "routes-securite", "--as", COORD);
  assert_non_null(strstr(out, "routes proposée sur"));
  REFUSED("seule la coordination propose", "part", "propose", ref, "caue31", "--role", "contributor", "--as", CHEF);
  REFUSED("déjà une mise en relation", "part", "propose", ref, "atd31", "--role", "contributor");
  REFUSED("déjà une structure pilote", "part", "propose", ref, "caue31");
  REFUSED("rôle inconnu", "part", "propose", ref, "caue31", "--role", "chef");
  /* Refusals, each leaving everything as it was. */
  REFUSED("un motif est obligatoire pour décliner", "part", "decline", ref, "atd31", "--as", CHEF);
  REFUSED("chef·fe de service de « atd31 »", "part", "accept", ref, "atd31", "--as", AGENT);
  REFUSED("n'est pas confiée à votre structure", "part", "accept", ref, "atd31", "--as", CHEF_CAUE);
  REFUSED("structure inconnue", "part", "accept", ref, "inconnue", "--as", CHEF);
  REFUSED("« done » n'est possible que depuis l'état « En cours »", "part", "done", ref, "atd31", "--as", CHEF);
  REFUSED("n'est possible que depuis l'état « Acceptée »", "part", "start", ref, "atd31", "--as", CHEF);
  REFUSED("aucun compte actif", "part", "accept", ref, "atd31", "--as", "personne@appui.example");
  REFUSED("autre collectivité", "part", "accept", ref, "atd31", "--as", "secretariat@muret.example");
  REFUSED("seul·e le ou la chef·fe de service de « atd31 »", "part", "assign", ref, "atd31", "--agent", AGENT, "--as",
          AGENT);
  assert_int_equal(RUN("part", "accept", ref), 2);
  assert_int_equal(RUN("part", "handover", ref, "atd31"), 2);
  assert_non_null(strstr(errs, "--to"));
  /* The head accepts and assigns the agent. */
  OK("part", "accept", ref, "atd31", "--as", CHEF);
  assert_non_null(strstr(out, "atd31 sur"));
  REFUSED("n'est possible que depuis l'état « Proposée »", "part", "accept", ref, "atd31", "--as", CHEF);
  REFUSED("n'est pas un agent de « atd31 »", "part", "assign", ref, "atd31", "--agent", CHEF_CAUE, "--as", CHEF);
  OK("part", "assign", ref, "atd31", "--agent", AGENT, "--as", CHEF);
  assert_non_null(strstr(out, AGENT " assigné·e sur"));
  OK("part", "list", ref, "--json");
  json_t *parts = json_out();
  json_t *lead = json_array_get(parts, 0);
  assert_string_equal(json_string_value(json_object_get(lead, "state")), "accepted");
  assert_string_equal(json_string_value(json_object_get(json_object_get(lead, "agent"), "email")), AGENT);
  json_decref(parts);
  /* The agent works it. */
  OK("part", "start", ref, "atd31", "--as", AGENT);
  OK("part", "queue", "--as", AGENT, "--state", "in_progress");
  assert_non_null(strstr(out, ref));
  /* The contributor declines with a reason; one part is still open. */
  OK("part", "decline", ref, "routes", "--reason", "Pas de route départementale concernée", "--as", COORD);
  assert_null(strstr(out, "Toutes les mises en relation sont closes"));
  assert_string_equal(status_of(ref), "En cours");
  /* The lead is done: the process hears it and closes the request. */
  OK("part", "done", ref, "atd31", "--as", AGENT);
  assert_non_null(strstr(out, "Toutes les mises en relation sont closes (1 terminée(s), 1 déclinée(s), 0 annulée(s))"));
  assert_string_equal(status_of(ref), "closed");
  assert_false(*task_of(ref, "traiter"));
  OK("part", "list", ref);
  assert_non_null(strstr(out, "Terminée"));
  assert_non_null(strstr(out, "motif : Pas de route départementale concernée"));
  OK("part", "queue", "--as", CHEF, "--state", "done");
  assert_non_null(strstr(out, ref));
  REFUSED("n'est possible que depuis l'état", "part", "cancel", ref, "atd31", "--reason", "trop tard", "--as", COORD);
  REFUSED("état inconnu : « fini »", "part", "queue", "--as", CHEF, "--state", "fini");
  REFUSED("sa propre structure", "part", "queue", "--org", "caue31", "--as", CHEF);
}

/* A second demo request dispatched to the ATD 31, worked by the agent, who
 * then leaves: the head moves the agent's open parts to itself. */
static void bulk_reassignment(void **state) {
  (void)state;
  OK("request", "file", "--collectivity", "31001", "--title", "Curage des fossés du chemin communal",
     "--description", "Diagnostic du chemin communal raviné et estimation des travaux de voirie.", "--theme", "voirie",
     "--offer", "atd-voirie", "--as", MAIRE);
  snprintf(second, sizeof second, "%.11s", out);
  const char *task = task_of(second, "qualifier");
  assert_true(*task);
  OK("workflow", "complete", task, "--var", "recevable=true", "--var", "complet=true");
  assert_string_equal(status_of(second), "En cours");
  OK("part", "accept", second, "atd31", "--as", CHEF);
  OK("part", "assign", second, "atd31", "--agent", AGENT, "--as", CHEF);
  assert_int_equal(RUN("part", "reassign", "--to", CHEF), 2);
  assert_non_null(strstr(errs, "--from"));
  REFUSED("réassigner ses dossiers", "part", "reassign", "--from", AGENT, "--to", CHEF, "--as", CHEF_CAUE);
  REFUSED("n'est pas un agent de « atd31 »", "part", "reassign", "--from", AGENT, "--to", CHEF_CAUE, "--as", CHEF);
  REFUSED("compte inconnu", "part", "reassign", "--from", "parti@appui.example", "--as", CHEF);
  REFUSED("n'est pas un agent d'une structure", "part", "reassign", "--from", MAIRE, "--as", COORD);
  REFUSED("le même compte", "part", "reassign", "--from", AGENT, "--to", AGENT, "--as", CHEF);
  REFUSED("compte inconnu", "part", "reassign", "--from", AGENT, "--to", "nouveau@appui.example", "--as", CHEF);
  REFUSED("chef·fe de service", "part", "reassign", "--from", AGENT, "--to", CHEF, "--as", AGENT);
  OK("part", "reassign", "--from", AGENT, "--to", CHEF, "--as", CHEF);
  assert_non_null(strstr(out, "1 mise(s) en relation de " AGENT " confiée(s) à " CHEF));
  OK("part", "list", second, "--json");
  json_t *parts = json_out();
  assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(parts, 0), "agent"), "email")),
                      CHEF);
  json_decref(parts);
  /* The closed request of the first test keeps its agent. */
  OK("part", "list", ref, "--json");
  assert_non_null(strstr(out, AGENT));
  /* Nothing left to move. */
  OK("part", "reassign", "--from", AGENT, "--as", CHEF);
  assert_non_null(strstr(out, "0 mise(s) en relation de " AGENT " sans agent désormais"));
  OK("journal", "--request", second, "--json");
  assert_non_null(strstr(out, "\"bulk\": true"));
}

static void deadlines(void **state) {
  (void)state;
  OK("sla", "show", ref);
  assert_non_null(line_starting("Accusé de réception  2 jour(s) ouvré(s)"));
  const char *take = line_starting("Prise en charge      10 jour(s) ouvré(s)");
  assert_non_null(take);
  assert_non_null(strstr(take, "Tenu le "));
  const char *resolve = line_starting("Résolution           90 jour(s) ouvré(s)");
  assert_non_null(resolve);
  assert_non_null(strstr(resolve, "Tenu le "));
  OK("sla", "show", ref, "--json");
  json_t *o = json_out();
  json_t *targets = json_object_get(o, "targets");
  assert_int_equal(json_array_size(targets), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(targets, 1), "target")), "take");
  assert_string_equal(json_string_value(json_object_get(json_array_get(targets, 1), "state")), "met");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(targets, 2), "days")), 90);
  assert_true(json_is_false(json_object_get(o, "late")));
  json_decref(o);
  OK("sla", "show", ref, "--as", MAIRE);
  assert_int_equal(RUN("sla", "show", ref, "--as", "secretariat@muret.example"), 1);
  assert_non_null(strstr(errs, "autre collectivité"));
  assert_int_equal(RUN("sla", "show", "2026-999999"), 1);
  assert_non_null(strstr(errs, "demande inconnue"));
  assert_int_equal(RUN("sla", "show", ref, "--at", "hier"), 2);
  OK("sla", "sweep");
  assert_non_null(strstr(out, "dépassement(s) de délai signalé(s)"));
  /* Years later: the open request is late, the closed one met its
   * deadlines; the sweep journals each passing once. */
  OK("sla", "show", second, "--at", "2030-01-07T09:00:00+01:00");
  const char *late = line_starting("Résolution ");
  assert_non_null(late);
  assert_non_null(strstr(late, "En retard"));
  OK("sla", "show", ref, "--at", "2030-01-07T09:00:00+01:00");
  assert_null(strstr(out, "En retard"));
  OK("sla", "sweep", "--at", "2030-01-07T09:00:00+01:00");
  int n = atoi(out);
  assert_true(n > 0);
  OK("journal", "--request", second, "--json");
  assert_non_null(strstr(out, "sla.overdue"));
  OK("sla", "sweep", "--at", "2030-01-07T09:00:00+01:00");
  assert_int_equal(strncmp(out, "0 dépassement(s)", 17), 0);
  assert_int_equal(RUN("sla", "sweep", "--at", "demain"), 2);
}

/* ---- routing rules ---- */

static const char rules_text[] =
    "# Règles d'orientation de la plateforme\n"
    "règle \"Voirie des petites communes\"\n"
    "  si = list contains(demande.themes, \"voirie\") and demande.collectivite.population < 3500\n"
    "  alors pilote atd31\n"
    "  alors contributeur routes\n"
    "\n"
    "règle \"Pas de CAUE pour les EPCI\"\n"
    "  si = demande.collectivite.kind = \"epci\"\n"
    "  alors exclure caue31\n";

static void rules_publish_and_explain(void **state) {
  (void)state;
  char file[300], bad[300], unknown[300];
  snprintf(file, sizeof file, "%s/orientation.rules", dir);
  snprintf(bad, sizeof bad, "%s/mal-formees.rules", dir);
  snprintf(unknown, sizeof unknown, "%s/inconnue.rules", dir);
  write_file(file, rules_text);
  write_file(bad, "règle \"A\"\n  si = demande.population == 3500\n  alors arrêter\n");
  write_file(unknown, "règle \"A\"\n  si = true\n  alors pilote smea\n");
  /* The demo may have published its own rules already (version 1). */
  OK("rules", "list", "orientation", "--json");
  json_t *o = json_out();
  int before = (int)json_array_size(o);
  json_decref(o);
  assert_true(before <= 1);
  OK("match", ref, "--explain");
  if (!before) {
    assert_non_null(strstr(out, "Règles d'orientation : aucune publiée"));
  } else {
    assert_non_null(strstr(out, "Règles d'orientation :\n"));
    assert_non_null(strstr(out, "non applicable"));
    assert_null(strstr(out, "(règle « "));
  }
  /* Refusals: nothing published. */
  assert_int_equal(RUN("rules", "publish", file), 2);
  assert_non_null(strstr(errs, "--author"));
  assert_int_equal(RUN("rules", "publish", bad, "--author", "Camille Coordination <coordination@appui.example>"), 1);
  char where[400];
  snprintf(where, sizeof where, "%s:2:27: ", bad);
  if (strncmp(errs, where, strlen(where))) fail_msg("stderr: %s", errs);
  assert_non_null(strstr(errs, "=="));
  assert_int_equal(RUN("rules", "publish", unknown, "--author", "Camille Coordination <coordination@appui.example>"), 1);
  snprintf(where, sizeof where, "%s:3:16: structure inconnue « smea »", unknown);
  if (strncmp(errs, where, strlen(where))) fail_msg("stderr: %s", errs);
  assert_int_equal(RUN("rules", "publish", file, "--author", "Nom <a@b.fr>", "--as", MAIRE), 1);
  assert_non_null(strstr(errs, "seules l'administration et la coordination publient des règles"));
  assert_int_equal(RUN("rules", "publish", file, "--author", "Nom <a@b.fr>", "--name", "Orientation"), 1);
  assert_non_null(strstr(errs, "nom de règles"));
  assert_int_equal(RUN("rules", "publish", file, "--author", "sans adresse"), 1);
  assert_non_null(strstr(errs, "auteur invalide"));
  assert_int_equal(RUN("rules", "publish", "/nonexistent.rules", "--author", "Nom <a@b.fr>"), 1);
  OK("rules", "list", "--json");
  o = json_out();
  assert_int_equal(json_array_size(o), before);
  json_decref(o);
  /* Published; publishing the same file again changes nothing. */
  char version[64], line[64];
  snprintf(version, sizeof version, "rules/orientation v%d (", before + 1);
  OK("rules", "publish", file, "--author", "Nom <a@b.fr>");
  assert_non_null(strstr(out, version));
  assert_non_null(strstr(out, "publiées"));
  OK("rules", "publish", file, "--author", "Nom <a@b.fr>");
  snprintf(version, sizeof version, "inchangées : la version v%d reste la dernière", before + 1);
  assert_non_null(strstr(out, version));
  OK("rules", "list");
  snprintf(line, sizeof line, "orientation          v%d  ", before + 1);
  assert_non_null(line_starting(line));
  assert_non_null(strstr(out, "Nom <a@b.fr>"));
  OK("rules", "list", "--json");
  o = json_out();
  assert_int_equal(json_array_size(o), before + 1);
  json_decref(o);
  OK("rules", "show");
  assert_string_equal(out, rules_text);
  assert_int_equal(RUN("rules", "show", "--version", "99"), 1);
  assert_non_null(strstr(errs, "version 99"));
  char buf[4096];
  fixture_sh(buf, sizeof buf, "git --git-dir=%s/workflows.git log -1 --format='%%an <%%ae>|%%cn' main -- rules", dir);
  assert_string_equal(buf, "Nom <a@b.fr>|Plateforme appui\n");
  /* The match explains the verdict of each rule. */
  OK("match", ref, "--explain");
  assert_non_null(strstr(out, "Règles d'orientation :\n"));
  const char *l2 = line_starting("  ligne 2    Voirie des petites communes");
  assert_non_null(l2);
  assert_non_null(strstr(l2, "appliquée"));
  const char *l7 = line_starting("  ligne 7    Pas de CAUE pour les EPCI");
  assert_non_null(l7);
  assert_non_null(strstr(l7, "non applicable"));
  assert_non_null(line_starting("Proposition : atd31 pilote (règle « Voirie des petites communes »)"));
  assert_non_null(strstr(out, "routes contributeur (règle « Voirie des petites communes »)"));
  assert_non_null(line_starting("Écartées : "));
  OK("match", ref, "--explain", "--json");
  o = json_out();
  json_t *rules = json_object_get(json_object_get(o, "rules"), "rules");
  assert_int_equal(json_array_size(rules), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "outcome")), "appliquée");
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "proposal"), "source")), "rule");
  json_decref(o);
  /* For a large commune the first rule does not apply. */
  OK("match", "--collectivity", "31555", "--theme", "voirie", "--explain");
  l2 = line_starting("  ligne 2    Voirie des petites communes");
  assert_non_null(l2);
  assert_non_null(strstr(l2, "non applicable"));
  assert_null(strstr(out, "(règle « Voirie des petites communes »)"));
}

/* With the rules published, a new request of a small commune is dispatched
 * to the lead and the contributor they name. */
static void rules_drive_the_dispatch(void **state) {
  (void)state;
  char third[32];
  OK("request", "file", "--collectivity", "31003", "--title", "Nids de poule", "--description",
     "Boulevard abîmé au fil des hivers.", "--theme", "voirie");
  snprintf(third, sizeof third, "%.11s", out);
  OK("workflow", "complete", task_of(third, "qualifier"), "--var", "recevable=true", "--var", "complet=true");
  assert_string_equal(status_of(third), "En cours");
  OK("part", "list", third, "--json");
  json_t *parts = json_out();
  assert_int_equal(json_array_size(parts), 2);
  size_t i;
  json_t *p;
  int lead = 0, contributor = 0;
  json_array_foreach(parts, i, p) {
    const char *org = json_string_value(json_object_get(json_object_get(p, "org"), "slug"));
    const char *role = json_string_value(json_object_get(p, "role"));
    lead += !strcmp(org, "atd31") && !strcmp(role, "lead");
    contributor += !strcmp(org, "routes") && !strcmp(role, "contributor");
  }
  json_decref(parts);
  assert_int_equal(lead, 1);
  assert_int_equal(contributor, 1);
  /* The routes hand their share over to the CAUE. */
  char *before = snapshot(third);
  assert_int_equal(RUN("part", "handover", third, "routes", "--to", "atd31"), 1);
  assert_non_null(strstr(errs, "« atd31 » a déjà une mise en relation"));
  assert_int_equal(RUN("part", "handover", third, "routes", "--to", "caue31", "--offer", "atd-voirie"), 1);
  assert_non_null(strstr(errs, "n'est pas une offre de « caue31 »"));
  assert_int_equal(RUN("part", "handover", third, "routes", "--to", "caue31", "--as", CHEF), 1);
  assert_non_null(strstr(errs, "chef·fe de service de « routes »"));
  char *after = snapshot(third);
  assert_string_equal(before, after);
  free(before);
  free(after);
  OK("part", "handover", third, "routes", "--to", "caue31", "--offer", "caue-architecture", "--as", COORD);
  assert_non_null(strstr(out, "routes passe la main à caue31 sur"));
  OK("part", "list", third);
  assert_non_null(line_starting("Contributeur CAUE de la Haute-Garonne"));
  assert_null(strstr(out, "Direction des routes"));
  OK("part", "queue", "--as", CHEF_CAUE);
  assert_non_null(strstr(out, third));
  /* A request of the Gers: nothing suits, the coordinators orient it. */
  char gers[32];
  OK("request", "file", "--collectivity", "32013", "--title", "Chemin communal", "--description",
     "Réfection du chemin communal.", "--theme", "voirie");
  snprintf(gers, sizeof gers, "%.11s", out);
  OK("workflow", "complete", task_of(gers, "qualifier"), "--var", "recevable=true", "--var", "complet=true");
  assert_string_equal(status_of(gers), "Orientée");
  assert_true(*task_of(gers, "orienter"));
  OK("part", "list", gers);
  assert_non_null(strstr(out, "Aucune mise en relation."));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dry_run_ranks_and_explains),
      cmocka_unit_test(gers_commune_is_outside_every_perimeter),
      cmocka_unit_test(match_refusals),
      cmocka_unit_test(match_of_a_demo_request),
      cmocka_unit_test(parts_from_dispatch_to_closure),
      cmocka_unit_test(bulk_reassignment),
      cmocka_unit_test(deadlines),
      cmocka_unit_test(rules_publish_and_explain),
      cmocka_unit_test(rules_drive_the_dispatch),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
