/* Tests of core/request.c: filing (references AAAA-NNNNNN sequential per
 * Europe/Paris year, the request.filed event in the same transaction),
 * every refusal of a bad request (code, field, French message, base
 * unchanged), request_show, and request_list — exact filters, full-text
 * search (accents, hostile FTS5 syntax taken as plain words) and cursor
 * pagination that stays stable while requests are filed between pages.
 *
 * The group setup builds one base (Haute-Garonne, a catalogue, accounts);
 * each test works on its own copy of it. */
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
#include "request.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
  char template_dir[256], dir[256];
  struct db *template, *db;
  struct user admin, maire, toulouse, coord, agent;
  int64_t atd31;
} g;

static const char *const voirie[] = {"voirie"};

static int group_setup(void **state) {
  (void)state;
  struct db *db = g.template = fixture_db(g.template_dir);
  fixture_territory(db);
  user_system(&g.admin, "test");
  struct catalog_org_new o = {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1};
  if (catalog_org_add(&g.atd31, db, &g.admin, &o)) return -1;
  int64_t id;
  struct catalog_offer_new f = {.slug = "atd-voirie", .org = "atd31", .kind = "conseil", .title = "Conseil en voirie",
                                .themes = voirie, .n_themes = 1, .sla_ack = -1, .sla_take = -1, .sla_resolve = -1};
  if (catalog_offer_add(&id, db, &g.admin, &f)) return -1;
  f.slug = "ancienne-offre";
  f.title = "Offre retirée";
  if (catalog_offer_add(&id, db, &g.admin, &f)) return -1;
  if (db_exec(db, "UPDATE offer SET active = 0 WHERE slug = 'ancienne-offre'")) return -1;
  struct user_new users[] = {
      {"maire@agassac.example", "Maire d'Agassac", "requester", "31001", NULL, NULL},
      {"mairie@toulouse.example", "Mairie de Toulouse", "requester", "31555", NULL, NULL},
      {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL},
      {"agent@atd31.example", "Agent ATD", "agent", NULL, "atd31", NULL},
  };
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
    if (user_add(&id, db, &g.admin, &users[i])) return -1;
  if (user_get_by_email(&g.maire, db, "maire@agassac.example") ||
      user_get_by_email(&g.toulouse, db, "mairie@toulouse.example") ||
      user_get_by_email(&g.coord, db, "coordination@appui.example") ||
      user_get_by_email(&g.agent, db, "agent@atd31.example"))
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

static struct request_new req(const char *coll, const char *title, const char *description) {
  struct request_new n = {coll, title, description, voirie, 1, NULL, -1, NULL};
  return n;
}

/* Files a request that must be accepted; returns its id. */
static int64_t file_ok(char ref[REQUEST_REF_SIZE], const struct user *u, const struct request_new *n) {
  int64_t id = 0;
  char r[REQUEST_REF_SIZE];
  if (request_file(ref ? ref : r, &id, g.db, u, n)) fail_msg("request_file: %s", err_msg());
  return id;
}

/* Same at time `now`, in a transaction of its own. */
static int file_at(char ref[REQUEST_REF_SIZE], const struct user *u, const struct request_new *n, int64_t now) {
  int64_t id;
  assert_int_equal(db_begin(g.db), 0);
  int rc = request_file_tx(ref, &id, g.db, u, n, now);
  if (rc) db_rollback(g.db);
  else assert_int_equal(db_commit(g.db), 0);
  return rc;
}

static int seq_of(const char *ref) { return atoi(ref + 5); }

static void expect_ref_shape(const char *ref, int year) {
  char y[8];
  snprintf(y, sizeof y, "%04d-", year);
  assert_int_equal(strlen(ref), 11);
  assert_memory_equal(ref, y, 5);
  for (int i = 5; i < 11; i++) assert_true(ref[i] >= '0' && ref[i] <= '9');
}

static void file_gives_sequential_references(void **state) {
  (void)state;
  char r1[REQUEST_REF_SIZE], r2[REQUEST_REF_SIZE], r3[REQUEST_REF_SIZE];
  struct civil now;
  clock_paris(clock_now_ms(), &now);
  struct request_new n = req(NULL, "Réfection du chemin de la Côte", "Chemin raviné par les orages.");
  int64_t id1 = file_ok(r1, &g.maire, &n); /* NULL collectivity: the requester's own */
  n.collectivity = "31001";
  int64_t id2 = file_ok(r2, &g.maire, &n);
  n.collectivity = "31555"; /* the coordination files for anyone */
  int64_t id3 = file_ok(r3, &g.coord, &n);
  expect_ref_shape(r1, now.year);
  assert_string_equal(r1 + 5, "000001");
  assert_int_equal(seq_of(r2), 2);
  assert_int_equal(seq_of(r3), 3);
  assert_true(id1 < id2 && id2 < id3);
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM request WHERE id = %lld AND ref = '%s' AND collectivity = '31001' "
           "AND status = 'filed' AND filed_by = %lld AND year = %d AND seq = 1",
           (long long)id1, r1, (long long)g.maire.id, now.year);
  assert_int_equal(fixture_int(g.db, sql), 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM request_theme WHERE theme = 'voirie'"), 3);
  /* One request.filed event per request, with the request and its actor. */
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'request.filed'"), 3);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'request.filed' AND request = %lld AND actor_user = %lld "
           "AND actor = 'maire@agassac.example' AND json_extract(data, '$.ref') = '%s' "
           "AND json_extract(data, '$.collectivity') = '31001'",
           (long long)id1, (long long)g.maire.id, r1);
  assert_int_equal(fixture_int(g.db, sql), 1);
}

static void filing_and_journal_are_one_transaction(void **state) {
  (void)state;
  char r1[REQUEST_REF_SIZE], r2[REQUEST_REF_SIZE];
  struct request_new n = req(NULL, "Réfection du chemin", "Chemin raviné.");
  file_ok(r1, &g.maire, &n);
  /* When the journal cannot be written, the request is not stored either. */
  assert_int_equal(db_exec(g.db, "CREATE TEMP TRIGGER journal_down BEFORE INSERT ON main.event "
                                 "WHEN new.type = 'request.filed' BEGIN SELECT RAISE(ABORT, 'journal indisponible'); END"),
                   0);
  assert_refused(g.db, request_file(r2, NULL, g.db, &g.maire, &n), ERR_CONFLICT, NULL, "journal");
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM request"), 1);
  assert_int_equal(db_exec(g.db, "DROP TRIGGER journal_down"), 0);
  /* And no number was used up. */
  file_ok(r2, &g.maire, &n);
  assert_int_equal(seq_of(r2), seq_of(r1) + 1);
}

static void references_follow_the_paris_year(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  struct request_new n = req("31001", "Réfection du chemin", "Chemin raviné.");
  /* 2030-12-31T23:30Z is already 2031 in Paris; 22:30Z is still 2030. */
  assert_int_equal(file_at(ref, &g.coord, &n, 1924990200000LL), 0);
  assert_string_equal(ref, "2031-000001");
  assert_int_equal(file_at(ref, &g.coord, &n, 1924986600000LL), 0);
  assert_string_equal(ref, "2030-000001");
  assert_int_equal(file_at(ref, &g.coord, &n, 1938074400000LL), 0); /* 2031-06-01 */
  assert_string_equal(ref, "2031-000002");
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM request WHERE year = 2031"), 2);
}

static void desired_date_is_checked_against_paris_today(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  struct request_new n = req("31001", "Réfection du chemin", "Chemin raviné.");
  const int64_t now = 1931297400000LL; /* 2031-03-14T23:30Z = 2031-03-15 00:30 in Paris */
  n.desired_date = "2031-03-15";
  assert_int_equal(file_at(ref, &g.coord, &n, now), 0);
  n.desired_date = "2031-03-14";
  char before[65], after[65];
  fixture_digest(g.db, before);
  err_clear();
  assert_int_equal(file_at(ref, &g.coord, &n, now), ERR_INVALID);
  assert_string_equal(err_field(), "desired_date");
  assert_non_null(strstr(err_msg(), "2031-03-14"));
  assert_non_null(strstr(err_msg(), "passée"));
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
}

static void bad_requests_are_refused(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE] = "";
  int64_t id = 0;
  struct request_new n;
  const char *piscine[] = {"voirie", "piscine"};
  const char *twice[] = {"voirie", "voirie"};
  static char long_title[2 * (REQUEST_TITLE_MAX + 1) + 1], long_desc[REQUEST_DESCRIPTION_MAX + 2];
  for (int i = 0; i < REQUEST_TITLE_MAX + 1; i++) memcpy(long_title + 2 * i, "é", 2);
  memset(long_desc, 'x', REQUEST_DESCRIPTION_MAX + 1);
  file_ok(NULL, &g.maire, &(struct request_new){NULL, "Première", "Pour que la base ne soit pas vide.", voirie, 1,
                                                 NULL, -1, NULL});
#define REFUSED(actor, code, field, needle) \
  assert_refused(g.db, request_file(ref, &id, g.db, (actor), &n), (code), (field), (needle))
  /* Collectivity. */
  n = req("99999", "Réfection", "Chemin raviné.");
  REFUSED(&g.coord, ERR_INVALID, "collectivity", "99999");
  REFUSED(&g.maire, ERR_INVALID, "collectivity", "99999");
  n = req(NULL, "Réfection", "Chemin raviné.");
  REFUSED(&g.coord, ERR_INVALID, "collectivity", "obligatoire");
  n = req("31555", "Réfection", "Chemin raviné.");
  REFUSED(&g.maire, ERR_FORBIDDEN, "collectivity", "31001");
  REFUSED(&g.agent, ERR_FORBIDDEN, NULL, "réservé");
  /* Title. */
  n = req("31001", "", "Chemin raviné.");
  REFUSED(&g.maire, ERR_INVALID, "title", "titre");
  n.title = "  \t\n ";
  REFUSED(&g.maire, ERR_INVALID, "title", "vide");
  n.title = "\xc2\xa0\xc2\xa0"; /* no-break spaces only */
  REFUSED(&g.maire, ERR_INVALID, "title", "vide");
  n.title = NULL;
  REFUSED(&g.maire, ERR_INVALID, "title", "obligatoire");
  n.title = long_title;
  REFUSED(&g.maire, ERR_INVALID, "title", "201 caractères, 200 au plus");
  n.title = "R\xe9" "fection"; /* Latin-1 */
  REFUSED(&g.maire, ERR_INVALID, "title", "UTF-8");
  /* Description. */
  n = req("31001", "Réfection", NULL);
  REFUSED(&g.maire, ERR_INVALID, "description", "obligatoire");
  n.description = " ";
  REFUSED(&g.maire, ERR_INVALID, "description", "vide");
  n.description = long_desc;
  REFUSED(&g.maire, ERR_INVALID, "description", "20001 caractères, 20000 au plus");
  /* Themes. */
  n = req("31001", "Réfection", "Chemin raviné.");
  n.n_themes = 0;
  REFUSED(&g.maire, ERR_INVALID, "themes", "au moins une thématique");
  n.themes = piscine;
  n.n_themes = 2;
  REFUSED(&g.maire, ERR_INVALID, "themes", "piscine");
  n.themes = twice;
  REFUSED(&g.maire, ERR_INVALID, "themes", "double");
  /* Desired date. */
  n = req("31001", "Réfection", "Chemin raviné.");
  n.desired_date = "2031-02-30";
  REFUSED(&g.maire, ERR_INVALID, "desired_date", "2031-02-30");
  n.desired_date = "demain";
  REFUSED(&g.maire, ERR_INVALID, "desired_date", "demain");
  n.desired_date = "2000-01-01";
  REFUSED(&g.maire, ERR_INVALID, "desired_date", "2000-01-01 est déjà passée");
  /* Offer: unknown or withdrawn. */
  n = req("31001", "Réfection", "Chemin raviné.");
  n.offer = "offre-inconnue";
  REFUSED(&g.maire, ERR_INVALID, "offer", "offre-inconnue");
  n.offer = "ancienne-offre";
  REFUSED(&g.maire, ERR_INVALID, "offer", "ancienne-offre");
  /* Budget. */
  n = req("31001", "Réfection", "Chemin raviné.");
  n.budget_cents = 100000000000001LL;
  REFUSED(&g.maire, ERR_INVALID, "budget", "budget");
#undef REFUSED
  assert_string_equal(ref, "");
  assert_int_equal(id, 0);
  /* At the limits, accepted. */
  long_title[2 * REQUEST_TITLE_MAX] = 0;
  long_desc[REQUEST_DESCRIPTION_MAX] = 0;
  n = req("31001", long_title, long_desc);
  n.desired_date = "2999-12-31";
  file_ok(ref, &g.maire, &n);
  assert_int_equal(seq_of(ref), 2); /* no number lost to the refusals */
}

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static void show_contents_and_permission(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  const char *themes[] = {"voirie", "batiments"};
  struct request_new n = {NULL, "Réfection du chemin de la Côte", "Les orages ont raviné le chemin.", themes, 2,
                          "atd-voirie", 8500000, "2999-06-30"};
  int64_t id = file_ok(ref, &g.maire, &n);
  json_t *o;
  assert_int_equal(request_show(&o, g.db, &g.maire, ref, 0), 0);
  assert_string_equal(str(o, "ref"), ref);
  assert_string_equal(str(o, "title"), "Réfection du chemin de la Côte");
  assert_string_equal(str(o, "description"), "Les orages ont raviné le chemin.");
  assert_string_equal(str(o, "status"), "filed");
  assert_string_equal(str(o, "status_label"), "Déposée");
  json_t *c = json_object_get(o, "collectivity");
  assert_string_equal(str(c, "code"), "31001");
  assert_string_equal(str(c, "name"), "Agassac");
  assert_string_equal(str(c, "kind"), "commune");
  assert_non_null(str(json_object_get(c, "epci"), "code"));
  assert_string_equal(str(json_object_get(o, "offer"), "slug"), "atd-voirie");
  assert_string_equal(str(json_object_get(o, "offer"), "title"), "Conseil en voirie");
  assert_true(json_real_value(json_object_get(o, "budget")) == 85000.0);
  assert_string_equal(str(o, "desired_date"), "2999-06-30");
  assert_string_equal(str(o, "filed_by"), "maire@agassac.example");
  assert_int_equal(strlen(str(o, "filed_at")), 25); /* RFC 3339 with offset */
  json_t *th = json_object_get(o, "themes");
  assert_int_equal(json_array_size(th), 2);
  assert_string_equal(json_string_value(json_array_get(th, 0)), "batiments");
  assert_string_equal(json_string_value(json_array_get(th, 1)), "voirie");
  assert_int_equal(json_array_size(json_object_get(o, "parts")), 0);
  assert_int_equal(json_array_size(json_object_get(o, "messages")), 0);
  assert_int_equal(json_array_size(json_object_get(o, "attachments")), 0);
  assert_null(json_object_get(o, "events"));
  json_decref(o);

  /* With its journal; a part appears with its org and agent. */
  char sql[256];
  snprintf(sql, sizeof sql,
           "INSERT INTO part (request, org, role, state, agent, created_at, updated_at) "
           "VALUES (%lld, %lld, 'lead', 'accepted', %lld, 0, 0)",
           (long long)id, (long long)g.atd31, (long long)g.agent.id);
  assert_int_equal(db_exec(g.db, sql), 0);
  assert_int_equal(request_show(&o, g.db, &g.agent, ref, REQUEST_WITH_EVENTS), 0);
  json_t *events = json_object_get(o, "events");
  assert_int_equal(json_array_size(events), 1);
  assert_string_equal(str(json_array_get(events, 0), "type"), "request.filed");
  assert_string_equal(str(json_array_get(events, 0), "request"), ref);
  json_t *part = json_array_get(json_object_get(o, "parts"), 0);
  assert_string_equal(str(json_object_get(part, "org"), "slug"), "atd31");
  assert_string_equal(str(part, "role"), "lead");
  assert_string_equal(str(part, "state"), "accepted");
  assert_string_equal(str(json_object_get(part, "agent"), "email"), "agent@atd31.example");
  json_decref(o);

  /* Filed by the platform, without offer nor budget. */
  n = req("31555", "Éclairage public", "Remplacement des lampadaires.");
  file_ok(ref, &g.admin, &n);
  assert_int_equal(request_show(&o, g.db, &g.coord, ref, 0), 0);
  assert_true(json_is_null(json_object_get(o, "offer")));
  assert_true(json_is_null(json_object_get(o, "budget")));
  assert_true(json_is_null(json_object_get(o, "filed_by")));
  json_decref(o);

  /* Permission and unknown references. */
  o = NULL;
  assert_refused(g.db, request_show(&o, g.db, &g.maire, ref, 0), ERR_FORBIDDEN, NULL, ref);
  assert_refused(g.db, request_show(&o, g.db, &g.agent, ref, 0), ERR_FORBIDDEN, NULL, ref);
  assert_refused(g.db, request_show(&o, g.db, &g.maire, "2020-999999", 0), ERR_NOTFOUND, "ref", "2020-999999");
  assert_refused(g.db, request_show(&o, g.db, &g.coord, "n'importe quoi", 0), ERR_NOTFOUND, "ref", "n'importe quoi");
  assert_null(o);
}

/* Calls request_list and returns the refs, comma-separated, in order. */
static char *list_refs(const struct user *u, const struct request_filter *f, char **next) {
  json_t *items;
  char *n = NULL;
  int rc = request_list(&items, &n, g.db, u, f);
  if (rc) fail_msg("request_list: %s", err_msg());
  size_t i, cap = 16 * (json_array_size(items) + 1);
  char *out = calloc(1, cap);
  json_t *it;
  json_array_foreach(items, i, it) {
    if (i) strcat(out, ",");
    strcat(out, str(it, "ref"));
  }
  json_decref(items);
  if (next) *next = n;
  else free(n);
  return out;
}

static void expect_list(const struct user *u, const struct request_filter *f, const char *expected) {
  char *got = list_refs(u, f, NULL);
  if (strcmp(got, expected) != 0)
    fail_msg("liste « %s », attendu « %s » (q=%s)", got, expected, f->q ? f->q : "");
  free(got);
}

static void list_items_and_filters(void **state) {
  (void)state;
  char agassac[REQUEST_REF_SIZE], blagnac[REQUEST_REF_SIZE], toulouse[REQUEST_REF_SIZE], metro[REQUEST_REF_SIZE],
      muret[REQUEST_REF_SIZE], expected[128];
  const char *dp[] = {"democratie-participative"}, *mob_voirie[] = {"mobilite", "voirie"};
  struct request_new n = req("31001", "Chemin de la Côte", "Chemin raviné.");
  file_ok(agassac, &g.coord, &n);
  n = (struct request_new){"31069", "Budget participatif", "Démarche de démocratie locale.", dp, 1, NULL, -1, NULL};
  file_ok(blagnac, &g.coord, &n);
  n = req("31555", "Éclairage public", "Remplacement des lampadaires.");
  file_ok(toulouse, &g.coord, &n);
  n = (struct request_new){"243100518", "Schéma cyclable", "Pistes cyclables.", mob_voirie, 2, NULL, -1, NULL};
  file_ok(metro, &g.coord, &n);
  n = req("31395", "Pont du Barry", "Fissures sur le pont.");
  file_ok(muret, &g.coord, &n);
  assert_int_equal(db_exec(g.db, "UPDATE request SET status = 'closed' WHERE collectivity = '31395'"), 0);

  /* Items: newest first, with their fields. */
  json_t *items;
  char *next = (char *)1;
  struct request_filter all = {0};
  assert_int_equal(request_list(&items, &next, g.db, &g.coord, &all), 0);
  assert_null(next);
  assert_int_equal(json_array_size(items), 5);
  json_t *first = json_array_get(items, 0);
  assert_string_equal(str(first, "ref"), muret);
  assert_string_equal(str(first, "title"), "Pont du Barry");
  assert_string_equal(str(first, "status"), "closed");
  assert_string_equal(str(first, "status_label"), "Clôturée");
  assert_string_equal(str(json_object_get(first, "collectivity"), "code"), "31395");
  assert_string_equal(str(json_object_get(first, "collectivity"), "name"), "Muret");
  assert_int_equal(strlen(str(first, "filed_at")), 25);
  json_t *th = json_object_get(json_array_get(items, 1), "themes");
  assert_int_equal(json_array_size(th), 2);
  assert_string_equal(json_string_value(json_array_get(th, 0)), "mobilite");
  json_decref(items);

  struct request_filter f = {0};
  f.status = "closed";
  expect_list(&g.coord, &f, muret);
  f.status = "filed";
  snprintf(expected, sizeof expected, "%s,%s,%s,%s", metro, toulouse, blagnac, agassac);
  expect_list(&g.coord, &f, expected);
  f.status = "inconnu";
  expect_list(&g.coord, &f, "");
  f = (struct request_filter){0};
  f.theme = "voirie";
  snprintf(expected, sizeof expected, "%s,%s,%s,%s", muret, metro, toulouse, agassac);
  expect_list(&g.coord, &f, expected);
  f.theme = "democratie-participative";
  expect_list(&g.coord, &f, blagnac);
  f.theme = "tourisme";
  expect_list(&g.coord, &f, "");
  f = (struct request_filter){0};
  f.collectivity = "31555";
  expect_list(&g.coord, &f, toulouse);
  f.collectivity = "243100518";
  expect_list(&g.coord, &f, metro);
  /* EPCI: its member communes' requests and its own. */
  f = (struct request_filter){0};
  f.epci = "243100518";
  snprintf(expected, sizeof expected, "%s,%s,%s", metro, toulouse, blagnac);
  expect_list(&g.coord, &f, expected);
  /* Filters combine. */
  f.theme = "voirie";
  snprintf(expected, sizeof expected, "%s,%s", metro, toulouse);
  expect_list(&g.coord, &f, expected);
  f.status = "closed";
  expect_list(&g.coord, &f, "");
  /* And apply within what the actor may see. */
  f = (struct request_filter){0};
  f.epci = "243100518";
  expect_list(&g.maire, &f, "");
  expect_list(&g.toulouse, &f, toulouse);
}

static void search(void **state) {
  (void)state;
  char a[REQUEST_REF_SIZE], b[REQUEST_REF_SIZE], c[REQUEST_REF_SIZE], ab[64], ca[64];
  struct request_new n = req("31001", "Démarche de démocratie participative", "Budget participatif des quartiers.");
  file_ok(a, &g.coord, &n);
  n = req("31001", "Voirie communale", "Réfection de la chaussée.");
  file_ok(b, &g.coord, &n);
  n = req("31001", "Concertation sur la voirie", "Démocratie locale : réunion publique, or le budget manque.");
  file_ok(c, &g.coord, &n);
  snprintf(ca, sizeof ca, "%s,%s", c, a);
  snprintf(ab, sizeof ab, "%s,%s", b, a);
  struct request_filter f = {0};
  /* Accents and case do not matter. */
  static const char *const dem[] = {"democratie", "démocratie", "DÉMOCRATIE", "Democratie", "  democratie  ",
                                     "de\xcc\x81mocratie" /* decomposed é (NFD) */};
  for (size_t i = 0; i < sizeof dem / sizeof dem[0]; i++) {
    f.q = dem[i];
    expect_list(&g.coord, &f, ca);
  }
  f.q = "chaussee";
  expect_list(&g.coord, &f, b);
  /* Every word must be found, in the title or the description. */
  f.q = "democratie voirie";
  expect_list(&g.coord, &f, c);
  f.q = "budget participatif";
  expect_list(&g.coord, &f, a);
  f.q = "budget";
  expect_list(&g.coord, &f, ca);
  f.q = "piscine";
  expect_list(&g.coord, &f, "");
  /* FTS5 syntax is plain words: OR, NOT, NEAR, *, ^, column filters and
   * quotes neither fail nor act as operators. */
  f.q = "democratie OR voirie"; /* "or" is a word of c only */
  expect_list(&g.coord, &f, c);
  f.q = "voirie NOT democratie";
  expect_list(&g.coord, &f, "");
  f.q = "voirie AND democratie";
  expect_list(&g.coord, &f, "");
  f.q = "NEAR(democratie voirie)";
  expect_list(&g.coord, &f, "");
  f.q = "NEAR(democratie voirie, 10)";
  expect_list(&g.coord, &f, "");
  f.q = "democ*";
  expect_list(&g.coord, &f, "");
  f.q = "^voirie";
  snprintf(ab, sizeof ab, "%s,%s", c, b);
  expect_list(&g.coord, &f, ab);
  f.q = "title:voirie";
  expect_list(&g.coord, &f, "");
  f.q = "{title description}: voirie";
  expect_list(&g.coord, &f, "");
  f.q = "\"democratie";
  expect_list(&g.coord, &f, ca);
  f.q = "democratie\" OR \"voirie";
  expect_list(&g.coord, &f, c);
  f.q = "-voirie +chaussée (réfection)";
  expect_list(&g.coord, &f, b);
  f.q = "« démocratie » ; participative !";
  expect_list(&g.coord, &f, a);
  /* Search combines with filters and the permission rule. */
  f.q = "democratie";
  f.collectivity = "31555";
  expect_list(&g.coord, &f, "");
  f.collectivity = NULL;
  expect_list(&g.maire, &f, ca);
  expect_list(&g.toulouse, &f, "");
  /* Nothing to search for, or too much. */
  json_t *items = (json_t *)1;
  char *next = NULL;
  static const char *const empty[] = {"\"", "*", "\"\"", "()", "-", "\" * ^ : ( ) \""};
  for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
    f = (struct request_filter){.q = empty[i]};
    assert_refused(g.db, request_list(&items, &next, g.db, &g.coord, &f), ERR_INVALID, "q", "recherche");
    assert_null(items);
  }
  static char longq[300];
  memset(longq, 'a', 201);
  f.q = longq;
  assert_refused(g.db, request_list(&items, &next, g.db, &g.coord, &f), ERR_INVALID, "q", "200");
  f.q = "d\xe9mocratie";
  assert_refused(g.db, request_list(&items, &next, g.db, &g.coord, &f), ERR_INVALID, "q", "recherche");
  /* An empty search field is no search: the same list as without q. */
  struct request_filter none = {0};
  char *all = list_refs(&g.coord, &none, NULL);
  f = (struct request_filter){.q = ""};
  expect_list(&g.coord, &f, all);
  free(all);
}

/* Walks every page of `f` (page size `limit`) for `u`, filing `file_between`
 * new requests after the first page, and writes the refs seen in order. */
static int walk(const struct user *u, struct request_filter f, char refs[][REQUEST_REF_SIZE], int max,
                int file_between) {
  int n = 0, pages = 0;
  char *cursor = NULL;
  do {
    f.cursor = cursor;
    json_t *items;
    char *next = NULL;
    if (request_list(&items, &next, g.db, u, &f)) fail_msg("request_list: %s", err_msg());
    assert_true(json_array_size(items) <= (size_t)f.limit);
    if (next) assert_int_equal(json_array_size(items), f.limit); /* only full pages before the last */
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
      assert_true(n < max);
      snprintf(refs[n++], REQUEST_REF_SIZE, "%s", str(it, "ref"));
    }
    json_decref(items);
    free(cursor);
    cursor = next;
    if (pages++ == 0)
      for (int k = 0; k < file_between; k++) {
        struct request_new r = req("31395", "Déposée pendant la lecture", "Entre deux pages.");
        file_ok(NULL, &g.coord, &r);
      }
    assert_true(pages < 1000);
  } while (cursor);
  return n;
}

static void pagination_is_stable(void **state) {
  (void)state;
  char filed[7][REQUEST_REF_SIZE], seen[40][REQUEST_REF_SIZE];
  for (int i = 0; i < 7; i++) {
    struct request_new n = req(i % 2 ? "31001" : "31395", "Demande", "Pour la pagination.");
    file_ok(filed[i], &g.coord, &n);
  }
  /* Pages of 3: 3 + 3 + 1, newest first, each request once. */
  struct request_filter f = {.limit = 3};
  int n = walk(&g.coord, f, seen, 40, 0);
  assert_int_equal(n, 7);
  for (int i = 0; i < 7; i++) assert_string_equal(seen[i], filed[6 - i]);
  /* A page size equal to the total: one page, no cursor. */
  f.limit = 7;
  assert_int_equal(walk(&g.coord, f, seen, 40, 0), 7);
  /* New requests filed between pages: the walk still gives every request
   * that existed when it started exactly once, in order, and nothing twice. */
  f.limit = 2;
  n = walk(&g.coord, f, seen, 40, 3);
  assert_int_equal(n, 7);
  for (int i = 0; i < 7; i++) assert_string_equal(seen[i], filed[6 - i]);
  /* A new walk sees the 3 new ones first. */
  n = walk(&g.coord, f, seen, 40, 0);
  assert_int_equal(n, 10);
  assert_string_equal(seen[3], filed[6]);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) assert_string_not_equal(seen[i], seen[j]);
  /* Pagination within a filter and a requester's view. */
  f.limit = 1;
  f.collectivity = "31001";
  assert_int_equal(walk(&g.coord, f, seen, 40, 0), 3);
  f.collectivity = NULL;
  assert_int_equal(walk(&g.maire, f, seen, 40, 0), 3);
  assert_string_equal(seen[0], filed[5]);
  assert_string_equal(seen[2], filed[1]);
  f.q = "pagination";
  f.limit = 4;
  assert_int_equal(walk(&g.coord, f, seen, 40, 0), 7);
}

static void page_size_and_cursor_checks(void **state) {
  (void)state;
  /* 25 requests in one transaction, for the default page size. */
  assert_int_equal(db_begin(g.db), 0);
  for (int i = 0; i < 25; i++) {
    struct request_new n = req("31001", "Demande", "En nombre.");
    char ref[REQUEST_REF_SIZE];
    int64_t id;
    assert_int_equal(request_file_tx(ref, &id, g.db, &g.coord, &n, clock_now_ms()), 0);
  }
  assert_int_equal(db_commit(g.db), 0);
  json_t *items;
  char *next = NULL;
  struct request_filter f = {0};
  assert_int_equal(request_list(&items, &next, g.db, &g.coord, &f), 0); /* 0: 20 a page */
  assert_int_equal(json_array_size(items), 20);
  assert_non_null(next);
  json_decref(items);
  f.cursor = next;
  assert_int_equal(request_list(&items, &next, g.db, &g.coord, &f), 0);
  free((char *)f.cursor);
  assert_int_equal(json_array_size(items), 5);
  assert_null(next);
  json_decref(items);
  f = (struct request_filter){.limit = REQUEST_LIST_MAX};
  assert_int_equal(request_list(&items, &next, g.db, &g.coord, &f), 0);
  assert_int_equal(json_array_size(items), 25);
  json_decref(items);

  items = (json_t *)1;
  next = (char *)1;
  static const int bad_limits[] = {-1, REQUEST_LIST_MAX + 1, 100000};
  for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++) {
    f = (struct request_filter){.limit = bad_limits[i]};
    assert_refused(g.db, request_list(&items, &next, g.db, &g.coord, &f), ERR_INVALID, "limit", "200");
    assert_null(items);
    assert_null(next);
  }
  static const char *const bad_cursors[] = {"", "abc", "0", "-3", "12abc", "1.5", "0x10"};
  for (size_t i = 0; i < sizeof bad_cursors / sizeof bad_cursors[0]; i++) {
    f = (struct request_filter){.cursor = bad_cursors[i]};
    char needle[64];
    snprintf(needle, sizeof needle, "« %s »", bad_cursors[i]);
    assert_refused(g.db, request_list(&items, &next, g.db, &g.coord, &f), ERR_INVALID, "cursor", needle);
    assert_null(items);
  }
}

/* The label of request `ref` once its status is `status`, in show and list. */
static void expect_label(const char *ref, int64_t id, const char *status, const char *label) {
  char sql[200];
  snprintf(sql, sizeof sql, "UPDATE request SET status = '%s' WHERE id = %lld", status, (long long)id);
  assert_int_equal(db_exec(g.db, sql), 0);
  json_t *o, *items;
  char *next;
  assert_int_equal(request_show(&o, g.db, &g.coord, ref, 0), 0);
  assert_string_equal(str(o, "status"), status);
  assert_string_equal(str(o, "status_label"), label);
  json_decref(o);
  struct request_filter f = {.status = status};
  assert_int_equal(request_list(&items, &next, g.db, &g.coord, &f), 0);
  assert_string_equal(str(json_array_get(items, 0), "status_label"), label);
  json_decref(items);
  free(next);
}

static void status_labels(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  struct request_new n = req("31001", "Statuts", "Libellés des statuts.");
  int64_t id = file_ok(ref, &g.coord, &n);
  expect_label(ref, id, "filed", "Déposée");
  expect_label(ref, id, "closed", "Clôturée");
  expect_label(ref, id, "waiting", "En attente de la collectivité");
  /* A status set by a process is already a French label. */
  expect_label(ref, id, "En instruction", "En instruction");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(file_gives_sequential_references),
      T(filing_and_journal_are_one_transaction),
      T(references_follow_the_paris_year),
      T(desired_date_is_checked_against_paris_today),
      T(bad_requests_are_refused),
      T(show_contents_and_permission),
      T(list_items_and_filters),
      T(search),
      T(pagination_is_stable),
      T(page_size_and_cursor_checks),
      T(status_labels),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
