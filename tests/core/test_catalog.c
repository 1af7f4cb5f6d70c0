/* Tests of core/catalog.c: orgs, offers and memberships — creation with
 * their journal events, listing and showing with filters, and every refusal
 * (code, field named, French message, base unchanged). Runs on Haute-Garonne
 * imported once; the tests build on each other's catalogue in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

static struct {
  char dir[256];
  struct db *db;
  struct user admin, coord, head, requester;
} g;

static int group_setup(void **state) {
  (void)state;
  g.db = fixture_db(g.dir);
  fixture_territory(g.db);
  user_system(&g.admin, "test");
  g.coord = g.admin;
  g.coord.role = ROLE_COORDINATOR;
  g.head = g.admin;
  g.head.role = ROLE_HEAD;
  g.requester = g.admin;
  g.requester.role = ROLE_REQUESTER;
  snprintf(g.requester.collectivity, sizeof g.requester.collectivity, "31001");
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static struct catalog_org_new org(const char *slug, const char *name, const char *kind) {
  struct catalog_org_new n = {slug, name, kind, NULL, NULL, NULL, -1};
  return n;
}

static const char *const voirie[] = {"voirie"};
static const char *const voirie_batiments[] = {"voirie", "batiments"};

static struct catalog_offer_new offer(const char *slug, const char *org_slug) {
  struct catalog_offer_new n = {.slug = slug, .org = org_slug, .kind = "conseil", .title = "Conseil en voirie",
                                .summary = "Diagnostic de la voirie communale.", .themes = voirie, .n_themes = 1,
                                .sla_ack = -1, .sla_take = -1, .sla_resolve = -1};
  return n;
}

static void org_add_list_show(void **state) {
  (void)state;
  int64_t id, child;
  struct catalog_org_new n = {"atd31", "Haute-Garonne Ingénierie – ATD 31", "satellite", NULL, "contact@atd31.example",
                              "05 00 00 00 31", -1};
  assert_int_equal(catalog_org_add(&id, g.db, &g.admin, &n), 0);
  assert_true(id > 0);
  n = org("dat", "Direction de l'appui aux territoires", "direction");
  n.capacity = 30;
  assert_int_equal(catalog_org_add(&id, g.db, &g.admin, &n), 0);
  n = org("democratie-participative", "Mission démocratie participative", "mission");
  n.parent = "dat";
  assert_int_equal(catalog_org_add(&child, g.db, &g.admin, &n), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'org.created'"), 3);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'org.created' "
                                     "AND json_extract(data, '$.slug') = 'democratie-participative' "
                                     "AND json_extract(data, '$.parent') = 'dat'"),
                   1);
  int64_t found;
  assert_int_equal(catalog_org_id(&found, g.db, "democratie-participative", "org"), 0);
  assert_int_equal(found, child);

  json_t *o;
  assert_int_equal(catalog_org_show(&o, g.db, "atd31"), 0);
  assert_string_equal(str(o, "slug"), "atd31");
  assert_string_equal(str(o, "name"), "Haute-Garonne Ingénierie – ATD 31");
  assert_string_equal(str(o, "kind"), "satellite");
  assert_string_equal(str(o, "kind_label"), "Satellite");
  assert_string_equal(str(o, "email"), "contact@atd31.example");
  assert_string_equal(str(o, "phone"), "05 00 00 00 31");
  assert_int_equal(json_integer_value(json_object_get(o, "capacity")), 20); /* the default */
  assert_int_equal(json_integer_value(json_object_get(o, "offers")), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "open_parts")), 0);
  assert_null(str(o, "parent"));
  assert_int_equal(json_array_size(json_object_get(o, "offer_list")), 0);
  json_decref(o);
  assert_int_equal(catalog_org_show(&o, g.db, "democratie-participative"), 0);
  assert_string_equal(str(o, "parent"), "dat");
  assert_string_equal(str(o, "kind_label"), "Mission");
  json_decref(o);
  assert_int_equal(catalog_org_show(&o, g.db, "dat"), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "capacity")), 30);
  json_decref(o);

  /* Listed by name. */
  json_t *list;
  assert_int_equal(catalog_org_list(&list, g.db), 0);
  assert_int_equal(json_array_size(list), 3);
  assert_string_equal(str(json_array_get(list, 0), "slug"), "dat");
  assert_string_equal(str(json_array_get(list, 1), "slug"), "atd31");
  assert_string_equal(str(json_array_get(list, 2), "slug"), "democratie-participative");
  json_decref(list);
}

static void org_refusals(void **state) {
  (void)state;
  int64_t id = 0;
  json_t *o = NULL;
  struct catalog_org_new n;
  n = org("CAUE31", "CAUE", "satellite");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "slug", "CAUE31");
  n = org("c", "CAUE", "satellite");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "slug", "« c »");
  n = org(NULL, "CAUE", "satellite");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "slug", "identifiant invalide");
  n = org("caue31", " ", "satellite");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "name", "nom");
  n = org("caue31", "CAUE", "bureau");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "kind", "bureau");
  n = org("caue31", "CAUE", NULL);
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "kind", "type de structure");
  n = org("caue31", "CAUE", "satellite");
  n.email = "contact.caue31";
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "email", "contact.caue31");
  n = org("caue31", "CAUE", "satellite");
  n.phone = "05\x01";
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "phone", "téléphone");
  n = org("caue31", "CAUE", "satellite");
  n.capacity = 100001;
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_INVALID, "capacity", "100000");
  n = org("caue31", "CAUE", "satellite");
  n.parent = "direction-inconnue";
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_NOTFOUND, "parent", "direction-inconnue");
  n = org("atd31", "Doublon", "satellite");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.admin, &n), ERR_CONFLICT, "slug", "atd31");
  n = org("caue31", "CAUE", "satellite");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.coord, &n), ERR_FORBIDDEN, NULL, "administration");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.head, &n), ERR_FORBIDDEN, NULL, "administration");
  assert_refused(g.db, catalog_org_add(&id, g.db, &g.requester, &n), ERR_FORBIDDEN, NULL, "administration");
  assert_int_equal(id, 0);
  assert_refused(g.db, catalog_org_show(&o, g.db, "caue31"), ERR_NOTFOUND, "slug", "caue31");
  assert_null(o);
  assert_refused(g.db, catalog_org_id(&id, g.db, "caue31", "org"), ERR_NOTFOUND, "org", "caue31");
}

static void offer_add_list_show(void **state) {
  (void)state;
  int64_t id;
  const char *audience[] = {"commune", "syndicat"};
  struct catalog_offer_new n = offer("atd-voirie", "atd31");
  n.kind = "amo";
  n.title = "Assistance à maîtrise d'ouvrage voirie";
  n.themes = voirie_batiments;
  n.n_themes = 2;
  n.perimeter = "epci:243100518";
  n.eligibility = "= population < 3500";
  n.requires_membership = 1;
  n.sla_ack = 2;
  n.sla_take = 10;
  n.sla_resolve = 60;
  n.process = "appui-atd";
  assert_int_equal(catalog_offer_add(&id, g.db, &g.admin, &n), 0);
  assert_true(id > 0);
  n = offer("atd-conseil", "atd31");
  n.audience = audience;
  n.n_audience = 2;
  assert_int_equal(catalog_offer_add(&id, g.db, &g.admin, &n), 0);
  const char *dp[] = {"democratie-participative"};
  n = offer("dp-formation", "democratie-participative");
  n.kind = "formation";
  n.title = "Formation des élus à la participation";
  n.themes = dp;
  n.perimeter = "departement:31";
  assert_int_equal(catalog_offer_add(&id, g.db, &g.admin, &n), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'offer.created'"), 3);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'offer.created' "
                                     "AND json_extract(data, '$.slug') = 'atd-voirie' "
                                     "AND json_extract(data, '$.perimeter') = 'epci:243100518' "
                                     "AND json_array_length(data, '$.themes') = 2"),
                   1);

  json_t *o;
  assert_int_equal(catalog_offer_show(&o, g.db, "atd-voirie"), 0);
  assert_string_equal(str(o, "slug"), "atd-voirie");
  assert_string_equal(str(o, "kind"), "amo");
  assert_string_equal(str(o, "kind_label"), "Assistance à maîtrise d'ouvrage");
  assert_string_equal(str(o, "title"), "Assistance à maîtrise d'ouvrage voirie");
  assert_string_equal(str(json_object_get(o, "org"), "slug"), "atd31");
  assert_string_equal(str(o, "eligibility"), "= population < 3500");
  assert_true(json_is_true(json_object_get(o, "requires_membership")));
  assert_string_equal(str(o, "process"), "appui-atd");
  json_t *themes = json_object_get(o, "themes");
  assert_int_equal(json_array_size(themes), 2);
  assert_string_equal(json_string_value(json_array_get(themes, 0)), "batiments");
  assert_string_equal(json_string_value(json_array_get(themes, 1)), "voirie");
  json_t *aud = json_object_get(o, "audience"); /* the default: communes and EPCI */
  assert_int_equal(json_array_size(aud), 2);
  assert_string_equal(json_string_value(json_array_get(aud, 0)), "commune");
  assert_string_equal(json_string_value(json_array_get(aud, 1)), "epci");
  json_t *sla = json_object_get(o, "sla");
  assert_int_equal(json_integer_value(json_object_get(sla, "acknowledge")), 2);
  assert_int_equal(json_integer_value(json_object_get(sla, "take_charge")), 10);
  assert_int_equal(json_integer_value(json_object_get(sla, "resolve")), 60);
  assert_string_equal(str(json_object_get(o, "perimeter"), "spec"), "epci:243100518");
  assert_string_equal(str(json_object_get(o, "perimeter"), "name"), "Toulouse Métropole");
  json_decref(o);

  assert_int_equal(catalog_offer_show(&o, g.db, "atd-conseil"), 0);
  assert_string_equal(str(o, "process"), "demande-appui");
  assert_true(json_is_null(json_object_get(o, "perimeter")));
  assert_true(json_is_null(json_object_get(json_object_get(o, "sla"), "acknowledge")));
  assert_true(json_is_false(json_object_get(o, "requires_membership")));
  aud = json_object_get(o, "audience");
  assert_int_equal(json_array_size(aud), 2);
  assert_string_equal(json_string_value(json_array_get(aud, 1)), "syndicat");
  json_decref(o);

  /* The org shows its offers. */
  assert_int_equal(catalog_org_show(&o, g.db, "atd31"), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "offers")), 2);
  assert_int_equal(json_array_size(json_object_get(o, "offer_list")), 2);
  json_decref(o);
}

/* The slugs of catalog_offer_list(theme, org), comma-separated, in order. */
static void expect_offers(const char *theme, const char *org_slug, const char *expected) {
  json_t *list;
  char got[512] = "";
  assert_int_equal(catalog_offer_list(&list, g.db, theme, org_slug), 0);
  size_t i;
  json_t *o;
  json_array_foreach(list, i, o) {
    if (i) strcat(got, ",");
    strcat(got, str(o, "slug"));
  }
  json_decref(list);
  if (strcmp(got, expected) != 0)
    fail_msg("offres (%s, %s) : « %s », attendu « %s »", theme ? theme : "*", org_slug ? org_slug : "*", got, expected);
}

static void offer_filters(void **state) {
  (void)state;
  /* Ordered by org name, then title. */
  expect_offers(NULL, NULL, "atd-voirie,atd-conseil,dp-formation");
  expect_offers("voirie", NULL, "atd-voirie,atd-conseil");
  expect_offers("batiments", NULL, "atd-voirie");
  expect_offers("democratie-participative", NULL, "dp-formation");
  expect_offers("tourisme", NULL, "");
  expect_offers(NULL, "atd31", "atd-voirie,atd-conseil");
  expect_offers(NULL, "democratie-participative", "dp-formation");
  expect_offers(NULL, "dat", "");
  expect_offers("batiments", "atd31", "atd-voirie");
  expect_offers("democratie-participative", "atd31", "");
  /* A withdrawn offer is neither listed nor found by id. */
  assert_int_equal(db_exec(g.db, "UPDATE offer SET active = 0 WHERE slug = 'atd-conseil'"), 0);
  expect_offers("voirie", NULL, "atd-voirie");
  int64_t id;
  assert_refused(g.db, catalog_offer_id(&id, g.db, "atd-conseil", "offer"), ERR_NOTFOUND, "offer", "atd-conseil");
  assert_int_equal(db_exec(g.db, "UPDATE offer SET active = 1 WHERE slug = 'atd-conseil'"), 0);
  assert_int_equal(catalog_offer_id(&id, g.db, "atd-conseil", "offer"), 0);
}

static void offer_refusals(void **state) {
  (void)state;
  int64_t id = 0;
  json_t *o = NULL;
  struct catalog_offer_new n;
  const char *unknown_theme[] = {"voirie", "piscine"};
  const char *twice[] = {"voirie", "voirie"};
  const char *bad_audience[] = {"commune", "association"};
  n = offer("Atd Eau", "atd31");
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "slug", "Atd Eau");
  n = offer("atd-eau", "atd31");
  n.title = "";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "title", "titre");
  n = offer("atd-eau", "atd31");
  n.kind = "cadeau";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "kind", "cadeau");
  n = offer("atd-eau", "atd31");
  n.n_themes = 0;
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "themes", "thématique");
  n = offer("atd-eau", "atd31");
  n.themes = unknown_theme;
  n.n_themes = 2;
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "themes", "piscine");
  /* The message lists the valid themes. */
  assert_non_null(strstr(err_msg(), "eau-assainissement"));
  n.themes = twice;
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "themes", "double");
  n = offer("atd-eau", "atd31");
  n.audience = bad_audience;
  n.n_audience = 2;
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "audience", "association");
  n = offer("atd-eau", "atd31");
  n.sla_resolve = 400;
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "sla_resolve", "365");
  /* Eligibility: refused with its column when it does not parse, when it
   * reads a variable the gates do not provide, or compares the list
   * member_of with = (never true). */
  n = offer("atd-eau", "atd31");
  n.eligibility = "population < 3500";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "eligibility", "colonne 1");
  n.eligibility = "= population << 3500";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "eligibility", "colonne 15");
  n.eligibility = "= populaton < 3500";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "eligibility", "« populaton »");
  n.eligibility = "= population < 3500 and member_of = \"atd31\"";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "eligibility",
                 "list contains(member_of");
  n = offer("atd-eau", "atd31");
  n.process = "Circuit Spécial";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "process", "Circuit Spécial");
  n = offer("atd-eau", "atd31");
  n.summary = "r\xe9sum\xe9"; /* Latin-1 */
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "summary", "présentation");
  n = offer("atd-eau", "structure-inconnue");
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_NOTFOUND, "org", "structure-inconnue");
  n = offer("atd-eau", "atd31");
  n.perimeter = "adhoc:sivom-inconnu";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_NOTFOUND, "perimeter", "sivom-inconnu");
  n.perimeter = "commune:99999";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_NOTFOUND, "perimeter", "99999");
  n.perimeter = "partout";
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_INVALID, "perimeter", "partout");
  n = offer("atd-voirie", "atd31");
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.admin, &n), ERR_CONFLICT, "slug", "atd-voirie");
  n = offer("atd-eau", "atd31");
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.coord, &n), ERR_FORBIDDEN, NULL, "administration");
  assert_refused(g.db, catalog_offer_add(&id, g.db, &g.requester, &n), ERR_FORBIDDEN, NULL, "administration");
  assert_int_equal(id, 0);
  assert_refused(g.db, catalog_offer_show(&o, g.db, "atd-eau"), ERR_NOTFOUND, "slug", "atd-eau");
  assert_null(o);
}

static void memberships(void **state) {
  (void)state;
  int64_t id;
  assert_int_equal(catalog_membership_add(&id, g.db, &g.admin, "31001", "atd31", "2020-01-01", NULL), 0);
  /* Closed periods that do not overlap, added by a coordinator. */
  assert_int_equal(catalog_membership_add(&id, g.db, &g.coord, "31069", "atd31", "2020-01-01", "2020-12-31"), 0);
  assert_int_equal(catalog_membership_add(&id, g.db, &g.coord, "31069", "atd31", "2021-01-01", NULL), 0);
  assert_int_equal(catalog_membership_add(&id, g.db, &g.coord, "31069", "atd31", "2018-01-01", "2019-12-31"), 0);
  /* Another org is another membership. An EPCI may adhere too. */
  assert_int_equal(catalog_membership_add(&id, g.db, &g.coord, "31001", "dat", "2024-02-29", "2024-02-29"), 0);
  assert_int_equal(catalog_membership_add(&id, g.db, &g.admin, "243100518", "atd31", "2022-01-01", NULL), 0);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'membership.added'"), 6);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'membership.added' "
                                     "AND json_extract(data, '$.collectivity') = '31069' "
                                     "AND json_extract(data, '$.end') = '2020-12-31'"),
                   1);

  json_t *list;
  assert_int_equal(catalog_membership_list(&list, g.db, "31069", NULL), 0);
  assert_int_equal(json_array_size(list), 3);
  /* Ordered by start date. */
  assert_string_equal(str(json_array_get(list, 0), "start"), "2018-01-01");
  assert_string_equal(str(json_array_get(list, 0), "end"), "2019-12-31");
  assert_string_equal(str(json_array_get(list, 2), "start"), "2021-01-01");
  assert_true(json_is_null(json_object_get(json_array_get(list, 2), "end")));
  assert_string_equal(str(json_object_get(json_array_get(list, 0), "collectivity"), "name"), "Blagnac");
  assert_string_equal(str(json_object_get(json_array_get(list, 0), "org"), "slug"), "atd31");
  json_decref(list);
  assert_int_equal(catalog_membership_list(&list, g.db, NULL, "atd31"), 0);
  assert_int_equal(json_array_size(list), 5);
  json_decref(list);
  assert_int_equal(catalog_membership_list(&list, g.db, "31001", NULL), 0);
  assert_int_equal(json_array_size(list), 2);
  json_decref(list);
  assert_int_equal(catalog_membership_list(&list, g.db, "31555", NULL), 0);
  assert_int_equal(json_array_size(list), 0);
  json_decref(list);
}

static void membership_refusals(void **state) {
  (void)state;
  int64_t id = 0;
  /* Overlaps: with an open membership, with a closed one, touching a bound
   * (dates are inclusive). */
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31001", "atd31", "2024-01-01", NULL),
                 ERR_CONFLICT, "start", "31001");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31001", "atd31", "2010-01-01", NULL),
                 ERR_CONFLICT, "start", "atd31");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31069", "atd31", "2020-06-01", "2020-06-30"),
                 ERR_CONFLICT, "start", "déjà");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31069", "atd31", "2017-01-01", "2018-01-01"),
                 ERR_CONFLICT, "start", NULL);
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31069", "atd31", "2020-12-31", "2020-12-31"),
                 ERR_CONFLICT, "start", NULL);
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31001", "dat", "2024-02-01", "2024-03-01"),
                 ERR_CONFLICT, "start", NULL);
  /* Bad dates. */
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31555", "atd31", "2023-02-29", NULL), ERR_INVALID,
                 "start", "2023-02-29");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31555", "atd31", "01/01/2024", NULL), ERR_INVALID,
                 "start", "01/01/2024");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31555", "atd31", NULL, NULL), ERR_INVALID, "start",
                 "date de début");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31555", "atd31", "2024-01-01", "2024-13-01"),
                 ERR_INVALID, "end", "2024-13-01");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31555", "atd31", "2024-01-01", "2023-12-31"),
                 ERR_INVALID, "end", "précède");
  /* Unknown collectivity or org. */
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "99999", "atd31", "2024-01-01", NULL), ERR_NOTFOUND,
                 "collectivity", "99999");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.admin, "31555", "inconnue", "2024-01-01", NULL),
                 ERR_NOTFOUND, "org", "inconnue");
  /* Neither heads nor requesters record memberships. */
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.head, "31555", "atd31", "2024-01-01", NULL), ERR_FORBIDDEN,
                 NULL, "adhésions");
  assert_refused(g.db, catalog_membership_add(&id, g.db, &g.requester, "31001", "atd31", "2030-01-01", NULL),
                 ERR_FORBIDDEN, NULL, "adhésions");
  assert_int_equal(id, 0);
}

static void kind_labels(void **state) {
  (void)state;
  assert_string_equal(catalog_org_kind_label("direction"), "Direction");
  assert_string_equal(catalog_org_kind_label("partner"), "Partenaire");
  assert_null(catalog_org_kind_label("bureau"));
  assert_null(catalog_org_kind_label(NULL));
  assert_string_equal(catalog_offer_kind_label("etude"), "Étude");
  assert_string_equal(catalog_offer_kind_label("evenement"), "Événement");
  assert_null(catalog_offer_kind_label("satellite"));
  assert_null(catalog_offer_kind_label(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(org_add_list_show),
      cmocka_unit_test(org_refusals),
      cmocka_unit_test(offer_add_list_show),
      cmocka_unit_test(offer_filters),
      cmocka_unit_test(offer_refusals),
      cmocka_unit_test(memberships),
      cmocka_unit_test(membership_refusals),
      cmocka_unit_test(kind_labels),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
