/* Tests of core/rule.c, the coordinators' routing rules: a valid file
 * parses (names, lines, conditions; accents or not, comments, CRLF, byte
 * order mark), evaluation order (the first lead wins, an earlier exclusion
 * beats a later proposal, a later exclusion removes an earlier proposal,
 * arrêter stops), an undecided condition reported with its explanation, the
 * JSON result, every refusal with its exact line and column, random input,
 * and the check of the orgs against a project database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "rule.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TODAY clock_days_from_civil(2026, 3, 15)

static const char example[] =
    "# Règles d'orientation — appliquées dans l'ordre\n"
    "règle \"Voirie des petites communes\"\n"
    "  si = list contains(demande.themes, \"voirie\") and demande.collectivite.population < 3500\n"
    "  alors pilote atd31\n"
    "  alors contributeur routes\n"
    "\n"
    "règle \"Pas de CAUE pour les EPCI\"\n"
    "  si = demande.collectivite.kind = \"epci\"\n"
    "  alors exclure caue31\n"
    "  alors arrêter\n";

static struct rule_set *parse_ok(const char *text) {
  struct rule_set *rs = NULL;
  struct rule_error err;
  int rc = rule_parse(&rs, text, strlen(text), &err);
  if (rc != 0 || !rs) fail_msg("refusé (%d) : ligne %d, colonne %d : %s", rc, err.line, err.column, err.message);
  return rs;
}

/* Asserts that the `len` bytes at `text` are refused with `code` at `line`,
 * `column`, with a message containing `needle`, in *err and in the thread's
 * message, and that no rule set is given. */
static void refused_n(const char *text, size_t len, int code, int line, int column, const char *needle) {
  struct rule_set *rs = (struct rule_set *)&rs; /* anything but NULL */
  struct rule_error err;
  char prefix[64];
  err_clear();
  int rc = rule_parse(&rs, text, len, &err);
  if (rc != code) fail_msg("%s\n: code %d au lieu de %d (%s)", text, rc, code, err.message);
  if (rs) fail_msg("%s\n: règles rendues malgré le refus", text);
  if (err.line != line || err.column != column)
    fail_msg("%s\n: ligne %d, colonne %d au lieu de ligne %d, colonne %d (%s)", text, err.line, err.column, line,
             column, err.message);
  if (!strstr(err.message, needle)) fail_msg("%s\n: message sans « %s » : %s", text, needle, err.message);
  if (line) snprintf(prefix, sizeof prefix, "ligne %d, colonne %d : ", line, column);
  else prefix[0] = 0;
  if (strncmp(err_msg(), prefix, strlen(prefix)) != 0 || !strstr(err_msg(), needle))
    fail_msg("%s\n: err_msg() = %s", text, err_msg());
  if (err_code() != code) fail_msg("%s\n: err_code() = %d", text, err_code());
}

static void refused(const char *text, int line, int column, const char *needle) {
  refused_n(text, strlen(text), ERR_INVALID, line, column, needle);
}

/* Evaluates `text` over the JSON `vars`. */
static void eval(struct rule_result *out, struct rule_set **rs, const char *text, const char *vars) {
  json_error_t jerr;
  json_t *doc = json_loads(vars, 0, &jerr);
  if (!doc) fail_msg("JSON de test invalide : %s", jerr.text);
  *rs = parse_ok(text);
  memset(out, 0x5a, sizeof *out);
  assert_int_equal(rule_eval(out, *rs, doc, TODAY), 0);
  json_decref(doc);
}

/* Asserts ignored entry `i`. */
static void ignored(const struct rule_result *r, int i, const char *org, enum rule_action action, const char *rule,
                    const char *reason) {
  if (i >= r->n_ignored) fail_msg("écart %d absent (%d seulement)", i, r->n_ignored);
  const struct rule_ignored *g = &r->ignored[i];
  if (strcmp(g->org, org) || g->action != action || strcmp(g->rule, rule) || strcmp(g->reason, reason))
    fail_msg("écart %d : %s %s « %s » (%s) au lieu de %s %s « %s » (%s)", i, rule_action_label(g->action), g->org,
             g->rule, g->reason, rule_action_label(action), org, rule, reason);
}

/* ---- Parsing ---------------------------------------------------------- */

static void parse_example(void **state) {
  (void)state;
  struct rule_set *rs = parse_ok(example);
  assert_int_equal(rule_count(rs), 2);
  assert_string_equal(rule_name(rs, 0), "Voirie des petites communes");
  assert_int_equal(rule_line(rs, 0), 2);
  assert_string_equal(rule_condition(rs, 0),
                      "= list contains(demande.themes, \"voirie\") and demande.collectivite.population < 3500");
  assert_string_equal(rule_name(rs, 1), "Pas de CAUE pour les EPCI");
  assert_int_equal(rule_line(rs, 1), 7);
  assert_string_equal(rule_condition(rs, 1), "= demande.collectivite.kind = \"epci\"");
  rule_set_free(rs);
  rule_set_free(NULL);
}

static void parse_variants(void **state) {
  (void)state;
  /* Byte order mark, CRLF, tabs, no accents, trailing blanks, an indented
   * comment, "si=" without space, a name with quotes of other kinds. */
  const char *text = "\xef\xbb\xbf# en-tête\r\n"
                     "regle \"Énergie « SDEHG »\"  \r\n"
                     "\tsi=demande.collectivite.population >= 1000\r\n"
                     "\t\talors  contributeur   sdehg \r\n"
                     "    # commentaire indenté\r\n"
                     "\talors arreter\r\n"
                     "règle \"2\"\n"
                     "si = true\n"
                     "alors exclure caue31";
  struct rule_set *rs = parse_ok(text);
  assert_int_equal(rule_count(rs), 2);
  assert_string_equal(rule_name(rs, 0), "Énergie « SDEHG »");
  assert_int_equal(rule_line(rs, 0), 2);
  assert_string_equal(rule_condition(rs, 0), "=demande.collectivite.population >= 1000");
  assert_string_equal(rule_name(rs, 1), "2");
  assert_int_equal(rule_line(rs, 1), 7);
  rule_set_free(rs);
  /* An empty file, or only comments, holds no rule. */
  rs = parse_ok("");
  assert_int_equal(rule_count(rs), 0);
  rule_set_free(rs);
  rs = parse_ok("# rien pour l'instant\n\n   \n");
  assert_int_equal(rule_count(rs), 0);
  rule_set_free(rs);
  /* A name of exactly 100 characters (accented: more bytes) is accepted. */
  char buf[1024] = "règle \"";
  for (int i = 0; i < 100; i++) strcat(buf, "é");
  strcat(buf, "\"\nsi = true\nalors arrêter\n");
  rs = parse_ok(buf);
  assert_int_equal(rule_count(rs), 1);
  assert_int_equal((int)strlen(rule_name(rs, 0)), 200);
  rule_set_free(rs);
}

static void refusals_structure(void **state) {
  (void)state;
  /* Unknown keyword, listing the expected ones. */
  refused("règle \"A\"\n  si = true\n  alors pilote atd31\n  sinon pilote caue31\n", 4, 3,
          "mot-clé inconnu « sinon » : une ligne commence par règle \"nom\", si = condition, alors action");
  refused("règle \"A\"\n  si = true\n  Alors arrêter\n", 3, 3, "mot-clé inconnu « Alors »");
  refused("règle \"A\"\n  si = true\n  -> pilote atd31\n", 3, 3, "mot-clé inconnu « -> »");
  /* si or alors before any rule. */
  refused("# commentaire\n\n  si = true\n", 3, 3, "« si » avant toute règle : commencez par une ligne règle");
  refused("alors arrêter\n", 1, 1, "« alors » avant toute règle");
  /* A rule without si: at its règle line when it has nothing, at the first
   * alors otherwise. */
  refused("règle \"A\"\nrègle \"B\"\n  si = true\n  alors arrêter\n", 1, 1,
          "la règle « A » n'a pas de condition : ajoutez une ligne « si = … »");
  refused("\n  règle \"A\"\n", 2, 3, "la règle « A » n'a pas de condition");
  refused("règle \"A\"\n  alors pilote atd31\n  si = true\n", 2, 3,
          "la règle « A » n'a pas de condition : écrivez la ligne « si = … » avant les lignes « alors »");
  /* A rule without alors, before another rule or at the end. */
  refused("règle \"A\"\n  si = true\n\nrègle \"B\"\n  si = false\n  alors arrêter\n", 1, 1,
          "la règle « A » n'a pas d'action : ajoutez au moins une ligne « alors pilote <structure> »");
  refused("règle \"A\"\n  si = true\n  alors arrêter\n  règle \"B\"\n  si = true\n", 4, 3,
          "la règle « B » n'a pas d'action");
  /* Two si. */
  refused("règle \"A\"\n  si = true\n  si = false\n  alors arrêter\n", 3, 3,
          "deuxième condition pour la règle « A » (la première est ligne 2) : réunissez-les");
  /* Too many rules: the 1001st. */
  size_t cap = 64 * 1001, len = 0;
  char *big = malloc(cap);
  assert_non_null(big);
  for (int i = 0; i <= RULE_MAX_RULES; i++)
    len += (size_t)snprintf(big + len, cap - len, "règle \"R%d\"\n si = true\n alors arrêter\n", i);
  refused_n(big, len, ERR_INVALID, 3001, 1, "trop de règles : 1000 au plus");
  /* Exactly 1000 rules are accepted. */
  struct rule_set *rs = NULL;
  assert_int_equal(rule_parse(&rs, big, len - strlen("règle \"R1000\"\n si = true\n alors arrêter\n"), NULL), 0);
  assert_int_equal(rule_count(rs), RULE_MAX_RULES);
  assert_string_equal(rule_name(rs, 999), "R999");
  assert_int_equal(rule_line(rs, 999), 2998);
  rule_set_free(rs);
  free(big);
}

static void refusals_names(void **state) {
  (void)state;
  /* Columns count characters: "règle" is 5 of them (6 bytes). */
  refused("règle Voirie\n", 1, 7, "le nom de la règle s'écrit entre guillemets droits : écrivez règle \"nom");
  refused("règle « Voirie »\n", 1, 7, "entre guillemets droits");
  refused("regle\n", 1, 6, "nom de la règle manquant : écrivez règle \"nom");
  refused("règle \"Voirie\n  si = true\n", 1, 7, "guillemet fermant manquant");
  refused("règle \"\"\n", 1, 8, "nom de la règle vide");
  refused("règle \"  \"\n", 1, 8, "nom de la règle vide");
  refused("règle \"A\" alors arrêter\n", 1, 11, "texte inattendu après le nom de la règle");
  char buf[1024] = "règle \"";
  for (int i = 0; i < 101; i++) strcat(buf, "é");
  strcat(buf, "\"\n");
  refused(buf, 1, 8, "nom de la règle trop long : 101 caractères, 100 au plus");
  /* Duplicate name: at the second one's quote. */
  refused("règle \"Voirie\"\n si = true\n alors arrêter\n\n  règle \"Voirie\"\n si = false\n alors arrêter\n", 5, 9,
          "la règle « Voirie » existe déjà ligne 1 : donnez un autre nom");
}

static void refusals_actions(void **state) {
  (void)state;
  const char *head = "règle \"A\"\n  si = true\n";
  char buf[512];
#define ACTION(line, column, needle)                                                                               \
  do {                                                                                                             \
    snprintf(buf, sizeof buf, "%s%s\n", head, line);                                                               \
    refused(buf, 3, column, needle);                                                                               \
  } while (0)
  ACTION("  alors pilote ATD31", 16,
         "identifiant de structure invalide « ATD31 » : écrivez l'identifiant du catalogue");
  ACTION("  alors contributeur caue_31", 22, "identifiant de structure invalide « caue_31 »");
  ACTION("  alors exclure é", 17, "identifiant de structure invalide « é »");
  ACTION("  alors exclure a", 17, "identifiant de structure invalide « a »");
  ACTION("  alors exclure x2345678901234567890123456789012345678901", 17,
         "identifiant de structure invalide « x234567890123456789012345678901234567890… »");
  ACTION("  alors pilote atd31 caue31", 22,
         "une seule structure par ligne : écrivez une ligne « alors pilote » par structure");
  ACTION("  alors exclure", 16, "structure manquante : écrivez « alors exclure <identifiant de la structure> »");
  ACTION("  alors diriger atd31", 9,
         "action inconnue « diriger » : écrivez pilote, contributeur ou exclure suivi d'une structure, ou arrêter");
  ACTION("  alors", 8, "action manquante après « alors » : écrivez pilote, contributeur ou exclure");
  ACTION("  alors arrêter maintenant", 17, "texte inattendu après « arrêter »");
  ACTION("  alors Arrêter", 9, "action inconnue « Arrêter »");
#undef ACTION
}

static void refusals_conditions(void **state) {
  (void)state;
  /* The condition's own column, shifted to the file's. */
  refused("règle \"A\"\n  si = demande.population == 3500\n  alors arrêter\n", 2, 27, "==");
  refused("règle \"A\"\n  si demande.kind = \"epci\"\n  alors arrêter\n", 2, 6, "=");
  refused("règle \"A\"\n  si\n  alors arrêter\n", 2, 5, "=");
  /* Accented text before the mistake: columns in characters. */
  refused("règle \"A\"\n  si = demande.ville = \"Bérat\" && x\n  alors arrêter\n", 2, 32, "and");
  refused("règle \"A\"\n\tsi = (demande.a = 1\n  alors arrêter\n", 2, 7,
          "parenthèse ouverte colonne 7 jamais refermée");
  refused("règle \"A\"\n  si = demande.v = \"é\" and (a = 1 b)\n  alors arrêter\n", 2, 35,
          "fermer la parenthèse de la colonne 28");
  /* The thread's message is the condition's, with the file's position. */
  struct rule_error err;
  struct rule_set *rs = NULL;
  const char *text = "règle \"A\"\n  si = a && b\n  alors arrêter\n";
  assert_int_equal(rule_parse(&rs, text, strlen(text), &err), ERR_INVALID);
  assert_null(rs);
  assert_string_equal(err_msg(), "ligne 2, colonne 10 : « && » n'existe pas en FEEL : écrivez « and »");
}

static void refusals_bytes(void **state) {
  (void)state;
  /* Invalid UTF-8 and control characters, at the first bad byte. */
  refused("règle \"A\xff\"\n", 1, 9, "texte UTF-8 invalide ou caractère de contrôle");
  refused("règle \"A\"\n  si = true\n  alors pilote atd\x01" "31\n", 3, 19, "UTF-8 invalide");
  refused("règle \"é\xc3\"\n", 1, 9, "UTF-8 invalide");
  refused_n("règle \"A\"\n\0", 12, ERR_INVALID, 2, 1, "UTF-8 invalide");
  /* Too large: as a whole, before reading. */
  size_t n = RULE_MAX_BYTES + 1;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, '\n', n);
  refused_n(big, n, ERR_TOOLARGE, 0, 0, "fichier de règles trop volumineux : 262145 octets, 262144 au plus");
  /* Exactly the limit is read (blank lines). */
  struct rule_set *rs = NULL;
  assert_int_equal(rule_parse(&rs, big, RULE_MAX_BYTES, NULL), 0);
  assert_int_equal(rule_count(rs), 0);
  rule_set_free(rs);
  free(big);
}

/* Random mutations of a valid file: accepted, or refused at a position
 * inside the text with a message; never a crash (run under sanitizers). */
static void random_input(void **state) {
  (void)state;
  size_t n = sizeof example - 1;
  char buf[sizeof example];
  static const char alphabet[] = "\"=#() \n\t\xc3\xa9\xff\x01" "aAz-_09r\xe8";
  unsigned seed = 12345;
  for (int round = 0; round < 5000; round++) {
    memcpy(buf, example, n);
    for (int k = 0; k < 1 + round % 4; k++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % n;
      seed = seed * 1103515245u + 12345u;
      buf[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
    }
    struct rule_set *rs = NULL;
    struct rule_error err;
    int rc = rule_parse(&rs, buf, n - round % 7, &err);
    if (rc == 0) {
      struct rule_result r;
      assert_int_equal(rule_eval(&r, rs, NULL, TODAY), 0);
      json_t *j = rule_result_json(&r);
      assert_non_null(j);
      json_decref(j);
      rule_result_free(&r);
      rule_set_free(rs);
      continue;
    }
    assert_int_equal(rc, ERR_INVALID);
    assert_null(rs);
    if (err.line < 1 || err.line > 12 || err.column < 1 || err.column > 120 || !err.message[0])
      fail_msg("tour %d : ligne %d, colonne %d : %s", round, err.line, err.column, err.message);
  }
}

/* ---- Evaluation ------------------------------------------------------- */

static void first_lead_wins(void **state) {
  (void)state;
  struct rule_set *rs;
  struct rule_result r;
  eval(&r, &rs,
       "règle \"A\"\n si = true\n alors pilote atd31\n"
       "règle \"B\"\n si = false\n alors pilote sdehg\n"
       "règle \"C\"\n si = demande.n > 1\n alors pilote caue31\n alors contributeur atd31\n alors contributeur routes\n"
       "règle \"D\"\n si = true\n alors pilote atd31\n alors contributeur routes\n",
       "{\"demande\": {\"n\": 2}}");
  assert_int_equal(r.n_rules, 4);
  assert_int_equal(r.rules[0].outcome, RULE_FIRED);
  assert_int_equal(r.rules[1].outcome, RULE_NOT_APPLICABLE);
  assert_int_equal(r.rules[2].outcome, RULE_FIRED);
  assert_int_equal(r.rules[3].outcome, RULE_FIRED);
  assert_string_equal(r.rules[2].name, "C");
  assert_int_equal(r.rules[2].line, 7);
  assert_string_equal(r.rules[0].why, "");
  assert_string_equal(r.lead.org, "atd31");
  assert_string_equal(r.lead.rule, "A");
  assert_int_equal(r.n_contributors, 1);
  assert_string_equal(r.contributors[0].org, "routes");
  assert_string_equal(r.contributors[0].rule, "C");
  assert_int_equal(r.n_excluded, 0);
  assert_int_equal(r.n_ignored, 4);
  ignored(&r, 0, "caue31", RULE_LEAD, "C", "pilote déjà choisi : atd31 par la règle « A »");
  ignored(&r, 1, "atd31", RULE_CONTRIBUTOR, "C", "déjà pilote par la règle « A »");
  ignored(&r, 2, "atd31", RULE_LEAD, "D", "déjà pilote par la règle « A »");
  ignored(&r, 3, "routes", RULE_CONTRIBUTOR, "D", "déjà contributrice par la règle « C »");
  rule_result_free(&r);
  assert_null(r.rules);
  rule_result_free(NULL);
  rule_set_free(rs);
}

static void earlier_exclusion_wins(void **state) {
  (void)state;
  struct rule_set *rs;
  struct rule_result r;
  eval(&r, &rs,
       "règle \"Pas de CAUE pour les EPCI\"\n si = demande.kind = \"epci\"\n alors exclure caue31\n"
       "règle \"Bâtiments\"\n si = true\n alors pilote caue31\n alors contributeur caue31\n"
       "règle \"Repli\"\n si = true\n alors pilote atd31\n alors exclure caue31\n",
       "{\"demande\": {\"kind\": \"epci\"}}");
  assert_string_equal(r.lead.org, "atd31");
  assert_string_equal(r.lead.rule, "Repli");
  assert_int_equal(r.n_contributors, 0);
  assert_int_equal(r.n_excluded, 1);
  assert_string_equal(r.excluded[0].org, "caue31");
  assert_string_equal(r.excluded[0].rule, "Pas de CAUE pour les EPCI");
  assert_int_equal(r.n_ignored, 3);
  ignored(&r, 0, "caue31", RULE_LEAD, "Bâtiments", "écartée par la règle « Pas de CAUE pour les EPCI »");
  ignored(&r, 1, "caue31", RULE_CONTRIBUTOR, "Bâtiments", "écartée par la règle « Pas de CAUE pour les EPCI »");
  ignored(&r, 2, "caue31", RULE_EXCLUDE, "Repli", "déjà écartée par la règle « Pas de CAUE pour les EPCI »");
  rule_result_free(&r);
  rule_set_free(rs);
  /* The same rules for a commune: no exclusion, the CAUE leads. */
  eval(&r, &rs,
       "règle \"Pas de CAUE pour les EPCI\"\n si = demande.kind = \"epci\"\n alors exclure caue31\n"
       "règle \"Bâtiments\"\n si = true\n alors pilote caue31\n",
       "{\"demande\": {\"kind\": \"commune\"}}");
  assert_int_equal(r.rules[0].outcome, RULE_NOT_APPLICABLE);
  assert_string_equal(r.lead.org, "caue31");
  assert_int_equal(r.n_ignored, 0);
  rule_result_free(&r);
  rule_set_free(rs);
}

static void later_exclusion_removes(void **state) {
  (void)state;
  struct rule_set *rs;
  struct rule_result r;
  eval(&r, &rs,
       "règle \"A\"\n si = true\n alors pilote caue31\n alors contributeur routes\n alors contributeur sdehg\n"
       "règle \"B\"\n si = true\n alors exclure caue31\n alors exclure routes\n"
       "règle \"C\"\n si = true\n alors pilote atd31\n",
       "{}");
  assert_string_equal(r.lead.org, "atd31");
  assert_string_equal(r.lead.rule, "C");
  assert_int_equal(r.n_contributors, 1);
  assert_string_equal(r.contributors[0].org, "sdehg");
  assert_int_equal(r.n_excluded, 2);
  assert_string_equal(r.excluded[0].org, "caue31");
  assert_string_equal(r.excluded[1].org, "routes");
  assert_string_equal(r.excluded[1].rule, "B");
  assert_int_equal(r.n_ignored, 2);
  ignored(&r, 0, "caue31", RULE_LEAD, "A", "écartée par la règle « B »");
  ignored(&r, 1, "routes", RULE_CONTRIBUTOR, "A", "écartée par la règle « B »");
  rule_result_free(&r);
  rule_set_free(rs);
  /* A contributor later proposed as lead becomes the lead only. */
  eval(&r, &rs,
       "règle \"A\"\n si = true\n alors contributeur atd31\n alors contributeur routes\n"
       "règle \"B\"\n si = true\n alors pilote atd31\n",
       "{}");
  assert_string_equal(r.lead.org, "atd31");
  assert_int_equal(r.n_contributors, 1);
  assert_string_equal(r.contributors[0].org, "routes");
  assert_int_equal(r.n_ignored, 1);
  ignored(&r, 0, "atd31", RULE_CONTRIBUTOR, "A", "choisie comme pilote par la règle « B »");
  rule_result_free(&r);
  rule_set_free(rs);
}

static void stop(void **state) {
  (void)state;
  struct rule_set *rs;
  struct rule_result r;
  eval(&r, &rs,
       "règle \"Non\"\n si = false\n alors arrêter\n"
       "règle \"Stop\"\n si = true\n alors contributeur routes\n alors arreter\n alors contributeur sdehg\n"
       "règle \"Après\"\n si = true\n alors pilote atd31\n"
       "règle \"Encore après\"\n si = demande.x > 1\n alors pilote caue31\n",
       "{}");
  assert_int_equal(r.n_rules, 4);
  assert_int_equal(r.rules[0].outcome, RULE_NOT_APPLICABLE);
  assert_int_equal(r.rules[1].outcome, RULE_FIRED);
  assert_int_equal(r.rules[2].outcome, RULE_NOT_REACHED);
  assert_int_equal(r.rules[3].outcome, RULE_NOT_REACHED);
  assert_string_equal(r.rules[2].why, "évaluation arrêtée par la règle de la ligne 4 (« alors arrêter »)");
  assert_null(r.lead.org);
  /* Every action of the stopping rule applies, even after arrêter. */
  assert_int_equal(r.n_contributors, 2);
  assert_string_equal(r.contributors[0].org, "routes");
  assert_string_equal(r.contributors[1].org, "sdehg");
  assert_int_equal(r.n_ignored, 0);
  rule_result_free(&r);
  rule_set_free(rs);
}

static void undecided(void **state) {
  (void)state;
  struct rule_set *rs;
  struct rule_result r;
  eval(&r, &rs,
       "règle \"Petites communes\"\n si = demande.collectivite.population < 3500\n alors pilote atd31\n alors arrêter\n"
       "règle \"Ensuite\"\n si = true\n alors contributeur routes\n",
       "{\"demande\": {\"collectivite\": {\"nom\": \"Bérat\"}}}");
  assert_int_equal(r.rules[0].outcome, RULE_UNDECIDED);
  assert_non_null(strstr(r.rules[0].why, "« demande.collectivite.population » est absente (null)"));
  /* Nothing applied, not even arrêter: the next rule is evaluated. */
  assert_int_equal(r.rules[1].outcome, RULE_FIRED);
  assert_null(r.lead.org);
  assert_int_equal(r.n_contributors, 1);
  json_t *j = rule_result_json(&r);
  assert_non_null(j);
  json_t *r0 = json_array_get(json_object_get(j, "rules"), 0);
  assert_string_equal(json_string_value(json_object_get(r0, "outcome")), "indéterminée");
  assert_string_equal(json_string_value(json_object_get(r0, "why")), r.rules[0].why);
  assert_int_equal(json_integer_value(json_object_get(r0, "line")), 1);
  json_decref(j);
  rule_result_free(&r);
  rule_set_free(rs);
  /* NULL variables are {}: the same. */
  rs = parse_ok("règle \"A\"\n si = demande.n > 1\n alors arrêter\n");
  assert_int_equal(rule_eval(&r, rs, NULL, TODAY), 0);
  assert_int_equal(r.rules[0].outcome, RULE_UNDECIDED);
  assert_non_null(strstr(r.rules[0].why, "« demande.n » est absente"));
  rule_result_free(&r);
  rule_set_free(rs);
}

static void result_json(void **state) {
  (void)state;
  struct rule_set *rs;
  struct rule_result r;
  eval(&r, &rs, example, "{\"demande\": {\"themes\": [\"voirie\"], \"collectivite\": {\"population\": 900}}}");
  json_t *j = rule_result_json(&r);
  assert_non_null(j);
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  assert_string_equal(
      s, "{\"contributors\":[{\"org\":\"routes\",\"rule\":\"Voirie des petites communes\"}],\"excluded\":[],"
         "\"ignored\":[],\"lead\":{\"org\":\"atd31\",\"rule\":\"Voirie des petites communes\"},"
         "\"rules\":[{\"line\":2,\"name\":\"Voirie des petites communes\",\"outcome\":\"appliquée\"},"
         "{\"line\":7,\"name\":\"Pas de CAUE pour les EPCI\",\"outcome\":\"non applicable\"}]}");
  free(s);
  json_decref(j);
  rule_result_free(&r);
  rule_set_free(rs);
  /* An EPCI whose population is unknown: rule 1 undecided, rule 2 fires. */
  eval(&r, &rs, example, "{\"demande\": {\"themes\": [\"voirie\"], \"collectivite\": {\"kind\": \"epci\"}}}");
  j = rule_result_json(&r);
  assert_non_null(j);
  assert_true(json_is_null(json_object_get(j, "lead")));
  json_t *rules = json_object_get(j, "rules");
  assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "outcome")), "indéterminée");
  assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 1), "outcome")), "appliquée");
  assert_null(json_object_get(json_array_get(rules, 1), "why"));
  json_t *ex = json_array_get(json_object_get(j, "excluded"), 0);
  assert_string_equal(json_string_value(json_object_get(ex, "org")), "caue31");
  assert_string_equal(json_string_value(json_object_get(ex, "rule")), "Pas de CAUE pour les EPCI");
  json_decref(j);
  rule_result_free(&r);
  rule_set_free(rs);
  /* Ignored entries and not reached rules. */
  eval(&r, &rs,
       "règle \"A\"\n si = true\n alors exclure caue31\n"
       "règle \"B\"\n si = true\n alors contributeur caue31\n alors arrêter\n"
       "règle \"C\"\n si = true\n alors pilote atd31\n",
       "{}");
  j = rule_result_json(&r);
  assert_non_null(j);
  json_t *g = json_array_get(json_object_get(j, "ignored"), 0);
  assert_string_equal(json_string_value(json_object_get(g, "org")), "caue31");
  assert_string_equal(json_string_value(json_object_get(g, "action")), "contributeur");
  assert_string_equal(json_string_value(json_object_get(g, "rule")), "B");
  assert_string_equal(json_string_value(json_object_get(g, "reason")), "écartée par la règle « A »");
  json_t *c = json_array_get(json_object_get(j, "rules"), 2);
  assert_string_equal(json_string_value(json_object_get(c, "outcome")), "non évaluée");
  assert_non_null(strstr(json_string_value(json_object_get(c, "why")), "ligne 4"));
  assert_int_equal(json_array_size(json_object_get(j, "contributors")), 0);
  json_decref(j);
  rule_result_free(&r);
  rule_set_free(rs);
  assert_string_equal(rule_outcome_label(RULE_NOT_REACHED), "non évaluée");
  assert_string_equal(rule_action_label(RULE_STOP), "arrêter");
}

/* ---- Orgs ------------------------------------------------------------- */

static void check_orgs(void **state) {
  (void)state;
  char dir[256];
  struct db *db = fixture_db(dir);
  struct user admin;
  int64_t id;
  user_system(&admin, "test");
  struct catalog_org_new n = {"atd31", "Haute-Garonne Ingénierie – ATD 31", "satellite", NULL, NULL, NULL, -1};
  assert_int_equal(catalog_org_add(&id, db, &admin, &n), 0);
  n.slug = "caue31";
  n.name = "CAUE de la Haute-Garonne";
  assert_int_equal(catalog_org_add(&id, db, &admin, &n), 0);

  struct rule_set *rs = parse_ok(example);
  struct rule_error err;
  err_clear();
  assert_int_equal(rule_check_orgs(db, rs, &err), ERR_NOTFOUND);
  assert_int_equal(err.line, 5);
  assert_int_equal(err.column, 22);
  assert_non_null(strstr(err.message, "structure inconnue « routes »"));
  assert_string_equal(err_msg(), "ligne 5, colonne 22 : structure inconnue « routes » : créez-la dans le catalogue "
                                 "ou corrigez son identifiant");
  assert_int_equal(err_code(), ERR_NOTFOUND);

  n.slug = "routes";
  n.name = "Direction des routes";
  n.kind = "direction";
  assert_int_equal(catalog_org_add(&id, db, &admin, &n), 0);
  assert_int_equal(rule_check_orgs(db, rs, &err), 0);
  assert_int_equal(rule_check_orgs(db, rs, NULL), 0);
  rule_set_free(rs);

  /* Columns in characters after accents, and the first unknown in file order. */
  rs = parse_ok("règle \"Énergie\"\n\tsi = true\n\talors arrêter\n\talors exclure sdehg\n\talors pilote smea\n");
  assert_int_equal(rule_check_orgs(db, rs, &err), ERR_NOTFOUND);
  assert_int_equal(err.line, 4);
  assert_int_equal(err.column, 16);
  assert_non_null(strstr(err.message, "« sdehg »"));
  rule_set_free(rs);
  db_close(db);
  fixture_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_example),
      cmocka_unit_test(parse_variants),
      cmocka_unit_test(refusals_structure),
      cmocka_unit_test(refusals_names),
      cmocka_unit_test(refusals_actions),
      cmocka_unit_test(refusals_conditions),
      cmocka_unit_test(refusals_bytes),
      cmocka_unit_test(random_input),
      cmocka_unit_test(first_lead_wins),
      cmocka_unit_test(earlier_exclusion_wins),
      cmocka_unit_test(later_exclusion_removes),
      cmocka_unit_test(stop),
      cmocka_unit_test(undecided),
      cmocka_unit_test(result_json),
      cmocka_unit_test(check_orgs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
