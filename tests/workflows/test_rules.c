/* Tests of the routing rules in the workflows repository (workflows/store.c:
 * store_publish_rules, store_rules_list, store_rules_text, and the
 * reconcile of rules/<name>.rules pushed with git) and of their effect on
 * matching and automatic dispatch: a published file is version 1 (author,
 * committer, exact content on main, pinned ref), an unchanged one creates
 * no version, a changed one is version 2; every refused file (syntax at a
 * known line and column, unknown org, bad name, too large, requester) leaves
 * git and the database as they were; a file pushed with plain git is
 * registered by reconcile, an invalid one is recorded once and not
 * activated; match_run applies the latest version. Uses the `git` command
 * as a user would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "dispatch.h"
#include "err.h"
#include "fixture.h"
#include "match.h"
#include "request.h"
#include "rule.h"
#include "store.h"
#include "user.h"
#include "wfixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTHOR "Camille Coordination <coordination@appui.example>"

static struct wfixture g;
static struct db *base; /* territory and catalogue, cloned for each test */
static char base_dir[256];
static char git[320];
static struct user coordinator, requester;

static const char v1_text[] =
    "# Règles d'orientation — appliquées dans l'ordre\n"
    "règle \"Voirie des petites communes\"\n"
    "  si = list contains(demande.themes, \"voirie\") and demande.collectivite.population < 3500\n"
    "  alors pilote atd31\n"
    "  alors contributeur routes\n";

static const char v2_text[] =
    "# Règles d'orientation — version 2\n"
    "règle \"Voirie : les routes d'abord\"\n"
    "  si = list contains(demande.themes, \"voirie\")\n"
    "  alors pilote routes\n"
    "  alors contributeur caue31\n"
    "  alors exclure atd31\n";

/* ---- fixtures ---- */

static int group_setup(void **state) {
  (void)state;
  struct user admin;
  user_system(&admin, "test");
  base = fixture_db(base_dir);
  fixture_territory(base);
  static const struct {
    const char *slug, *name, *kind, *offer, *title, *summary, *theme;
  } cat[] = {
      {"atd31", "Agence technique départementale", "satellite", "atd-voirie", "Assistance technique en voirie communale",
       "Programmation et suivi des travaux de voirie communale, diagnostic des chemins ravinés.", "voirie"},
      {"routes", "Direction des routes", "direction", "routes-securite", "Sécurité des traversées d'agglomération",
       "Avis sur les plateaux, chicanes et cheminements piétons.", "voirie"},
      {"caue31", "CAUE de la Haute-Garonne", "satellite", "caue-architecture", "Conseil en architecture",
       "Construction, rénovation et aménagement des espaces publics.", "batiments"},
  };
  for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++) {
    int64_t id;
    struct catalog_org_new o = {.slug = cat[i].slug, .name = cat[i].name, .kind = cat[i].kind, .capacity = -1};
    if (catalog_org_add(&id, base, &admin, &o)) fail_msg("org: %s", err_msg());
    const char *themes[] = {cat[i].theme};
    struct catalog_offer_new f = {.slug = cat[i].offer,
                                  .org = cat[i].slug,
                                  .kind = "conseil",
                                  .title = cat[i].title,
                                  .summary = cat[i].summary,
                                  .themes = themes,
                                  .n_themes = 1,
                                  .perimeter = "departement:31",
                                  .sla_ack = -1,
                                  .sla_take = -1,
                                  .sla_resolve = -1};
    if (catalog_offer_add(&id, base, &admin, &f)) fail_msg("offer: %s", err_msg());
  }
  int64_t id;
  struct user_new c = {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL};
  struct user_new m = {"maire@agassac.example", "Mairie d'Agassac", "requester", "31001", NULL, NULL};
  if (user_add(&id, base, &admin, &c) || user_add(&id, base, &admin, &m)) fail_msg("user: %s", err_msg());
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
  snprintf(git, sizeof git, "%s/workflows.git", g.dir);
  if (wfixture_open(&g)) return -1;
  if (user_get_by_email(&coordinator, g.db, "coordination@appui.example") ||
      user_get_by_email(&requester, g.db, "maire@agassac.example"))
    return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wfixture_close(&g);
  return 0;
}

/* ---- helpers ---- */

__attribute__((format(printf, 1, 2))) static int64_t count(const char *fmt, ...) {
  char sql[800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return fixture_int(g.db, sql);
}

/* The first line of the output of a git command on the repository. */
__attribute__((format(printf, 2, 3))) static const char *git_line(char *out, const char *fmt, ...) {
  char args[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  fixture_sh(out, 4096, "git --git-dir=%s %s 2>/dev/null", git, args);
  out[strcspn(out, "\n")] = 0;
  return out;
}

/* Everything git has for the publications: main, every ref, and the number
 * of objects (loose and packed). */
static void git_state(char *out, size_t size) {
  fixture_sh(out, size,
             "git --git-dir=%s for-each-ref --format='%%(refname) %%(objectname)' && "
             "git --git-dir=%s count-objects -v | grep -E '^(count|in-pack):'",
             git, git);
}

static void write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  fclose(f);
}

/* 1 if the repository holds the blob of `len` bytes at `text`. */
static int has_blob(const char *text, size_t len) {
  char path[400], hash[4096], out[4096];
  snprintf(path, sizeof path, "%s/blob.tmp", g.dir);
  write_file(path, text, len);
  fixture_sh(hash, sizeof hash, "git hash-object --stdin < %s", path);
  hash[strcspn(hash, "\n")] = 0;
  assert_int_equal(strlen(hash), 40);
  int rc = fixture_sh(out, sizeof out, "git --git-dir=%s cat-file -e %s 2>/dev/null", git, hash);
  remove(path);
  return rc == 0;
}

static struct store_version publish_ok(const struct user *actor, const char *name, const char *text,
                                       const char *message) {
  struct store_version v;
  struct rule_error e;
  if (store_publish_rules(&v, &e, g.store, g.db, actor, name, text, strlen(text), AUTHOR, message))
    fail_msg("publish %s: ligne %d, colonne %d : %s", name, e.line, e.column, err_msg());
  return v;
}

/* Asserts that publishing is refused with `code`, the position and message
 * in the rule_error, and that neither git nor the database changed (and
 * the text was not even stored as a blob). */
static void refused(const struct user *actor, const char *name, const char *text, size_t len, const char *author,
                    int code, int line, int column, const char *needle) {
  char before[8192], after[8192], db_before[65], db_after[65];
  git_state(before, sizeof before);
  fixture_digest(g.db, db_before);
  struct store_version v;
  struct rule_error e;
  memset(&e, 0x5a, sizeof e);
  err_clear();
  int rc = store_publish_rules(&v, &e, g.store, g.db, actor, name, text, len, author, NULL);
  if (rc != code) fail_msg("%s: %d au lieu de %d : %s", name ? name : "(null)", rc, code, err_msg());
  if (e.line != line || e.column != column)
    fail_msg("%s: ligne %d, colonne %d au lieu de ligne %d, colonne %d (%s)", name ? name : "(null)", e.line, e.column,
             line, column, err_msg());
  if (needle && !strstr(err_msg(), needle)) fail_msg("message sans « %s » : %s", needle, err_msg());
  if (line && !strstr(e.message, needle ? needle : "")) fail_msg("rule_error sans « %s » : %s", needle, e.message);
  git_state(after, sizeof after);
  fixture_digest(g.db, db_after);
  if (strcmp(before, after)) fail_msg("git a changé :\n%s\n---\n%s", before, after);
  if (strcmp(db_before, db_after)) fail_msg("la base a changé");
  if (has_blob(text, len)) fail_msg("le fichier refusé est entré dans le dépôt");
}

/* A dry-run match of Agassac (31001, population < 3500) on voirie. */
static json_t *match_agassac(void) {
  const char *themes[] = {"voirie"};
  struct match_query q = {"31001", themes, 1, "Chemin communal raviné", 0, NULL, -1, NULL};
  json_t *m = NULL;
  if (match_run(&m, g.db, &q, MATCH_EXPLAIN, 10, clock_now_ms())) fail_msg("match: %s", err_msg());
  return m;
}

static const char *lead_org(json_t *m) {
  return json_string_value(json_object_get(json_object_get(json_object_get(m, "proposal"), "lead"), "org"));
}

static const char *lead_rule(json_t *m) {
  return json_string_value(json_object_get(json_object_get(json_object_get(m, "proposal"), "lead"), "rule"));
}

/* ---- publish ---- */

static void publish_then_unchanged_then_changed(void **state) {
  (void)state;
  char out[4096], out2[4096];
  struct store_version v = publish_ok(&coordinator, "orientation", v1_text, NULL);
  assert_int_equal(v.created, 1);
  assert_int_equal(v.version, 1);
  assert_string_equal(v.process, "rules/orientation");
  assert_int_equal(strlen(v.blob), 40);
  assert_int_equal(strlen(v.commit), 40);
  /* The commit: the person as author, the platform as committer. */
  assert_string_equal(git_line(out, "log -1 --format='%%an <%%ae>|%%cn <%%ce>|%%s' main"),
                      AUTHOR "|" STORE_COMMITTER_NAME " <" STORE_COMMITTER_EMAIL ">|Publication des règles orientation");
  assert_string_equal(git_line(out, "rev-parse main"), v.commit);
  assert_string_equal(git_line(out, "rev-parse refs/deployed/rules/orientation/v1"), v.commit);
  assert_string_equal(git_line(out, "rev-parse main:rules/orientation.rules"), v.blob);
  fixture_sh(out, sizeof out, "git -C %s show main:rules/orientation.rules", git);
  assert_string_equal(out, v1_text);
  assert_int_equal(fixture_sh(out, sizeof out, "git --git-dir=%s fsck --strict 2>&1", git), 0);
  assert_true(has_blob(v1_text, strlen(v1_text)));
  assert_false(has_blob(v2_text, strlen(v2_text)));
  /* The registry. */
  char sql[400];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM ruleset_version WHERE name = 'orientation' AND version = 1 AND blob = '%s' AND "
           "commit_id = '%s' AND author = '" AUTHOR "' AND id = %lld",
           v.blob, v.commit, (long long)v.id);
  assert_int_equal(fixture_int(g.db, sql), 1);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'rules.published' AND "
                         "json_extract(data, '$.rules') = 'orientation' AND json_extract(data, '$.version') = 1"),
                   1);
  char *t = NULL;
  int number = 0;
  assert_int_equal(store_rules_text(&t, &number, g.db, "orientation", 0), 0);
  assert_string_equal(t, v1_text);
  assert_int_equal(number, 1);
  free(t);

  /* The same file again: no commit, no version, nothing changed. */
  char db_before[65], db_after[65];
  fixture_digest(g.db, db_before);
  struct store_version same = publish_ok(&coordinator, "orientation", v1_text, NULL);
  fixture_digest(g.db, db_after);
  assert_int_equal(same.created, 0);
  assert_int_equal(same.version, 1);
  assert_string_equal(db_before, db_after);
  assert_string_equal(git_line(out, "rev-parse main"), v.commit);
  assert_string_equal(git_line(out, "rev-list --count main"), "1");

  /* A changed file: version 2 on top of version 1, both pinned. */
  struct store_version v2 = publish_ok(&g.admin, "orientation", v2_text, "Les routes d'abord");
  assert_int_equal(v2.created, 1);
  assert_int_equal(v2.version, 2);
  assert_string_not_equal(v2.commit, v.commit);
  assert_string_equal(git_line(out, "rev-parse main^"), v.commit);
  assert_string_equal(git_line(out, "log -1 --format=%%s main"), "Les routes d'abord");
  assert_string_equal(git_line(out, "rev-parse refs/deployed/rules/orientation/v2"), v2.commit);
  assert_string_equal(git_line(out2, "rev-parse refs/deployed/rules/orientation/v1"), v.commit);
  fixture_sh(out, sizeof out, "git -C %s show main:rules/orientation.rules", git);
  assert_string_equal(out, v2_text);
  assert_int_equal(store_rules_text(&t, &number, g.db, "orientation", 0), 0);
  assert_string_equal(t, v2_text);
  assert_int_equal(number, 2);
  free(t);
  assert_int_equal(store_rules_text(&t, &number, g.db, "orientation", 1), 0);
  assert_string_equal(t, v1_text);
  assert_int_equal(number, 1);
  free(t);
  t = (char *)"x";
  err_clear();
  assert_int_equal(store_rules_text(&t, NULL, g.db, "orientation", 3), ERR_NOTFOUND);
  assert_null(t);
  assert_non_null(strstr(err_msg(), "version 3"));
  assert_int_equal(store_rules_text(&t, NULL, g.db, "autre", 0), ERR_NOTFOUND);
  assert_non_null(strstr(err_msg(), "aucune règle « autre » publiée"));

  /* Back to the text of v1: a new version (3), numbers never reused. */
  struct store_version v3 = publish_ok(&coordinator, "orientation", v1_text, NULL);
  assert_int_equal(v3.created, 1);
  assert_int_equal(v3.version, 3);
  assert_string_equal(v3.blob, v.blob);

  /* Another ruleset lives beside it. */
  struct store_version other = publish_ok(&coordinator, "exceptions", "# vide pour l'instant\n", NULL);
  assert_int_equal(other.version, 1);
  assert_string_equal(other.process, "rules/exceptions");
  assert_string_equal(git_line(out, "rev-parse refs/deployed/rules/exceptions/v1"), other.commit);
  fixture_sh(out, sizeof out, "git -C %s ls-tree --name-only main rules/", git);
  assert_string_equal(out, "rules/exceptions.rules\nrules/orientation.rules\n");

  /* The list, by name then version. */
  json_t *list;
  assert_int_equal(store_rules_list(&list, g.db, NULL), 0);
  assert_int_equal(json_array_size(list), 4);
  json_t *first = json_array_get(list, 0);
  assert_string_equal(json_string_value(json_object_get(first, "name")), "exceptions");
  assert_string_equal(json_string_value(json_object_get(first, "author")), AUTHOR);
  assert_string_equal(json_string_value(json_object_get(first, "commit")), other.commit);
  assert_true(json_is_string(json_object_get(first, "published_at")));
  json_t *last = json_array_get(list, 3);
  assert_string_equal(json_string_value(json_object_get(last, "name")), "orientation");
  assert_int_equal(json_integer_value(json_object_get(last, "version")), 3);
  json_decref(list);
  assert_int_equal(store_rules_list(&list, g.db, "orientation"), 0);
  assert_int_equal(json_array_size(list), 3);
  json_decref(list);
  assert_int_equal(store_rules_list(&list, g.db, "inconnu"), 0);
  assert_int_equal(json_array_size(list), 0);
  json_decref(list);
}

static void refused_files_change_nothing(void **state) {
  (void)state;
  publish_ok(&coordinator, "orientation", v1_text, NULL);
  /* Syntax: the condition's own column, shifted to the file's. */
  const char *bad = "# Règles\nrègle \"A\"\n  si = demande.collectivite.population == 3500\n  alors pilote atd31\n";
  refused(&coordinator, "orientation", bad, strlen(bad), AUTHOR, ERR_INVALID, 3, 40, "==");
  bad = "règle \"A\"\n  si = true\n  sinon pilote atd31\n";
  refused(&coordinator, "orientation", bad, strlen(bad), AUTHOR, ERR_INVALID, 3, 3, "mot-clé inconnu « sinon »");
  bad = "règle \"Énergie\"\n  si = true\n  alors pilote ATD31\n";
  refused(&coordinator, "orientation", bad, strlen(bad), AUTHOR, ERR_INVALID, 3, 16,
          "identifiant de structure invalide « ATD31 »");
  /* Unknown org: at its slug. */
  bad = "règle \"Énergie\"\n\tsi = true\n\talors contributeur routes\n\talors pilote smea\n";
  refused(&coordinator, "orientation", bad, strlen(bad), AUTHOR, ERR_NOTFOUND, 4, 15, "structure inconnue « smea »");
  /* Name of the ruleset. */
  refused(&coordinator, "Orientation", v2_text, strlen(v2_text), AUTHOR, ERR_INVALID, 0, 0, "nom de règles");
  refused(&coordinator, "../processes/x", v2_text, strlen(v2_text), AUTHOR, ERR_INVALID, 0, 0, "nom de règles");
  refused(&coordinator, "", v2_text, strlen(v2_text), AUTHOR, ERR_INVALID, 0, 0, "nom de règles");
  refused(&coordinator, NULL, v2_text, strlen(v2_text), AUTHOR, ERR_INVALID, 0, 0, "nom de règles");
  assert_string_equal(err_field(), "name");
  /* Too large: refused as a whole, even when every line is fine. */
  size_t len = RULE_MAX_BYTES + 1;
  char *big = malloc(len);
  assert_non_null(big);
  memset(big, '#', len);
  for (size_t i = 79; i < len; i += 80) big[i] = '\n';
  refused(&coordinator, "orientation", big, len, AUTHOR, ERR_TOOLARGE, 0, 0, NULL);
  free(big);
  /* Who publishes. */
  refused(&requester, "orientation", v2_text, strlen(v2_text), AUTHOR, ERR_FORBIDDEN, 0, 0,
          "seules l'administration et la coordination publient des règles");
  struct user head = coordinator;
  head.role = ROLE_HEAD;
  refused(&head, "orientation", v2_text, strlen(v2_text), AUTHOR, ERR_FORBIDDEN, 0, 0, NULL);
  refused(&coordinator, "orientation", v2_text, strlen(v2_text), "Camille sans adresse", ERR_INVALID, 0, 0,
          "auteur invalide");
  /* v1 is still the one matching applies. */
  char *t = NULL;
  int number;
  assert_int_equal(store_rules_text(&t, &number, g.db, "orientation", 0), 0);
  assert_int_equal(number, 1);
  assert_string_equal(t, v1_text);
  free(t);
  json_t *m = match_agassac();
  assert_string_equal(lead_org(m), "atd31");
  json_decref(m);
}

/* Publishing an unchanged file answers with the version that stays the
 * latest, as store_publish() does for a process: its row, blob and commit
 * (this failed once: id and commit were left unset). */
static void unchanged_publish_reports_the_latest_version(void **state) {
  (void)state;
  struct store_version v = publish_ok(&coordinator, "orientation", v1_text, NULL);
  struct store_version same = publish_ok(&coordinator, "orientation", v1_text, NULL);
  assert_int_equal(same.created, 0);
  assert_int_equal(same.version, v.version);
  assert_string_equal(same.process, "rules/orientation");
  assert_string_equal(same.blob, v.blob);
  assert_string_equal(same.commit, v.commit);
  assert_int_equal(same.id, v.id);
}

/* ---- reconcile ---- */

static void pushed_rules_are_reconciled(void **state) {
  (void)state;
  char out[8192], work[400], path[400];
  struct store_version v1 = publish_ok(&coordinator, "orientation", v1_text, NULL);
  json_t *m = match_agassac();
  assert_string_equal(lead_org(m), "atd31");
  assert_string_equal(lead_rule(m), "Voirie des petites communes");
  json_decref(m);
  /* A coordinator with git access pushes v2, then three files that must
   * not be activated: bad syntax, an unknown org, a bad file name. */
  snprintf(path, sizeof path, "%s/v2.rules", g.dir);
  write_file(path, v2_text, strlen(v2_text));
  const char *syntax = "règle \"A\"\n  si = demande.themes && true\n  alors arrêter\n";
  const char *unknown = "règle \"B\"\n  si = true\n  alors exclure smea\n";
  snprintf(path, sizeof path, "%s/autre.rules", g.dir);
  write_file(path, syntax, strlen(syntax));
  snprintf(path, sizeof path, "%s/inconnue.rules", g.dir);
  write_file(path, unknown, strlen(unknown));
  snprintf(work, sizeof work, "%s/clone", g.dir);
  int rc = fixture_sh(out, sizeof out,
                      "export GIT_AUTHOR_NAME='Dominique Git' GIT_AUTHOR_EMAIL=dg@appui.example GIT_COMMITTER_NAME=x "
                      "GIT_COMMITTER_EMAIL=x@x.fr; git clone -q %s %s && cd %s && "
                      "cp ../v2.rules rules/orientation.rules && git commit -qam 'Règles v2' && "
                      "cp ../autre.rules rules/autre.rules && cp ../inconnue.rules rules/inconnue.rules && "
                      "cp ../v2.rules rules/Mauvais_Nom.rules && "
                      "git add -A && git commit -qm 'Règles invalides' && git push -q origin main 2>&1",
                      git, work, work);
  if (rc) fail_msg("git: %s", out);
  char pushed[64];
  fixture_sh(pushed, sizeof pushed, "git -C %s rev-parse HEAD^", work);
  pushed[strcspn(pushed, "\n")] = 0;
  struct store_reconcile rec;
  assert_int_equal(store_reconcile(&rec, g.store, g.db, &g.admin), 0);
  assert_int_equal(rec.versions, 1);
  assert_int_equal(rec.rejected, 3);
  /* v2 registered with the author of its commit, pinned. */
  char sql[400];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM ruleset_version WHERE name = 'orientation' AND version = 2 AND "
           "author = 'Dominique Git <dg@appui.example>' AND commit_id = '%s'",
           pushed);
  assert_int_equal(fixture_int(g.db, sql), 1);
  assert_string_equal(git_line(out, "rev-parse refs/deployed/rules/orientation/v2"), pushed);
  assert_string_equal(git_line(out, "rev-parse refs/deployed/rules/orientation/v1"), v1.commit);
  /* The invalid files: recorded with the reason, journaled, not activated. */
  assert_int_equal(count("SELECT count(*) FROM process_rejection WHERE process = 'rules/autre' AND "
                         "message LIKE 'ligne 2, colonne 23 : %%&&%%'"),
                   1);
  assert_int_equal(count("SELECT count(*) FROM process_rejection WHERE process = 'rules/inconnue' AND "
                         "message LIKE 'ligne 3, colonne 17 : structure inconnue « smea »%%'"),
                   1);
  assert_int_equal(count("SELECT count(*) FROM process_rejection WHERE process = 'rules/Mauvais_Nom' AND "
                         "message LIKE '%%nom de fichier invalide%%'"),
                   1);
  assert_int_equal(count("SELECT count(*) FROM ruleset_version WHERE name <> 'orientation'"), 0);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'workflow.rejected' AND "
                         "json_extract(data, '$.process') LIKE 'rules/%%'"),
                   3);
  assert_int_equal(fixture_sh(out, sizeof out, "git --git-dir=%s rev-parse -q --verify refs/deployed/rules/autre/v1", git),
                   256);
  /* Reconciling again: nothing new, each invalid file reported once. */
  char before[65], after[65];
  fixture_digest(g.db, before);
  assert_int_equal(store_reconcile(&rec, g.store, g.db, &g.admin), 0);
  assert_int_equal(rec.versions, 0);
  assert_int_equal(rec.rejected, 0);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  /* Matching applies the latest version: the routes lead, atd31 excluded. */
  m = match_agassac();
  assert_string_equal(lead_org(m), "routes");
  assert_string_equal(lead_rule(m), "Voirie : les routes d'abord");
  json_t *proposal = json_object_get(m, "proposal");
  assert_string_equal(json_string_value(json_object_get(proposal, "source")), "rule");
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(proposal, "contributors"), 0), "org")),
                      "caue31");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "excluded_counts"), "rule")), 1);
  json_t *rules = json_object_get(json_object_get(m, "rules"), "rules");
  assert_int_equal(json_array_size(rules), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "outcome")), "appliquée");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(rules, 0), "line")), 2);
  size_t i;
  json_t *o;
  int seen = 0;
  json_array_foreach(json_object_get(m, "offers"), i, o)
    if (!strcmp(json_string_value(json_object_get(json_object_get(o, "org"), "slug")), "atd31")) fail_msg("atd31 classée");
  json_array_foreach(json_object_get(m, "excluded"), i, o)
    if (!strcmp(json_string_value(json_object_get(json_object_get(o, "org"), "slug")), "atd31")) {
      seen = 1;
      assert_string_equal(json_string_value(json_object_get(o, "gate")), "rule");
      assert_non_null(strstr(json_string_value(json_object_get(o, "reason")), "Écartée par la règle « Voirie : les routes"));
    }
  assert_true(seen);
  json_decref(m);
  /* The bad file fixed and pushed again: it becomes version 1 of its set. */
  rc = fixture_sh(out, sizeof out,
                  "export GIT_AUTHOR_NAME='Dominique Git' GIT_AUTHOR_EMAIL=dg@appui.example GIT_COMMITTER_NAME=x "
                  "GIT_COMMITTER_EMAIL=x@x.fr; cd %s && sed -i 's/&& true/!= null/' rules/autre.rules && "
                  "git commit -qam 'Corrigé' && git push -q origin main 2>&1",
                  work);
  if (rc) fail_msg("git: %s", out);
  assert_int_equal(store_reconcile(&rec, g.store, g.db, &g.admin), 0);
  assert_int_equal(rec.versions, 1);
  assert_int_equal(rec.rejected, 0);
  assert_int_equal(count("SELECT count(*) FROM ruleset_version WHERE name = 'autre' AND version = 1"), 1);
  char tip[4096];
  git_line(tip, "rev-parse main");
  assert_string_equal(git_line(out, "rev-parse refs/deployed/rules/autre/v1"), tip);
  /* Matching reads only the orientation set. */
  m = match_agassac();
  assert_string_equal(lead_org(m), "routes");
  json_decref(m);
}

/* ---- rules in matching and dispatch ---- */

static void match_applies_the_latest_version(void **state) {
  (void)state;
  /* No rules: the best offer leads, the answer says there are none. */
  json_t *m = match_agassac();
  assert_true(json_is_null(json_object_get(m, "rules")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(m, "proposal"), "source")), "score");
  assert_null(lead_rule(m));
  json_decref(m);
  publish_ok(&coordinator, "orientation", v1_text, NULL);
  m = match_agassac();
  assert_string_equal(lead_org(m), "atd31");
  assert_string_equal(lead_rule(m), "Voirie des petites communes");
  json_t *c = json_array_get(json_object_get(json_object_get(m, "proposal"), "contributors"), 0);
  assert_string_equal(json_string_value(json_object_get(c, "org")), "routes");
  assert_string_equal(json_string_value(json_object_get(json_object_get(c, "offer"), "slug")), "routes-securite");
  json_decref(m);
  /* A larger commune: the rule does not apply. */
  const char *themes[] = {"voirie"};
  struct match_query q = {"31555", themes, 1, "Chemin", 0, NULL, -1, NULL};
  assert_int_equal(match_run(&m, g.db, &q, MATCH_EXPLAIN, 10, clock_now_ms()), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(m, "proposal"), "source")), "score");
  json_t *r0 = json_array_get(json_object_get(json_object_get(m, "rules"), "rules"), 0);
  assert_string_equal(json_string_value(json_object_get(r0, "outcome")), "non applicable");
  json_decref(m);
  publish_ok(&coordinator, "orientation", v2_text, NULL);
  m = match_agassac();
  assert_string_equal(lead_org(m), "routes");
  json_decref(m);
}

/* The dispatch action follows a rule that names the lead even when no
 * offer scores enough, and proposes the contributors it names. */
static void dispatch_follows_the_rules(void **state) {
  (void)state;
  publish_ok(&coordinator, "orientation", v2_text, NULL);
  const char *themes[] = {"voirie"};
  struct request_new n = {"31001", "Nids de poule", "Boulevard abîmé.", themes, 1, NULL, -1, NULL};
  int64_t request;
  if (request_file(NULL, &request, g.db, &requester, &n)) fail_msg("file: %s", err_msg());
  json_t *decision = NULL;
  assert_int_equal(db_begin(g.db), 0);
  int rc = dispatch_auto_tx(&decision, g.db, &g.admin, request, 100, clock_now_ms());
  if (rc) {
    db_rollback(g.db);
    fail_msg("dispatch: %s", err_msg());
  }
  assert_int_equal(db_commit(g.db), 0);
  assert_true(json_is_true(json_object_get(decision, "automatique")));
  assert_string_equal(json_string_value(json_object_get(decision, "structure")), "routes");
  assert_non_null(strstr(json_string_value(json_object_get(decision, "motif")),
                         "structure pilote désignée par la règle « Voirie : les routes d'abord »"));
  json_decref(decision);
  assert_int_equal(count("SELECT count(*) FROM part p JOIN org o ON o.id = p.org WHERE p.request = %lld AND "
                         "o.slug = 'routes' AND p.role = 'lead' AND p.state = 'proposed'",
                         (long long)request),
                   1);
  assert_int_equal(count("SELECT count(*) FROM part p JOIN org o ON o.id = p.org WHERE p.request = %lld AND "
                         "o.slug = 'caue31' AND p.role = 'contributor'",
                         (long long)request),
                   1);
  assert_int_equal(count("SELECT count(*) FROM part WHERE request = %lld", (long long)request), 2);
  /* Run again (a retried job): nothing is proposed twice. */
  assert_int_equal(db_begin(g.db), 0);
  rc = dispatch_auto_tx(&decision, g.db, &g.admin, request, 100, clock_now_ms());
  if (rc) {
    db_rollback(g.db);
    fail_msg("dispatch: %s", err_msg());
  }
  assert_int_equal(db_commit(g.db), 0);
  json_decref(decision);
  assert_int_equal(count("SELECT count(*) FROM part WHERE request = %lld", (long long)request), 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(publish_then_unchanged_then_changed),
      T(refused_files_change_nothing),
      T(unchanged_publish_reports_the_latest_version),
      T(pushed_rules_are_reconciled),
      T(match_applies_the_latest_version),
      T(dispatch_follows_the_rules),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
