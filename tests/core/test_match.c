/* Tests of core/match.c: every gate excludes with its reason and is
 * counted (perimeter of every kind, audience, membership in force, the
 * eligibility expression true, false, null or unreadable), each score
 * component moves the score in isolation (themes, text against the offer,
 * the org's accepted requests, load against capacity, continuity), the
 * ranking and its ties, unrelated offers, the summary when nothing fits,
 * the routing rules read from table ruleset_version (exclusion, lead,
 * order, newer version), the per-connection catalogue cache, bad queries,
 * and who may ask for a request's matching.
 *
 * The group setup builds one base (Haute-Garonne, orgs, an ad-hoc
 * perimeter, accounts) without offers; each test adds the offers it needs
 * on its own copy, so that counts are exact. */
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
#include "match.h"
#include "part.h"
#include "perimeter.h"
#include "request.h"
#include "user.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
  char template_dir[256], dir[256];
  struct db *template, *db;
  struct user admin, coord, maire, toulouse, agent, agent_caue;
  int64_t now;
} g;

static const char *const voirie[] = {"voirie"};
static const char *const batiments[] = {"batiments"};
static const char *const voirie_batiments[] = {"voirie", "batiments"};
static const char *const tourisme[] = {"tourisme"};
static const char *const communes[] = {"commune"};
static const char *const epcis[] = {"epci"};
static const char *const syndicats[] = {"syndicat"};

/* Agassac (31001, 115 inhabitants, CC Cœur et Coteaux du Comminges
 * 200072643), Toulouse
 * (31555) and Blagnac (31069) in Toulouse Métropole (243100518), Muret
 * (31395), CC Tarn-Agout (200034023, seat in the Tarn, Azas 31038 in
 * Haute-Garonne). */
#define AGASSAC "31001"
#define TOULOUSE "31555"
#define BLAGNAC "31069"
#define MURET "31395"
#define AZAS "31038"
#define METROPOLE "243100518"
#define CC_AGASSAC "200072643"
#define TARN_AGOUT "200034023"

static int64_t paris(int y, int mo, int d, int h, int mi) { return clock_paris_to_utc(y, mo, d, h, mi, 0, 0); }

static int group_setup(void **state) {
  (void)state;
  struct db *db = g.template = fixture_db(g.template_dir);
  fixture_territory(db);
  user_system(&g.admin, "test");
  g.now = paris(2026, 5, 22, 10, 0);
  int64_t id;
  static const struct {
    const char *slug, *name, *kind;
    int capacity;
  } orgs[] = {
      {"atd31", "ATD 31", "satellite", -1},        {"caue31", "CAUE 31", "satellite", -1},
      {"routes", "Direction des routes", "direction", -1}, {"reseau31", "Réseau 31", "satellite", 4},
      {"energie", "SDEHG", "satellite", 4},        {"numerique", "Mission numérique", "mission", -1},
      {"saturee", "Structure sans capacité", "service", 0},
  };
  for (size_t i = 0; i < sizeof orgs / sizeof orgs[0]; i++) {
    struct catalog_org_new o = {orgs[i].slug, orgs[i].name, orgs[i].kind, NULL, NULL, NULL, orgs[i].capacity};
    if (catalog_org_add(&id, db, &g.admin, &o)) return -1;
  }
  const char *sivom[] = {AGASSAC, MURET};
  if (perimeter_create(&id, db, &g.admin, "sivom-test", "SIVOM d'essai", sivom, 2)) return -1;
  struct user_new users[] = {
      {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL},
      {"maire@agassac.example", "Maire d'Agassac", "requester", AGASSAC, NULL, NULL},
      {"mairie@toulouse.example", "Mairie de Toulouse", "requester", TOULOUSE, NULL, NULL},
      {"agent@atd31.example", "Agent ATD", "agent", NULL, "atd31", NULL},
      {"agent@caue31.example", "Agent CAUE", "agent", NULL, "caue31", NULL},
  };
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
    if (user_add(&id, db, &g.admin, &users[i])) return -1;
  if (user_get_by_email(&g.coord, db, "coordination@appui.example") ||
      user_get_by_email(&g.maire, db, "maire@agassac.example") ||
      user_get_by_email(&g.toulouse, db, "mairie@toulouse.example") ||
      user_get_by_email(&g.agent, db, "agent@atd31.example") ||
      user_get_by_email(&g.agent_caue, db, "agent@caue31.example"))
    return -1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.template);
  fixture_rmdir(g.template_dir);
  return 0;
}

static int setup(void **state) {
  (void)state;
  g.db = fixture_clone(g.template, g.dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

/* Adds an offer; unset fields get defaults (conseil, theme voirie, title
 * "Prestation <slug>", no targets). */
static void offer(struct catalog_offer_new f) {
  char title[128];
  if (!f.kind) f.kind = "conseil";
  if (!f.title) {
    snprintf(title, sizeof title, "Prestation %s", f.slug);
    f.title = title;
  }
  if (!f.themes) f.themes = voirie, f.n_themes = 1;
  f.sla_ack = f.sla_take = f.sla_resolve = -1;
  int64_t id;
  if (catalog_offer_add(&id, g.db, &g.admin, &f)) fail_msg("catalog_offer_add %s: %s", f.slug, err_msg());
}

static void member(const char *code, const char *org, const char *start, const char *end) {
  int64_t id;
  if (catalog_membership_add(&id, g.db, &g.admin, code, org, start, end))
    fail_msg("catalog_membership_add: %s", err_msg());
}

/* A dry run for `coll` on `themes` with `text`, at time `now`. */
static json_t *run_at(const char *coll, const char *const *themes, int n, const char *text, int flags, int limit,
                      int64_t now) {
  struct match_query q = {.collectivity = coll, .themes = themes, .n_themes = n, .text = text, .budget = -1};
  json_t *out = NULL;
  if (match_run(&out, g.db, &q, flags, limit, now)) fail_msg("match_run: %s", err_msg());
  assert_non_null(out);
  return out;
}

static json_t *run(const char *coll, const char *const *themes, int n, const char *text) {
  return run_at(coll, themes, n, text, MATCH_EXPLAIN, 0, g.now);
}

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The ranked entry of offer `slug`, or NULL. */
static json_t *ranked(json_t *m, const char *slug) {
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(m, "offers"), i, it) if (!strcmp(str(json_object_get(it, "offer"), "slug"), slug))
      return it;
  return NULL;
}

/* The excluded entry of offer `slug`, or NULL. */
static json_t *excluded(json_t *m, const char *slug) {
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(m, "excluded"), i, it) if (!strcmp(str(json_object_get(it, "offer"), "slug"),
                                                                          slug)) return it;
  return NULL;
}

static int count(json_t *m, const char *gate) {
  return (int)json_integer_value(json_object_get(json_object_get(m, "excluded_counts"), gate));
}

static int eligible(json_t *m) { return (int)json_integer_value(json_object_get(m, "eligible")); }

static double score(json_t *m, const char *slug) {
  json_t *r = ranked(m, slug);
  if (!r) fail_msg("« %s » n'est pas classée", slug);
  return json_real_value(json_object_get(r, "score"));
}

static double comp(json_t *m, const char *slug, const char *name) {
  json_t *r = ranked(m, slug);
  if (!r) fail_msg("« %s » n'est pas classée", slug);
  return json_real_value(json_object_get(json_object_get(r, "components"), name));
}

/* 1 if one of the reasons of ranked offer `slug` contains `needle`. */
static int has_reason(json_t *m, const char *slug, const char *needle) {
  json_t *r = ranked(m, slug);
  if (!r) fail_msg("« %s » n'est pas classée", slug);
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(r, "reasons"), i, it) if (strstr(json_string_value(it), needle)) return 1;
  return 0;
}

static void expect_reason(json_t *m, const char *slug, const char *needle) {
  if (!has_reason(m, slug, needle)) {
    char *dump = json_dumps(json_object_get(ranked(m, slug), "reasons"), 0);
    fail_msg("« %s » : pas de raison « %s » dans %s", slug, needle, dump);
  }
}

/* Checks that offer `slug` is excluded at gate `gate` with a reason
 * containing `needle`. */
static void expect_excluded(json_t *m, const char *slug, const char *gate, const char *needle) {
  json_t *x = excluded(m, slug);
  if (!x) fail_msg("« %s » n'est pas écartée", slug);
  assert_null(ranked(m, slug));
  if (strcmp(str(x, "gate"), gate) != 0) fail_msg("« %s » écartée par %s, pas %s (%s)", slug, str(x, "gate"), gate,
                                                  str(x, "reason"));
  if (needle && !strstr(str(x, "reason"), needle))
    fail_msg("« %s » : raison « %s » sans « %s »", slug, str(x, "reason"), needle);
}

static void expect_ranked(json_t *m, const char *slug) {
  if (!ranked(m, slug)) {
    json_t *x = excluded(m, slug);
    fail_msg("« %s » n'est pas classée (%s)", slug, x ? str(x, "reason") : "absente");
  }
  assert_null(excluded(m, slug));
}

/* The slugs of the ranked offers, comma-separated, into `out`. */
static const char *order(json_t *m, char *out, size_t size) {
  size_t i;
  json_t *it;
  out[0] = 0;
  json_array_foreach(json_object_get(m, "offers"), i, it) {
    snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", str(json_object_get(it, "offer"), "slug"));
    assert_int_equal(json_integer_value(json_object_get(it, "rank")), (json_int_t)i + 1);
  }
  return out;
}

/* Files a request for `coll` at g.now (as the coordination); its id. */
static int64_t file_req(const char *coll, const char *title, const char *description, const char *offer_slug) {
  struct request_new n = {coll, title, description, voirie, 1, offer_slug, -1, NULL};
  char ref[REQUEST_REF_SIZE];
  int64_t id = 0;
  assert_int_equal(db_begin(g.db), 0);
  if (request_file_tx(ref, &id, g.db, &g.coord, &n, g.now)) fail_msg("request_file_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
  return id;
}

static void propose(int64_t request, const char *org, const char *role) {
  assert_int_equal(db_begin(g.db), 0);
  if (part_propose_tx(NULL, g.db, &g.coord, request, org, NULL, role, g.now)) fail_msg("part_propose_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
}

static void move(int64_t request, const char *org, enum part_op op) {
  assert_int_equal(db_begin(g.db), 0);
  if (part_move_tx(NULL, g.db, &g.coord, request, org, op, "motif de test", g.now))
    fail_msg("part_move_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
}

/* Publishes version `version` of ruleset `name` with `text`. */
static void publish_rules(const char *name, int version, const char *text) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db_sqlite(g.db),
                                      "INSERT INTO ruleset_version (name, version, blob, commit_id, text, author, "
                                      "published_at) VALUES (?, ?, 'b10b', 'c0ffee', ?, 'Test <test@example.org>', 0)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, version);
  sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
}

/* ---------------------------------------------------------------- gates */

static void perimeter_gate(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "partout", .org = "atd31"});
  offer((struct catalog_offer_new){.slug = "dep31", .org = "atd31", .perimeter = "departement:31"});
  offer((struct catalog_offer_new){.slug = "dep32", .org = "atd31", .perimeter = "departement:32"});
  offer((struct catalog_offer_new){.slug = "dep81", .org = "atd31", .perimeter = "departement:81"});
  offer((struct catalog_offer_new){.slug = "metro", .org = "atd31", .perimeter = "epci:" METROPOLE});
  offer((struct catalog_offer_new){.slug = "toulouse", .org = "atd31", .perimeter = "commune:" TOULOUSE});
  offer((struct catalog_offer_new){.slug = "sivom", .org = "atd31", .perimeter = "adhoc:sivom-test"});
  static const struct {
    const char *coll, *in, *out;
  } cases[] = {
      {AGASSAC, "partout,dep31,sivom", "dep32,dep81,metro,toulouse"},
      {MURET, "partout,dep31,sivom", "dep32,dep81,metro,toulouse"},
      {TOULOUSE, "partout,dep31,metro,toulouse", "dep32,dep81,sivom"},
      {BLAGNAC, "partout,dep31,metro", "dep32,dep81,toulouse,sivom"},
      {AZAS, "partout,dep31", "dep32,dep81,metro,toulouse,sivom"},
      /* An EPCI: in its own département, in a commune perimeter of one of
       * its communes, in an ad-hoc perimeter holding one of them. */
      {METROPOLE, "partout,dep31,metro,toulouse", "dep32,dep81,sivom"},
      {CC_AGASSAC, "partout,dep31,sivom", "dep32,dep81,metro,toulouse"},
      /* Seated in the Tarn, yet in Haute-Garonne through Azas. */
      {TARN_AGOUT, "partout,dep31,dep81", "dep32,metro,toulouse,sivom"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *m = run(cases[i].coll, voirie, 1, NULL);
    char list[128], *save = NULL;
    int n_in = 0, n_out = 0;
    snprintf(list, sizeof list, "%s", cases[i].in);
    for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save), n_in++) expect_ranked(m, s);
    snprintf(list, sizeof list, "%s", cases[i].out);
    for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save), n_out++)
      expect_excluded(m, s, "perimeter", "Hors périmètre : l'offre est donnée sur « ");
    if (eligible(m) != n_in || count(m, "perimeter") != n_out)
      fail_msg("%s : %d éligibles, %d hors périmètre", cases[i].coll, eligible(m), count(m, "perimeter"));
    assert_int_equal(count(m, "audience") + count(m, "membership") + count(m, "eligibility") + count(m, "rule") +
                         count(m, "unrelated"),
                     0);
    json_decref(m);
  }
  /* The reasons name the perimeter and the collectivity. */
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  expect_excluded(m, "dep32", "perimeter", "Hors périmètre : l'offre est donnée sur « Gers », pas sur Agassac");
  expect_excluded(m, "metro", "perimeter", "« Toulouse Métropole », pas sur Agassac");
  assert_string_equal(str(json_object_get(excluded(m, "dep32"), "org"), "slug"), "atd31");
  expect_reason(m, "sivom", "Dans le périmètre : SIVOM d'essai");
  expect_reason(m, "dep31", "Dans le périmètre : Haute-Garonne");
  assert_false(has_reason(m, "partout", "Dans le périmètre"));
  json_decref(m);
  /* Without MATCH_EXPLAIN the counts stay, the list goes. */
  m = run_at(AGASSAC, voirie, 1, NULL, 0, 0, g.now);
  assert_int_equal(count(m, "perimeter"), 4);
  assert_null(json_object_get(m, "excluded"));
  assert_null(json_object_get(m, "rules"));
  json_decref(m);
}

static void audience_gate(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "par-defaut", .org = "atd31"});
  offer((struct catalog_offer_new){.slug = "communes", .org = "atd31", .audience = communes, .n_audience = 1});
  offer((struct catalog_offer_new){.slug = "epci", .org = "atd31", .audience = epcis, .n_audience = 1});
  offer((struct catalog_offer_new){.slug = "syndicats", .org = "atd31", .audience = syndicats, .n_audience = 1});
  /* Both out of the perimeter and of the audience: the perimeter counts. */
  offer((struct catalog_offer_new){.slug = "loin", .org = "atd31", .audience = communes, .n_audience = 1,
                                   .perimeter = "departement:32"});
  json_t *m = run(METROPOLE, voirie, 1, NULL);
  expect_ranked(m, "par-defaut");
  expect_ranked(m, "epci");
  expect_excluded(m, "communes", "audience",
                  "Offre réservée aux communes : Toulouse Métropole n'est pas de ce type (EPCI)");
  expect_excluded(m, "syndicats", "audience", "Offre réservée aux syndicats");
  expect_excluded(m, "loin", "perimeter", NULL);
  assert_int_equal(count(m, "audience"), 2);
  assert_int_equal(count(m, "perimeter"), 1);
  assert_int_equal(eligible(m), 2);
  json_decref(m);
  m = run(AGASSAC, voirie, 1, NULL);
  expect_ranked(m, "par-defaut");
  expect_ranked(m, "communes");
  expect_excluded(m, "epci", "audience", "Offre réservée aux EPCI : Agassac n'est pas de ce type (Commune)");
  assert_int_equal(count(m, "audience"), 2);
  assert_int_equal(eligible(m), 2);
  json_decref(m);
}

static void membership_gate(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "adherents", .org = "atd31", .requires_membership = 1});
  offer((struct catalog_offer_new){.slug = "ouverte", .org = "caue31"});
  const int64_t tomorrow = paris(2026, 5, 23, 10, 0);
  /* Not a member. */
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  expect_excluded(m, "adherents", "membership", "Réservée aux adhérents de « ATD 31 » : Agassac n'y adhère pas");
  expect_ranked(m, "ouverte");
  assert_int_equal(count(m, "membership"), 1);
  json_decref(m);
  /* A membership that ended yesterday, another that starts tomorrow. */
  member(AGASSAC, "atd31", "2020-01-01", "2026-05-21");
  member(AGASSAC, "atd31", "2026-05-23", NULL);
  m = run(AGASSAC, voirie, 1, NULL);
  expect_excluded(m, "adherents", "membership", "n'y adhère pas");
  json_decref(m);
  /* Tomorrow it is in force. */
  m = run_at(AGASSAC, voirie, 1, NULL, MATCH_EXPLAIN, 0, tomorrow);
  expect_ranked(m, "adherents");
  expect_reason(m, "adherents", "Commune adhérente à « ATD 31 »");
  assert_false(has_reason(m, "adherents", "par son EPCI"));
  assert_int_equal(count(m, "membership"), 0);
  json_decref(m);
  /* A membership ending today still holds today. */
  member(MURET, "atd31", "2024-01-01", "2026-05-22");
  m = run(MURET, voirie, 1, NULL);
  expect_ranked(m, "adherents");
  json_decref(m);
  m = run_at(MURET, voirie, 1, NULL, MATCH_EXPLAIN, 0, tomorrow);
  expect_excluded(m, "adherents", "membership", "Muret n'y adhère pas");
  json_decref(m);
  /* Through its EPCI: Toulouse and Blagnac, members of Toulouse Métropole. */
  m = run(TOULOUSE, voirie, 1, NULL);
  expect_excluded(m, "adherents", "membership", "Toulouse n'y adhère pas");
  json_decref(m);
  member(METROPOLE, "atd31", "2020-01-01", NULL);
  m = run(TOULOUSE, voirie, 1, NULL);
  expect_ranked(m, "adherents");
  expect_reason(m, "adherents", "Commune adhérente à « ATD 31 » (par son EPCI)");
  json_decref(m);
  m = run(BLAGNAC, voirie, 1, NULL);
  expect_ranked(m, "adherents");
  json_decref(m);
  m = run(METROPOLE, voirie, 1, NULL);
  expect_reason(m, "adherents", "EPCI adhérente à « ATD 31 »");
  assert_false(has_reason(m, "adherents", "par son EPCI"));
  json_decref(m);
  /* Muret's EPCI is not a member. */
  m = run_at(MURET, voirie, 1, NULL, MATCH_EXPLAIN, 0, tomorrow);
  assert_int_equal(count(m, "membership"), 1);
  json_decref(m);
}

static void eligibility_gate(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "petites", .org = "atd31", .eligibility = "= population < 3500"});
  offer((struct catalog_offer_new){.slug = "moyennes", .org = "atd31", .eligibility = "= population > 100"});
  offer((struct catalog_offer_new){.slug = "membres", .org = "caue31",
                                   .eligibility = "= list contains(member_of, \"atd31\")"});
  offer((struct catalog_offer_new){.slug = "communes-31", .org = "caue31",
                                   .eligibility = "= kind = \"commune\" and departement = \"31\" and epci != null"});
  offer((struct catalog_offer_new){.slug = "bientot-illisible", .org = "routes", .eligibility = "= code = \"31001\""});
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  expect_ranked(m, "petites");
  expect_reason(m, "petites", "Éligible : = population < 3500");
  expect_ranked(m, "communes-31");
  expect_ranked(m, "bientot-illisible");
  expect_ranked(m, "moyennes");
  expect_excluded(m, "membres", "eligibility",
                  "Critère d'éligibilité non rempli : « = list contains(member_of, \"atd31\") »");
  assert_int_equal(count(m, "eligibility"), 1);
  assert_int_equal(eligible(m), 4);
  json_decref(m);
  /* Population unknown: neither true nor false, with the why. */
  assert_int_equal(db_exec(g.db, "UPDATE collectivity SET population = NULL WHERE code = '" AZAS "'"), 0);
  m = run(AZAS, voirie, 1, NULL);
  expect_excluded(m, "moyennes", "eligibility", "Critère d'éligibilité indéterminé « = population > 100 » : ");
  assert_non_null(strstr(str(excluded(m, "moyennes"), "reason"), "« population »"));
  assert_non_null(strstr(str(excluded(m, "moyennes"), "reason"), "null"));
  expect_excluded(m, "petites", "eligibility", "indéterminé");
  assert_int_equal(count(m, "eligibility"), 4); /* petites, moyennes, membres, bientot-illisible */
  json_decref(m);
  /* False for a large town, and for an EPCI. */
  m = run(TOULOUSE, voirie, 1, NULL);
  expect_excluded(m, "petites", "eligibility", "Critère d'éligibilité non rempli : « = population < 3500 »");
  expect_ranked(m, "communes-31");
  expect_excluded(m, "bientot-illisible", "eligibility", "non rempli");
  json_decref(m);
  m = run(METROPOLE, voirie, 1, NULL);
  expect_excluded(m, "communes-31", "eligibility", "non rempli");
  json_decref(m);
  /* member_of follows the memberships. */
  member(CC_AGASSAC, "atd31", "2020-01-01", NULL);
  m = run(AGASSAC, voirie, 1, NULL);
  expect_ranked(m, "membres");
  expect_reason(m, "membres", "Éligible : = list contains(member_of, \"atd31\")");
  assert_int_equal(count(m, "eligibility"), 0);
  json_decref(m);
  /* An expression made unreadable behind the catalogue's back. */
  assert_int_equal(db_exec(g.db, "UPDATE offer SET eligibility = '= population <' WHERE slug = 'bientot-illisible'"), 0);
  m = run(AGASSAC, voirie, 1, NULL);
  expect_excluded(m, "bientot-illisible", "eligibility",
                  "Critère d'éligibilité illisible : « = population < » (à corriger dans le catalogue)");
  assert_int_equal(count(m, "eligibility"), 1);
  json_decref(m);
  assert_int_equal(db_exec(g.db, "UPDATE offer SET eligibility = 'population > 1' WHERE slug = 'bientot-illisible'"),
                   0);
  m = run(AGASSAC, voirie, 1, NULL);
  expect_excluded(m, "bientot-illisible", "eligibility", "illisible");
  json_decref(m);
  /* An empty expression is no rule. */
  assert_int_equal(db_exec(g.db, "UPDATE offer SET eligibility = '' WHERE slug = 'bientot-illisible'"), 0);
  m = run(TOULOUSE, voirie, 1, NULL);
  expect_ranked(m, "bientot-illisible");
  json_decref(m);
}

/* ---------------------------------------------------------------- score */

static void theme_overlap(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "deux", .org = "atd31", .themes = voirie_batiments, .n_themes = 2});
  offer((struct catalog_offer_new){.slug = "une", .org = "caue31"});
  offer((struct catalog_offer_new){.slug = "autre", .org = "routes", .themes = batiments, .n_themes = 1});
  json_t *m = run(AGASSAC, voirie_batiments, 2, NULL);
  assert_true(comp(m, "deux", "theme") == 1.0);
  assert_true(comp(m, "une", "theme") == 0.5);
  assert_true(comp(m, "autre", "theme") == 0.5);
  /* Nothing else differs: 35 × 1 + 15 (no load) against 35 × 0.5 + 15. */
  assert_true(score(m, "deux") == 50.0);
  assert_true(score(m, "une") == 32.5);
  assert_true(comp(m, "une", "text") == 0 && comp(m, "une", "history") == 0 && comp(m, "une", "continuity") == 0);
  assert_true(comp(m, "une", "load") == 1.0);
  expect_reason(m, "deux", "Thématiques communes : Voirie, Bâtiments");
  expect_reason(m, "une", "Thématique commune : Voirie");
  expect_reason(m, "autre", "Thématique commune : Bâtiments");
  char o[128];
  assert_string_equal(order(m, o, sizeof o), "deux,une,autre");
  json_decref(m);
  /* Asked on one theme only, both share all of it. */
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(score(m, "deux") == score(m, "une"));
  assert_int_equal(count(m, "unrelated"), 1);
  json_decref(m);
}

static void text_relevance(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "chaussee", .org = "atd31", .title = "Réfection de chaussée",
                                   .summary = "Diagnostic et réfection des chemins communaux, chaussée et fossés."});
  offer((struct catalog_offer_new){.slug = "neutre", .org = "caue31", .title = "Conseil en architecture",
                                   .summary = "Visites et avis sur les projets."});
  offer((struct catalog_offer_new){.slug = "troisieme", .org = "routes", .title = "Ouvrages d'art",
                                   .summary = "Ponts et murs de soutènement."});
  offer((struct catalog_offer_new){.slug = "quatrieme", .org = "energie", .title = "Éclairage",
                                   .summary = "Candélabres et luminaires."});
  const char *text = "Réfection de la chaussée du chemin de la Côte";
  json_t *m = run(AGASSAC, voirie, 1, text);
  assert_true(comp(m, "chaussee", "text") > 0.2);
  assert_true(comp(m, "neutre", "text") == 0);
  assert_true(score(m, "chaussee") > score(m, "neutre") + 5);
  /* Everything else alike: the difference is the text alone. */
  assert_true(fabs(score(m, "chaussee") - score(m, "neutre") - 25 * comp(m, "chaussee", "text")) < 0.15);
  expect_reason(m, "chaussee", "Texte proche de l'offre (");
  assert_false(has_reason(m, "neutre", "Texte proche"));
  char o[128];
  assert_int_equal(strncmp(order(m, o, sizeof o), "chaussee,", 9), 0);
  json_decref(m);
  /* Accents and case do not matter; short and common words do not count. */
  m = run(AGASSAC, voirie, 1, "REFECTION chaussee");
  assert_true(comp(m, "chaussee", "text") > 0.2);
  json_decref(m);
  m = run(AGASSAC, voirie, 1, "pour les et de la des");
  assert_true(comp(m, "chaussee", "text") == 0);
  assert_true(score(m, "chaussee") == score(m, "neutre"));
  json_decref(m);
  /* FTS5 syntax in the text is taken as words. */
  m = run(AGASSAC, voirie, 1, "\"chaussée\" OR NEAR(fossés*) ^chemins: -(x)");
  assert_true(comp(m, "chaussee", "text") > 0);
  json_decref(m);
}

static void history_of_accepted_requests(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "routes", .org = "routes", .title = "Conseil routier"});
  offer((struct catalog_offer_new){.slug = "caue", .org = "caue31", .title = "Conseil architectural"});
  offer((struct catalog_offer_new){.slug = "reseau", .org = "reseau31", .title = "Conseil réseaux"});
  /* Three orgs accepted requests of other collectivities, one of them on
   * public lighting. */
  int64_t a = file_req(MURET, "Éclairage public du stade", "Remplacement des projecteurs du stade municipal.", NULL);
  int64_t b = file_req(BLAGNAC, "Restauration de l'église", "Toiture et clocher.", NULL);
  int64_t c = file_req(TOULOUSE, "Extension du réseau d'eau", "Nouveau lotissement.", NULL);
  propose(a, "routes", "lead");
  propose(b, "caue31", "lead");
  propose(c, "reseau31", "lead");
  const char *text = "Éclairage public de la place";
  json_t *m = run(AGASSAC, voirie, 1, text);
  assert_true(comp(m, "routes", "history") == 0); /* proposed is not accepted */
  json_decref(m);
  move(a, "routes", PART_ACCEPT);
  move(b, "caue31", PART_ACCEPT);
  move(c, "reseau31", PART_ACCEPT);
  /* Closed again, so that load is alike. */
  for (int i = 0; i < 3; i++) {
    int64_t r = i == 0 ? a : i == 1 ? b : c;
    const char *org = i == 0 ? "routes" : i == 1 ? "caue31" : "reseau31";
    move(r, org, PART_START);
    move(r, org, PART_DONE);
  }
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM org_profile"), 3);
  m = run(AGASSAC, voirie, 1, text);
  assert_true(comp(m, "routes", "history") > 0.1);
  assert_true(comp(m, "caue", "history") == 0);
  assert_true(comp(m, "routes", "text") == 0 && comp(m, "caue", "text") == 0);
  assert_true(comp(m, "routes", "load") == comp(m, "caue", "load"));
  assert_true(fabs(score(m, "routes") - score(m, "caue") - 15 * comp(m, "routes", "history")) < 0.1);
  expect_reason(m, "routes", "Demandes semblables déjà acceptées par la structure (");
  assert_false(has_reason(m, "caue", "Demandes semblables"));
  char o[128];
  assert_int_equal(strncmp(order(m, o, sizeof o), "routes,", 7), 0);
  json_decref(m);
}

static void load_against_capacity(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "reseau", .org = "reseau31"});
  offer((struct catalog_offer_new){.slug = "energie", .org = "energie"});
  offer((struct catalog_offer_new){.slug = "saturee", .org = "saturee"});
  /* Two open parts of Réseau 31 (capacity 4), on other collectivities. */
  int64_t r[5];
  static const char *const colls[5] = {MURET, TOULOUSE, BLAGNAC, MURET, TOULOUSE};
  for (int i = 0; i < 5; i++) r[i] = file_req(colls[i], "Réseau d'eau", "Extension.", NULL);
  propose(r[0], "reseau31", "lead");
  propose(r[1], "reseau31", "lead");
  move(r[1], "reseau31", PART_ACCEPT);
  assert_int_equal(fixture_int(g.db, "SELECT open FROM org_load WHERE org = (SELECT id FROM org WHERE slug = 'reseau31')"),
                   2);
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "reseau", "load") == 0.5);
  assert_true(comp(m, "energie", "load") == 1.0);
  assert_true(comp(m, "saturee", "load") == 0); /* no capacity at all */
  assert_true(score(m, "energie") - score(m, "reseau") == 7.5);
  assert_true(score(m, "energie") - score(m, "saturee") == 15);
  assert_true(comp(m, "reseau", "continuity") == 0);
  expect_reason(m, "reseau", "Charge actuelle 2/4");
  expect_reason(m, "energie", "Charge actuelle 0/4");
  expect_reason(m, "saturee", "Charge actuelle 0/0");
  char o[128];
  assert_string_equal(order(m, o, sizeof o), "energie,reseau,saturee");
  json_decref(m);
  /* Full, then over capacity: nothing left. */
  propose(r[2], "reseau31", "lead");
  propose(r[3], "reseau31", "lead");
  propose(r[4], "reseau31", "contributor");
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "reseau", "load") == 0);
  expect_reason(m, "reseau", "Charge actuelle 5/4");
  json_decref(m);
  /* Declined and finished parts no longer weigh. */
  move(r[0], "reseau31", PART_DECLINE);
  move(r[4], "reseau31", PART_CANCEL);
  move(r[1], "reseau31", PART_START);
  move(r[1], "reseau31", PART_DONE);
  assert_int_equal(fixture_int(g.db, "SELECT open FROM org_load WHERE org = (SELECT id FROM org WHERE slug = 'reseau31')"),
                   2);
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "reseau", "load") == 0.5);
  expect_reason(m, "reseau", "Charge actuelle 2/4");
  json_decref(m);
}

static void continuity_with_the_collectivity(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "numerique", .org = "numerique"});
  offer((struct catalog_offer_new){.slug = "routes", .org = "routes"});
  offer((struct catalog_offer_new){.slug = "caue", .org = "caue31"});
  /* numerique has an open part with Agassac, routes one elsewhere: same
   * load, only continuity differs. */
  int64_t here = file_req(AGASSAC, "Site internet", "Refonte.", NULL);
  int64_t there = file_req(MURET, "Site internet", "Refonte.", NULL);
  propose(here, "numerique", "lead");
  propose(there, "routes", "lead");
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "numerique", "continuity") == 1.0);
  assert_true(comp(m, "routes", "continuity") == 0);
  assert_true(comp(m, "caue", "continuity") == 0);
  assert_true(comp(m, "numerique", "load") == comp(m, "routes", "load"));
  assert_true(score(m, "numerique") - score(m, "routes") == 10);
  expect_reason(m, "numerique", "Travaille déjà avec cette collectivité (1 demande en cours)");
  assert_false(has_reason(m, "routes", "avec cette collectivité"));
  json_decref(m);
  /* For Muret, the other way round. */
  m = run(MURET, voirie, 1, NULL);
  assert_true(comp(m, "routes", "continuity") == 1.0);
  assert_true(comp(m, "numerique", "continuity") == 0);
  json_decref(m);
  /* Finished: past work counts half. */
  move(here, "numerique", PART_ACCEPT);
  move(here, "numerique", PART_START);
  move(here, "numerique", PART_DONE);
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "numerique", "continuity") == 0.5);
  expect_reason(m, "numerique", "A déjà travaillé avec cette collectivité (1 demande)");
  json_decref(m);
  /* A declined part is no work together. */
  int64_t declined = file_req(AGASSAC, "Voirie", "Chemin.", NULL);
  propose(declined, "caue31", "lead");
  move(declined, "caue31", PART_DECLINE);
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "caue", "continuity") == 0);
  json_decref(m);
  /* Membership counts 0.8, through the EPCI too, and more than past work. */
  member(CC_AGASSAC, "caue31", "2020-01-01", NULL);
  member(AGASSAC, "numerique", "2020-01-01", NULL);
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "caue", "continuity") == 0.8);
  assert_true(comp(m, "numerique", "continuity") == 0.8);
  json_decref(m);
  /* Open work counts most. */
  int64_t again = file_req(AGASSAC, "Voirie", "Chemin.", NULL);
  propose(again, "numerique", "lead");
  propose(again, "caue31", "contributor");
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "numerique", "continuity") == 1.0);
  expect_reason(m, "caue", "Travaille déjà avec cette collectivité (1 demande en cours)");
  json_decref(m);
}

static void ranking_and_ties(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "b-premiere", .org = "routes"});
  offer((struct catalog_offer_new){.slug = "a-deuxieme", .org = "caue31"});
  offer((struct catalog_offer_new){.slug = "c-troisieme", .org = "energie"});
  offer((struct catalog_offer_new){.slug = "meilleure", .org = "atd31", .themes = voirie_batiments, .n_themes = 2});
  json_t *m = run(AGASSAC, voirie_batiments, 2, NULL);
  char o[128];
  /* Best first; equal scores in catalogue order (not by name). */
  assert_string_equal(order(m, o, sizeof o), "meilleure,b-premiere,a-deuxieme,c-troisieme");
  assert_true(score(m, "b-premiere") == score(m, "a-deuxieme"));
  assert_int_equal(eligible(m), 4);
  /* The best offer leads by default. */
  json_t *p = json_object_get(m, "proposal");
  assert_string_equal(str(p, "source"), "score");
  assert_string_equal(str(json_object_get(p, "lead"), "org"), "atd31");
  assert_string_equal(str(json_object_get(json_object_get(p, "lead"), "offer"), "slug"), "meilleure");
  assert_true(json_real_value(json_object_get(json_object_get(p, "lead"), "score")) == 50.0);
  assert_int_equal(json_array_size(json_object_get(p, "contributors")), 0);
  assert_true(json_is_null(json_object_get(m, "summary")));
  json_t *first = json_array_get(json_object_get(m, "offers"), 0);
  assert_string_equal(str(json_object_get(first, "org"), "slug"), "atd31");
  assert_string_equal(str(json_object_get(first, "org"), "name"), "ATD 31");
  assert_string_equal(str(json_object_get(first, "offer"), "title"), "Prestation meilleure");
  assert_string_equal(str(json_object_get(first, "offer"), "kind"), "conseil");
  assert_string_equal(str(json_object_get(m, "collectivity"), "code"), AGASSAC);
  assert_string_equal(str(json_object_get(m, "collectivity"), "name"), "Agassac");
  assert_string_equal(str(json_object_get(m, "collectivity"), "kind"), "commune");
  assert_int_equal(json_array_size(json_object_get(m, "themes")), 2);
  json_decref(m);
  /* A limit keeps the best; `eligible` still counts them all. */
  m = run_at(AGASSAC, voirie_batiments, 2, NULL, 0, 2, g.now);
  assert_string_equal(order(m, o, sizeof o), "meilleure,b-premiere");
  assert_int_equal(eligible(m), 4);
  json_decref(m);
  /* Load breaks the tie. */
  int64_t r = file_req(MURET, "Chemin", "Raviné.", NULL);
  propose(r, "routes", "lead");
  m = run(AGASSAC, voirie_batiments, 2, NULL);
  assert_string_equal(order(m, o, sizeof o), "meilleure,a-deuxieme,c-troisieme,b-premiere");
  json_decref(m);
}

static void unrelated_offers_are_left_out(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "voirie", .org = "atd31", .title = "Conseil en voirie"});
  offer((struct catalog_offer_new){.slug = "randonnee", .org = "caue31", .themes = tourisme, .n_themes = 1,
                                   .title = "Sentiers de randonnée", .summary = "Balisage des circuits pédestres."});
  offer((struct catalog_offer_new){.slug = "musee", .org = "routes", .themes = tourisme, .n_themes = 1,
                                   .title = "Musées", .summary = "Expositions."});
  json_t *m = run(AGASSAC, voirie, 1, "Réfection du chemin communal");
  expect_ranked(m, "voirie");
  assert_null(ranked(m, "randonnee"));
  assert_null(ranked(m, "musee"));
  assert_null(excluded(m, "randonnee")); /* no shared theme: not even listed */
  assert_int_equal(count(m, "unrelated"), 2);
  assert_int_equal(eligible(m), 1);
  json_decref(m);
  /* A word in common is enough to keep it, with no theme in common. */
  m = run(AGASSAC, voirie, 1, "Balisage des sentiers de randonnée autour du chemin");
  expect_ranked(m, "randonnee");
  assert_true(comp(m, "randonnee", "theme") == 0);
  assert_true(comp(m, "randonnee", "text") > 0);
  expect_reason(m, "randonnee", "Aucune thématique commune");
  assert_int_equal(count(m, "unrelated"), 1);
  assert_int_equal(eligible(m), 2);
  json_decref(m);
}

static void nothing_eligible_is_explained(void **state) {
  (void)state;
  /* An empty catalogue. */
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  assert_int_equal(eligible(m), 0);
  assert_string_equal(str(m, "summary"), "Aucune offre ne convient à Agassac : le catalogue n'a aucune offre active");
  assert_true(json_is_null(json_object_get(json_object_get(m, "proposal"), "lead")));
  json_decref(m);
  offer((struct catalog_offer_new){.slug = "gers", .org = "atd31", .title = "Voirie du Gers",
                                   .perimeter = "departement:32"});
  offer((struct catalog_offer_new){.slug = "metropole", .org = "atd31", .perimeter = "epci:" METROPOLE});
  offer((struct catalog_offer_new){.slug = "adherents", .org = "caue31", .requires_membership = 1});
  offer((struct catalog_offer_new){.slug = "tourisme", .org = "routes", .themes = tourisme, .n_themes = 1});
  offer((struct catalog_offer_new){.slug = "grandes", .org = "routes", .eligibility = "= population > 10000"});
  m = run(AGASSAC, voirie, 1, NULL);
  assert_int_equal(eligible(m), 0);
  assert_int_equal(json_array_size(json_object_get(m, "offers")), 0);
  const char *s = str(m, "summary");
  assert_non_null(s);
  assert_int_equal(strncmp(s, "Aucune offre ne convient à Agassac : ", strlen("Aucune offre ne convient à Agassac : ")),
                   0);
  assert_non_null(strstr(s, "2 offres hors périmètre"));
  /* One offer per gate, in the singular. */
  assert_non_null(strstr(s, "; 1 offre réservée aux adhérents; "));
  assert_non_null(strstr(s, "; 1 offre au critère d'éligibilité non rempli; "));
  assert_non_null(strstr(s, "; 1 offre sans rapport avec la demande."));
  /* With an example: the first offer on the request's themes. */
  assert_non_null(strstr(s, ". Par exemple « Voirie du Gers » : Hors périmètre"));
  json_t *p = json_object_get(m, "proposal");
  assert_true(json_is_null(json_object_get(p, "lead")));
  assert_string_equal(str(p, "source"), "score");
  assert_int_equal(count(m, "perimeter"), 2);
  assert_int_equal(count(m, "membership"), 1);
  assert_int_equal(count(m, "eligibility"), 1);
  assert_int_equal(count(m, "unrelated"), 1);
  json_decref(m);
  /* Two, in the plural. */
  offer((struct catalog_offer_new){.slug = "adherents-2", .org = "atd31", .requires_membership = 1});
  m = run(AGASSAC, voirie, 1, NULL);
  assert_non_null(strstr(str(m, "summary"), "; 2 offres réservées aux adhérents; "));
  json_decref(m);
}

/* ---------------------------------------------------------------- rules */

static const char *const rules_v1 =
    "# Orientation\n"
    "règle \"Pas d'ATD à Agassac\"\n"
    "  si = demande.collectivite.code = \"31001\"\n"
    "  alors exclure atd31\n"
    "\n"
    "règle \"Les routes pilotent la voirie\"\n"
    "  si = list contains(demande.themes, \"voirie\")\n"
    "  alors pilote routes\n"
    "  alors contributeur caue31\n"
    "règle \"Le CAUE pilote tout\"\n"
    "  si = true\n"
    "  alors pilote caue31\n";

static const char *const rules_v2 =
    "règle \"Le CAUE pilote tout\"\n"
    "  si = true\n"
    "  alors pilote caue31\n"
    "règle \"Les routes pilotent la voirie\"\n"
    "  si = list contains(demande.themes, \"voirie\")\n"
    "  alors pilote routes\n";

static void routing_rules(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "atd", .org = "atd31", .themes = voirie_batiments, .n_themes = 2});
  offer((struct catalog_offer_new){.slug = "routes", .org = "routes"});
  offer((struct catalog_offer_new){.slug = "caue", .org = "caue31"});
  /* No rules: the score decides. */
  json_t *m = run(AGASSAC, voirie_batiments, 2, NULL);
  json_t *p = json_object_get(m, "proposal");
  assert_string_equal(str(p, "source"), "score");
  assert_string_equal(str(json_object_get(p, "lead"), "org"), "atd31");
  assert_true(json_is_null(json_object_get(m, "rules")));
  json_decref(m);
  /* A ruleset of another name is not the orientation. */
  publish_rules("autre", 1, "règle \"x\"\n si = true\n alors exclure atd31\n");
  m = run(AGASSAC, voirie_batiments, 2, NULL);
  expect_ranked(m, "atd");
  json_decref(m);

  publish_rules(MATCH_RULESET, 1, rules_v1);
  m = run(AGASSAC, voirie_batiments, 2, NULL);
  expect_excluded(m, "atd", "rule", "Écartée par la règle « Pas d'ATD à Agassac »");
  assert_int_equal(count(m, "rule"), 1);
  assert_int_equal(eligible(m), 2);
  p = json_object_get(m, "proposal");
  assert_string_equal(str(p, "source"), "rule");
  json_t *lead = json_object_get(p, "lead");
  assert_string_equal(str(lead, "org"), "routes");
  assert_string_equal(str(lead, "rule"), "Les routes pilotent la voirie");
  assert_string_equal(str(json_object_get(lead, "offer"), "slug"), "routes");
  assert_true(json_real_value(json_object_get(lead, "score")) == score(m, "routes"));
  json_t *contributors = json_object_get(p, "contributors");
  assert_int_equal(json_array_size(contributors), 1);
  assert_string_equal(str(json_array_get(contributors, 0), "org"), "caue31");
  assert_string_equal(str(json_object_get(json_array_get(contributors, 0), "offer"), "slug"), "caue");
  /* The explanation of every rule. */
  json_t *rules = json_object_get(json_object_get(m, "rules"), "rules");
  assert_int_equal(json_array_size(rules), 3);
  assert_string_equal(str(json_array_get(rules, 0), "outcome"), "appliquée");
  json_decref(m);
  /* Elsewhere the exclusion does not apply; the first lead still wins. */
  m = run(TOULOUSE, voirie_batiments, 2, NULL);
  expect_ranked(m, "atd");
  assert_int_equal(count(m, "rule"), 0);
  assert_string_equal(str(json_object_get(json_object_get(m, "proposal"), "lead"), "org"), "routes");
  json_decref(m);
  /* Without voirie, the third rule's lead. */
  m = run(TOULOUSE, batiments, 1, NULL);
  assert_string_equal(str(json_object_get(json_object_get(m, "proposal"), "lead"), "org"), "caue31");
  assert_string_equal(str(json_object_get(json_object_get(m, "proposal"), "lead"), "rule"), "Le CAUE pilote tout");
  /* caue's offer is not on bâtiments: no offer to lead with. */
  assert_true(json_is_null(json_object_get(json_object_get(json_object_get(m, "proposal"), "lead"), "offer")));
  json_decref(m);

  /* Version 2, the other order, no exclusion: replaces version 1 on the
   * same connection. */
  publish_rules(MATCH_RULESET, 2, rules_v2);
  m = run(AGASSAC, voirie_batiments, 2, NULL);
  expect_ranked(m, "atd");
  assert_int_equal(count(m, "rule"), 0);
  p = json_object_get(m, "proposal");
  assert_string_equal(str(p, "source"), "rule");
  assert_string_equal(str(json_object_get(p, "lead"), "org"), "caue31");
  assert_string_equal(str(json_object_get(p, "lead"), "rule"), "Le CAUE pilote tout");
  assert_int_equal(json_array_size(json_object_get(p, "contributors")), 0);
  json_decref(m);
  /* An unreadable copy counts as no rules. */
  publish_rules(MATCH_RULESET, 3, "règle sans guillemets\n");
  m = run(AGASSAC, voirie_batiments, 2, NULL);
  assert_string_equal(str(json_object_get(m, "proposal"), "source"), "score");
  assert_string_equal(str(json_object_get(json_object_get(m, "proposal"), "lead"), "org"), "atd31");
  json_decref(m);
}

static void rules_see_the_request(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "atd", .org = "atd31"});
  offer((struct catalog_offer_new){.slug = "routes", .org = "routes"});
  publish_rules(MATCH_RULESET, 1,
                "règle \"Gros budgets aux routes\"\n"
                "  si = demande.budget > 100000\n"
                "  alors pilote routes\n"
                "règle \"Adhérents de l'ATD\"\n"
                "  si = list contains(demande.collectivite.member_of, \"atd31\") and demande.offre = \"atd\"\n"
                "  alors exclure routes\n");
  /* A dry run has no budget: the first rule is undecided. */
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  assert_string_equal(str(json_object_get(m, "proposal"), "source"), "score");
  assert_string_equal(str(json_array_get(json_object_get(json_object_get(m, "rules"), "rules"), 0), "outcome"),
                      "indéterminée");
  json_decref(m);
  struct request_new n = {AGASSAC, "Pont", "Reconstruction du pont.", voirie, 1, "atd", 15000000, NULL};
  char ref[REQUEST_REF_SIZE];
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(request_file_tx(ref, NULL, g.db, &g.maire, &n, g.now), 0);
  assert_int_equal(db_commit(g.db), 0);
  assert_int_equal(match_request(&m, g.db, &g.coord, ref, MATCH_EXPLAIN, 0, g.now), 0);
  assert_string_equal(str(m, "ref"), ref);
  assert_string_equal(str(json_object_get(json_object_get(m, "proposal"), "lead"), "org"), "routes");
  expect_reason(m, "atd", "Offre choisie par la collectivité");
  assert_false(has_reason(m, "routes", "Offre choisie"));
  json_decref(m);
  /* Once a member, the second rule excludes the routes (and so its lead). */
  member(AGASSAC, "atd31", "2020-01-01", NULL);
  assert_int_equal(match_request(&m, g.db, &g.coord, ref, MATCH_EXPLAIN, 0, g.now), 0);
  expect_excluded(m, "routes", "rule", "Écartée par la règle « Adhérents de l'ATD »");
  assert_string_equal(str(json_object_get(m, "proposal"), "source"), "score");
  assert_string_equal(str(json_object_get(json_object_get(m, "proposal"), "lead"), "org"), "atd31");
  json_decref(m);
}

/* ---------------------------------------------------------------- cache */

static void catalogue_cache_follows_the_version(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "premiere", .org = "atd31"});
  json_t *m = run(AGASSAC, voirie, 1, NULL);
  assert_int_equal(eligible(m), 1);
  json_decref(m);
  int64_t v = fixture_int(g.db, "SELECT version FROM catalog_version");
  offer((struct catalog_offer_new){.slug = "deuxieme", .org = "caue31"});
  assert_true(fixture_int(g.db, "SELECT version FROM catalog_version") > v);
  m = run(AGASSAC, voirie, 1, NULL);
  assert_int_equal(eligible(m), 2);
  expect_ranked(m, "deuxieme");
  json_decref(m);

  /* Another connection on the same base sees the changes made here. */
  char path[320];
  struct db *other;
  snprintf(path, sizeof path, "%s/appui.db", g.dir);
  assert_int_equal(db_open(&other, path, 0), 0);
  struct match_query q = {.collectivity = AGASSAC, .themes = voirie, .n_themes = 1, .budget = -1};
  assert_int_equal(match_run(&m, other, &q, 0, 0, g.now), 0);
  assert_int_equal(eligible(m), 2);
  json_decref(m);
  offer((struct catalog_offer_new){.slug = "troisieme", .org = "routes"});
  assert_int_equal(db_exec(g.db, "UPDATE offer SET active = 0 WHERE slug = 'premiere'"), 0);
  assert_int_equal(match_run(&m, other, &q, 0, 0, g.now), 0);
  assert_int_equal(eligible(m), 2);
  assert_non_null(ranked(m, "troisieme"));
  assert_null(ranked(m, "premiere"));
  json_decref(m);

  /* The copy is kept while the version stands still, and reloaded when it
   * moves (here a change made without the trigger, then announced). */
  assert_int_equal(db_exec(g.db, "DROP TRIGGER catalog_version_offer_u; "
                                 "UPDATE offer SET title = 'Nouveau titre' WHERE slug = 'deuxieme'"),
                   0);
  assert_int_equal(match_run(&m, other, &q, 0, 0, g.now), 0);
  assert_string_equal(str(json_object_get(ranked(m, "deuxieme"), "offer"), "title"), "Prestation deuxieme");
  json_decref(m);
  assert_int_equal(db_exec(g.db, "UPDATE catalog_version SET version = version + 1"), 0);
  assert_int_equal(match_run(&m, other, &q, 0, 0, g.now), 0);
  assert_string_equal(str(json_object_get(ranked(m, "deuxieme"), "offer"), "title"), "Nouveau titre");
  json_decref(m);
  db_close(other);

  /* Capacity is part of the catalogue too. */
  assert_int_equal(db_exec(g.db, "UPDATE org SET capacity = 0 WHERE slug = 'caue31'"), 0);
  m = run(AGASSAC, voirie, 1, NULL);
  assert_true(comp(m, "deuxieme", "load") == 0);
  json_decref(m);
}

/* ---------------------------------------------------------------- refusals */

static void bad_queries_are_refused(void **state) {
  (void)state;
  for (int i = 0; i < 12; i++) {
    char slug[32];
    snprintf(slug, sizeof slug, "offre-%02d", i);
    offer((struct catalog_offer_new){.slug = slug, .org = "atd31"});
  }
  json_t *m = (json_t *)0;
  const char *piscine[] = {"voirie", "piscine"};
  struct match_query q = {.collectivity = "99999", .themes = voirie, .n_themes = 1, .budget = -1};
  assert_refused(g.db, match_run(&m, g.db, &q, 0, 0, g.now), ERR_NOTFOUND, "collectivity", "99999");
  q.collectivity = NULL;
  assert_refused(g.db, match_run(&m, g.db, &q, 0, 0, g.now), ERR_NOTFOUND, "collectivity", "collectivité inconnue");
  q.collectivity = AGASSAC;
  q.themes = piscine;
  q.n_themes = 2;
  assert_refused(g.db, match_run(&m, g.db, &q, 0, 0, g.now), ERR_INVALID, "themes", "thématique inconnue : « piscine »");
  q.themes = NULL;
  q.n_themes = 0;
  assert_refused(g.db, match_run(&m, g.db, &q, 0, 0, g.now), ERR_INVALID, "themes", "au moins une thématique");
  q.themes = voirie;
  q.n_themes = 1;
  assert_refused(g.db, match_run(&m, g.db, &q, 0, 201, g.now), ERR_INVALID, "limit", "200");
  assert_refused(g.db, match_run(&m, g.db, &q, 0, 100000, g.now), ERR_INVALID, "limit", "200");
  assert_null(m);
  /* 0 means 10; 200 is allowed. */
  assert_int_equal(match_run(&m, g.db, &q, 0, 0, g.now), 0);
  assert_int_equal(json_array_size(json_object_get(m, "offers")), 10);
  assert_int_equal(eligible(m), 12);
  json_decref(m);
  assert_int_equal(match_run(&m, g.db, &q, 0, 200, g.now), 0);
  assert_int_equal(json_array_size(json_object_get(m, "offers")), 12);
  json_decref(m);
  assert_int_equal(match_run(&m, g.db, &q, 0, 1, g.now), 0);
  assert_int_equal(json_array_size(json_object_get(m, "offers")), 1);
  json_decref(m);
}

static void who_may_match_a_request(void **state) {
  (void)state;
  offer((struct catalog_offer_new){.slug = "atd", .org = "atd31"});
  char ref[REQUEST_REF_SIZE];
  struct request_new n = {AGASSAC, "Chemin", "Raviné.", voirie, 1, NULL, -1, NULL};
  int64_t id;
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(request_file_tx(ref, &id, g.db, &g.maire, &n, g.now), 0);
  assert_int_equal(db_commit(g.db), 0);
  json_t *m = NULL;
  /* Its own requester may read the request, not its matching. */
  assert_refused(g.db, match_request(&m, g.db, &g.maire, ref, 0, 0, g.now), ERR_FORBIDDEN, "ref",
                 "réservée aux services");
  assert_refused(g.db, match_request(&m, g.db, &g.toulouse, ref, 0, 0, g.now), ERR_FORBIDDEN, NULL, NULL);
  /* An agent of an org without a part on it neither. */
  assert_refused(g.db, match_request(&m, g.db, &g.agent_caue, ref, 0, 0, g.now), ERR_FORBIDDEN, NULL, NULL);
  assert_refused(g.db, match_request(&m, g.db, &g.coord, "2026-999999", 0, 0, g.now), ERR_NOTFOUND, "ref",
                 "2026-999999");
  assert_refused(g.db, match_request(&m, g.db, &g.coord, "n'importe quoi", 0, 0, g.now), ERR_NOTFOUND, "ref", NULL);
  assert_refused(g.db, match_request_id(&m, g.db, 2026999999, 0, 0, g.now), ERR_NOTFOUND, "ref", NULL);
  assert_null(m);
  /* The coordination may; an agent of an org with a part too. */
  assert_int_equal(match_request(&m, g.db, &g.coord, ref, 0, 0, g.now), 0);
  assert_string_equal(str(m, "ref"), ref);
  assert_int_equal(eligible(m), 1);
  json_decref(m);
  propose(id, "atd31", "lead");
  assert_int_equal(match_request(&m, g.db, &g.agent, ref, 0, 0, g.now), 0);
  assert_int_equal(eligible(m), 1);
  json_decref(m);
  /* match_request_id reads the request's text: its words count. */
  offer((struct catalog_offer_new){.slug = "ravine", .org = "caue31", .title = "Chemin raviné"});
  offer((struct catalog_offer_new){.slug = "filler-1", .org = "routes", .title = "Ponts"});
  offer((struct catalog_offer_new){.slug = "filler-2", .org = "energie", .title = "Éclairage"});
  assert_int_equal(match_request_id(&m, g.db, id, 0, 0, g.now), 0);
  assert_true(comp(m, "ravine", "text") > 0);
  json_decref(m);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(perimeter_gate),
      T(audience_gate),
      T(membership_gate),
      T(eligibility_gate),
      T(theme_overlap),
      T(text_relevance),
      T(history_of_accepted_requests),
      T(load_against_capacity),
      T(continuity_with_the_collectivity),
      T(ranking_and_ties),
      T(unrelated_offers_are_left_out),
      T(nothing_eligible_is_explained),
      T(routing_rules),
      T(rules_see_the_request),
      T(catalogue_cache_follows_the_version),
      T(bad_queries_are_refused),
      T(who_may_match_a_request),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
