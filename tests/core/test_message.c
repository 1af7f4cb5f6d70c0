/* Tests of core/message.c: public messages and internal notes on a request,
 * who may write and read which, the message.posted event, and every refusal
 * (empty or too long body, unknown visibility, unknown request, another
 * collectivity's request) leaving the base unchanged.
 *
 * The group setup builds one base (Haute-Garonne, two orgs, accounts, one
 * request of Agassac with a part for ATD 31); each test works on a copy. */
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
#include "message.h"
#include "request.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

static struct {
  char template_dir[256], dir[256];
  struct db *template, *db;
  struct user admin, maire, toulouse, agent, caue, coord;
  char ref[REQUEST_REF_SIZE];
  int64_t request;
} g;

static int group_setup(void **state) {
  (void)state;
  struct db *db = g.template = fixture_db(g.template_dir);
  fixture_territory(db);
  user_system(&g.admin, "test");
  int64_t atd31, caue31, id;
  struct catalog_org_new o = {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1};
  if (catalog_org_add(&atd31, db, &g.admin, &o)) return -1;
  o.slug = "caue31";
  o.name = "CAUE 31";
  if (catalog_org_add(&caue31, db, &g.admin, &o)) return -1;
  struct user_new users[] = {
      {"maire@agassac.example", "Maire d'Agassac", "requester", "31001", NULL, NULL},
      {"mairie@toulouse.example", "Mairie de Toulouse", "requester", "31555", NULL, NULL},
      {"agent@atd31.example", "Agent ATD", "agent", NULL, "atd31", NULL},
      {"chef@caue31.example", "Chef CAUE", "head", NULL, "caue31", NULL},
      {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
    if (user_add(&id, db, &g.admin, &users[i])) return -1;
  if (user_get_by_email(&g.maire, db, "maire@agassac.example") ||
      user_get_by_email(&g.toulouse, db, "mairie@toulouse.example") ||
      user_get_by_email(&g.agent, db, "agent@atd31.example") || user_get_by_email(&g.caue, db, "chef@caue31.example") ||
      user_get_by_email(&g.coord, db, "coordination@appui.example"))
    return -1;
  const char *themes[] = {"voirie"};
  struct request_new n = {NULL, "Réfection du chemin", "Chemin raviné par les orages.", themes, 1, NULL, -1, NULL};
  if (request_file(g.ref, &g.request, db, &g.maire, &n)) return -1;
  char sql[256];
  snprintf(sql, sizeof sql,
           "INSERT INTO part (request, org, role, state, created_at, updated_at) VALUES (%lld, %lld, 'lead', "
           "'accepted', 0, 0)",
           (long long)g.request, (long long)atd31);
  return db_exec(db, sql) ? -1 : 0;
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

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The bodies of the messages `u` sees on the request, '|'-separated. */
static void expect_thread(const struct user *u, const char *expected) {
  json_t *o, *m;
  char got[1024] = "";
  assert_int_equal(request_show(&o, g.db, u, g.ref, 0), 0);
  size_t i;
  json_array_foreach(json_object_get(o, "messages"), i, m) {
    if (i) strcat(got, "|");
    strncat(got, str(m, "body"), 100);
  }
  json_decref(o);
  if (strcmp(got, expected) != 0) fail_msg("%s voit « %s », attendu « %s »", u->email, got, expected);
}

static void public_message(void **state) {
  (void)state;
  int64_t id = 0;
  assert_int_equal(db_exec(g.db, "UPDATE request SET updated_at = 0"), 0);
  assert_int_equal(message_post(&id, g.db, &g.maire, g.ref, NULL, "Bonjour, voici les photos promises."), 0);
  assert_true(id > 0);
  char sql[320];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM message WHERE id = %lld AND request = %lld AND author = %lld "
           "AND visibility = 'public' AND body = 'Bonjour, voici les photos promises.'",
           (long long)id, (long long)g.request, (long long)g.maire.id);
  assert_int_equal(fixture_int(g.db, sql), 1);
  /* The request is touched. */
  assert_true(fixture_int(g.db, "SELECT updated_at FROM request") > 1700000000000LL);
  /* One event, on the request, without the text itself. */
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'message.posted' AND request = %lld AND actor_user = %lld "
           "AND json_extract(data, '$.message') = %lld AND json_extract(data, '$.visibility') = 'public' "
           "AND json_extract(data, '$.length') = 35",
           (long long)g.request, (long long)g.maire.id, (long long)id);
  assert_int_equal(fixture_int(g.db, sql), 1);
  assert_int_equal(fixture_int(g.db, "SELECT count(*) FROM event WHERE type = 'message.posted'"), 1);
  /* Services answer publicly; everyone who may read sees the thread in order. */
  assert_int_equal(message_post(NULL, g.db, &g.agent, g.ref, "public", "Merci, bien reçues."), 0);
  assert_int_equal(message_post(NULL, g.db, &g.coord, g.ref, "public", "Dossier complet."), 0);
  const char *all = "Bonjour, voici les photos promises.|Merci, bien reçues.|Dossier complet.";
  expect_thread(&g.maire, all);
  expect_thread(&g.agent, all);
  expect_thread(&g.coord, all);
  /* Authors. */
  json_t *list;
  json_t *shown;
  assert_int_equal(request_show(&shown, g.db, &g.coord, g.ref, 0), 0);
  list = json_incref(json_object_get(shown, "messages"));
  json_decref(shown);
  json_t *first = json_array_get(list, 0);
  assert_string_equal(str(json_object_get(first, "author"), "email"), "maire@agassac.example");
  assert_string_equal(str(first, "visibility"), "public");
  assert_int_equal(strlen(str(first, "at")), 25);
  json_decref(list);
}

static void internal_notes(void **state) {
  (void)state;
  assert_int_equal(message_post(NULL, g.db, &g.maire, g.ref, "public", "Question du maire."), 0);
  assert_int_equal(message_post(NULL, g.db, &g.agent, g.ref, "internal", "Note : relancer le bureau d'études."), 0);
  assert_int_equal(message_post(NULL, g.db, &g.coord, g.ref, "internal", "Vu en réunion de coordination."), 0);
  assert_int_equal(message_post(NULL, g.db, &g.agent, g.ref, "public", "Réponse publique."), 0);
  /* The requester sees neither the notes nor their events. */
  expect_thread(&g.maire, "Question du maire.|Réponse publique.");
  expect_thread(&g.agent, "Question du maire.|Note : relancer le bureau d'études.|Vu en réunion de coordination."
                          "|Réponse publique.");
  expect_thread(&g.coord, "Question du maire.|Note : relancer le bureau d'études.|Vu en réunion de coordination."
                          "|Réponse publique.");
  json_t *o, *ev;
  size_t i;
  int posted = 0;
  assert_int_equal(request_show(&o, g.db, &g.maire, g.ref, REQUEST_WITH_EVENTS), 0);
  json_array_foreach(json_object_get(o, "events"), i, ev) {
    if (strcmp(str(ev, "type"), "message.posted") != 0) continue;
    posted++;
    assert_string_equal(str(json_object_get(ev, "data"), "visibility"), "public");
  }
  json_decref(o);
  assert_int_equal(posted, 2);
  posted = 0;
  assert_int_equal(request_show(&o, g.db, &g.agent, g.ref, REQUEST_WITH_EVENTS), 0);
  json_array_foreach(json_object_get(o, "events"), i, ev) posted += strcmp(str(ev, "type"), "message.posted") == 0;
  json_decref(o);
  assert_int_equal(posted, 4);
  /* Requesters may not write notes, even on their own request. */
  assert_refused(g.db, message_post(NULL, g.db, &g.maire, g.ref, "internal", "Note du maire"), ERR_FORBIDDEN, NULL,
                 "notes internes");
}

static void platform_messages(void **state) {
  (void)state;
  int64_t id;
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(message_post_tx(&id, g.db, &g.admin, g.request, "public", "Demande bien reçue.", clock_now_ms()), 0);
  assert_int_equal(db_commit(g.db), 0);
  json_t *list;
  json_t *shown;
  assert_int_equal(request_show(&shown, g.db, &g.maire, g.ref, 0), 0);
  list = json_incref(json_object_get(shown, "messages"));
  json_decref(shown);
  assert_int_equal(json_array_size(list), 1);
  json_t *author = json_object_get(json_array_get(list, 0), "author");
  assert_string_equal(str(author, "name"), "Plateforme");
  assert_null(json_object_get(author, "email"));
  json_decref(list);
}

static void refusals(void **state) {
  (void)state;
  int64_t id = 0;
  static char too_long[2 * (MESSAGE_BODY_MAX + 1) + 1];
  for (int i = 0; i < MESSAGE_BODY_MAX + 1; i++) memcpy(too_long + 2 * i, "é", 2);
  assert_int_equal(message_post(NULL, g.db, &g.maire, g.ref, NULL, "Premier message."), 0);
  /* Body. */
  assert_refused(g.db, message_post(&id, g.db, &g.maire, g.ref, NULL, ""), ERR_INVALID, "body", "message");
  assert_refused(g.db, message_post(&id, g.db, &g.maire, g.ref, NULL, " \n\t "), ERR_INVALID, "body", "vide");
  assert_refused(g.db, message_post(&id, g.db, &g.maire, g.ref, NULL, NULL), ERR_INVALID, "body", "obligatoire");
  assert_refused(g.db, message_post(&id, g.db, &g.maire, g.ref, NULL, too_long), ERR_INVALID, "body",
                 "10001 caractères, 10000 au plus");
  assert_refused(g.db, message_post(&id, g.db, &g.maire, g.ref, NULL, "\xff\xfe"), ERR_INVALID, "body", "UTF-8");
  /* Visibility. */
  assert_refused(g.db, message_post(&id, g.db, &g.agent, g.ref, "secret", "Texte"), ERR_INVALID, "visibility",
                 "secret");
  assert_refused(g.db, message_post(&id, g.db, &g.agent, g.ref, "PUBLIC", "Texte"), ERR_INVALID, "visibility", NULL);
  /* Request: unknown, another collectivity's, not given to the org. */
  assert_refused(g.db, message_post(&id, g.db, &g.maire, "2020-999999", NULL, "Texte"), ERR_NOTFOUND, "ref",
                 "2020-999999");
  assert_refused(g.db, message_post(&id, g.db, &g.toulouse, g.ref, NULL, "Texte"), ERR_FORBIDDEN, NULL, g.ref);
  assert_refused(g.db, message_post(&id, g.db, &g.toulouse, g.ref, "internal", "Texte"), ERR_FORBIDDEN, NULL, NULL);
  assert_refused(g.db, message_post(&id, g.db, &g.caue, g.ref, NULL, "Texte"), ERR_FORBIDDEN, NULL, g.ref);
  assert_refused(g.db, message_post(&id, g.db, &g.caue, g.ref, "internal", "Texte"), ERR_FORBIDDEN, NULL, g.ref);
  assert_int_equal(id, 0);
  /* At the limit, accepted. */
  too_long[2 * MESSAGE_BODY_MAX] = 0;
  assert_int_equal(message_post(&id, g.db, &g.maire, g.ref, NULL, too_long), 0);
  assert_true(id > 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(public_message),
      T(internal_notes),
      T(platform_messages),
      T(refusals),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
