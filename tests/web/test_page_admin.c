/* Tests of web/page_admin.c: the administration pages (accounts and API
 * tokens, orgs, offers, process versions), over real HTTP against the demo
 * platform: who may see them, CSRF, bad input kept and refused without any
 * change, tokens shown once, BPMN publishing and diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "err.h"
#include "fixture.h"
#include "webclient.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wc_env E;
static struct wc_session S_ADMIN;

#define ADMIN "admin@appui.example"
#define WRONG_CSRF "0000000000000000000000000000000000000000000000000000000000000000"

static int setup(void **state) {
  (void)state;
  wc_start(&E);
  wc_login(&S_ADMIN, &E, ADMIN);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wc_stop(&E);
  return 0;
}

static int64_t count(const char *sql) { return fixture_int(E.db, sql); }

static const char *const pages[] = {"/admin", "/admin/utilisateurs", "/admin/structures", "/admin/offres",
                                    "/admin/processus", "/admin/processus/demande-appui/1",
                                    "/admin/processus/demande-appui/1.bpmn"};

static void only_admins_see_the_pages(void **state) {
  (void)state;
  struct wc_reply r;
  char v[256];
  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    wc_get(&r, &E, &S_ADMIN, pages[i]);
    if (r.status != 200) fail_msg("%s : %ld pour l'administration", pages[i], r.status);
    wc_done(&r);
    wc_get(&r, &E, NULL, pages[i]);
    assert_int_equal(r.status, 303);
    assert_non_null(strstr(wc_header(&r, "Location", v, sizeof v), "/connexion?suite="));
    wc_done(&r);
  }
  const char *others[] = {"coordination@appui.example", "chef.atd31@appui.example", "agent.atd31@appui.example",
                          "maire@agassac.example"};
  for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
    struct wc_session s;
    wc_login(&s, &E, others[k]);
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
      wc_get(&r, &E, &s, pages[i]);
      if (r.status != 403) fail_msg("%s : %ld pour %s", pages[i], r.status, others[k]);
      wc_assert_has(&r, "réservée aux administrateurs");
      wc_done(&r);
    }
    /* And their forms too, base unchanged. */
    char before[65], after[65];
    wc_digest(&E, before);
    wc_post_form(&r, &E, &s, "/admin/structures", "slug=pirate&name=Pirate&kind=partner");
    assert_int_equal(r.status, 403);
    wc_done(&r);
    wc_digest(&E, after);
    assert_string_equal(before, after);
  }
  /* Unknown versions and processes. */
  const char *missing[] = {"/admin/processus/demande-appui/99", "/admin/processus/nulle-part/1",
                           "/admin/processus/demande-appui/abc", "/admin/processus/demande-appui/1.xml"};
  for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
    wc_get(&r, &E, &S_ADMIN, missing[i]);
    if (r.status != 404) fail_msg("%s : %ld au lieu de 404", missing[i], r.status);
    wc_done(&r);
  }
}

static void every_post_needs_the_csrf_token(void **state) {
  (void)state;
  const char *posts[][2] = {
      {"/admin/utilisateurs", "email=x%40exemple.fr&name=X&role=coordinator&password=un-mot-de-passe-long"},
      {"/admin/utilisateurs/jeton", "email=admin%40appui.example"},
      {"/admin/structures", "slug=csrf-org&name=Org&kind=partner"},
      {"/admin/offres", "slug=csrf-offre&org=atd31&kind=conseil&title=T&themes=voirie"},
      {"/admin/processus", ""}};
  for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
    char before[65], after[65], body[512];
    struct wc_reply r;
    wc_digest(&E, before);
    struct wc_session none = S_ADMIN;
    none.csrf[0] = 0; /* no token added */
    wc_post_form(&r, &E, &none, posts[i][0], posts[i][1]);
    if (r.status != 403) fail_msg("%s sans jeton : %ld", posts[i][0], r.status);
    wc_done(&r);
    snprintf(body, sizeof body, "%s&csrf=%s", posts[i][1], WRONG_CSRF);
    wc_post_form(&r, &E, &none, posts[i][0], body);
    if (r.status != 403) fail_msg("%s jeton faux : %ld", posts[i][0], r.status);
    wc_done(&r);
    wc_digest(&E, after);
    assert_string_equal(before, after);
  }
}

static void accounts_created_or_refused_with_values_kept(void **state) {
  (void)state;
  struct wc_reply r;
  char before[65], after[65];
  int64_t users = count("SELECT count(*) FROM user");
  /* Bad input: short password, unknown org, taken e-mail; the password is never echoed. */
  const char *bad[][2] = {
      {"email=nouvel.agent%40atd31.example&name=Nouvel+agent&role=agent&org=atd31&password=court", "password"},
      {"email=nouvel.agent%40atd31.example&name=Nouvel+agent&role=agent&org=nulle-part&password=mot-de-passe-assez-long",
       "nulle-part"},
      {"email=admin%40appui.example&name=Double&role=admin&password=mot-de-passe-assez-long", "admin@appui.example"},
      {"email=pas-une-adresse&name=X&role=coordinator&password=mot-de-passe-assez-long", "pas-une-adresse"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    wc_digest(&E, before);
    wc_post_form(&r, &E, &S_ADMIN, "/admin/utilisateurs", bad[i][0]);
    if (r.status != 422 && r.status != 409) fail_msg("cas %zu : %ld", i, r.status);
    wc_assert_has(&r, "role=\"alert\"");
    wc_assert_has(&r, bad[i][1]);
    wc_assert_lacks(&r, "mot-de-passe-assez-long");
    wc_done(&r);
    wc_digest(&E, after);
    assert_string_equal(before, after);
  }
  /* A script in the name is shown as text. */
  wc_post_form(&r, &E, &S_ADMIN, "/admin/utilisateurs",
               "email=nouvel.agent%40atd31.example&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&role=agent&org=atd31"
               "&password=mot-de-passe-assez-long");
  assert_int_equal(r.status, 303);
  char v[256];
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/admin/utilisateurs?avis=compte");
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM user"), users + 1);
  wc_get(&r, &E, &S_ADMIN, "/admin/utilisateurs?avis=compte");
  wc_assert_has(&r, "Le compte a été créé.");
  wc_assert_has(&r, "&lt;script&gt;alert(1)&lt;/script&gt;");
  wc_assert_lacks(&r, "<script>alert");
  wc_done(&r);
  /* The new account logs in. */
  struct wc_session s;
  E.accounts[E.n_accounts].email[0] = 0;
  snprintf(E.accounts[E.n_accounts].email, sizeof E.accounts[0].email, "nouvel.agent@atd31.example");
  snprintf(E.accounts[E.n_accounts].password, sizeof E.accounts[0].password, "mot-de-passe-assez-long");
  E.n_accounts++;
  wc_login(&s, &E, "nouvel.agent@atd31.example");
  /* The JSON view model of the list shows no hash nor digest. */
  wc_get_json(&r, &E, &S_ADMIN, "/admin/utilisateurs");
  assert_int_equal(r.status, 200);
  assert_non_null(r.json);
  assert_true(json_array_size(json_object_get(r.json, "users")) >= 9);
  wc_assert_lacks(&r, "$argon2");
  wc_assert_lacks(&r, "password_hash");
  wc_assert_lacks(&r, "digest");
  wc_done(&r);
}

static void a_token_is_shown_once_and_works(void **state) {
  (void)state;
  struct wc_reply r;
  int64_t tokens = count("SELECT count(*) FROM api_token");
  wc_post_form(&r, &E, &S_ADMIN, "/admin/utilisateurs/jeton", "email=coordination%40appui.example&label=tableur");
  assert_int_equal(r.status, 200);
  char v[256];
  assert_string_equal(wc_header(&r, "Cache-Control", v, sizeof v), "no-store");
  const char *p = strstr(r.body, "id=\"jeton\" class=\"token\" value=\"");
  assert_non_null(p);
  p += strlen("id=\"jeton\" class=\"token\" value=\"");
  char token[128];
  snprintf(token, sizeof token, "%.*s", (int)strcspn(p, "\""), p);
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM api_token"), tokens + 1);
  char auth[256];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  const char *extra[] = {auth, NULL};
  wc_request(&r, &E, NULL, "GET", "/api/v1/me", extra, NULL, NULL, 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(r.json, "email")), "coordination@appui.example");
  wc_done(&r);
  /* Not kept anywhere a page shows. */
  wc_get(&r, &E, &S_ADMIN, "/admin/utilisateurs");
  wc_assert_lacks(&r, token);
  wc_done(&r);
  /* Unknown account: the form again, nothing created. */
  char before[65], after[65];
  wc_digest(&E, before);
  wc_post_form(&r, &E, &S_ADMIN, "/admin/utilisateurs/jeton", "email=personne%40nulle-part.example");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "personne@nulle-part.example");
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
}

static void orgs_and_offers(void **state) {
  (void)state;
  struct wc_reply r;
  char before[65], after[65];
  /* Bad org: duplicate slug, bad kind, bad capacity. */
  const char *bad_orgs[] = {"slug=atd31&name=Doublon&kind=satellite", "slug=nouvelle&name=Nouvelle&kind=planete",
                            "slug=nouvelle&name=Nouvelle&kind=partner&capacity=beaucoup"};
  for (size_t i = 0; i < sizeof bad_orgs / sizeof bad_orgs[0]; i++) {
    wc_digest(&E, before);
    wc_post_form(&r, &E, &S_ADMIN, "/admin/structures", bad_orgs[i]);
    if (r.status != 422 && r.status != 409) fail_msg("structure %zu : %ld", i, r.status);
    wc_assert_has(&r, "role=\"alert\"");
    wc_assert_has(&r, i ? "value=\"Nouvelle\"" : "value=\"Doublon\"");
    wc_done(&r);
    wc_digest(&E, after);
    assert_string_equal(before, after);
  }
  wc_post_form(&r, &E, &S_ADMIN, "/admin/structures", "slug=syndicat-eaux&name=Syndicat+des+eaux&kind=partner&capacity=5");
  wc_assert_lacks(&r, "role=\"alert\"");
  assert_int_equal(r.status, 303);
  wc_done(&r);
  assert_int_equal(count("SELECT capacity FROM org WHERE slug = 'syndicat-eaux'"), 5);
  /* Bad offer: an eligibility the core refuses, no theme; values kept. */
  const char *bad_offers[][2] = {
      {"slug=eaux-conseil&org=syndicat-eaux&kind=conseil&title=Conseil+eau&themes=eau-assainissement"
       "&eligibility=population+%3C%3C+3",
       "population &lt;&lt; 3"},
      {"slug=eaux-conseil&org=syndicat-eaux&kind=conseil&title=Conseil+eau", "value=\"Conseil eau\""},
  };
  for (size_t i = 0; i < sizeof bad_offers / sizeof bad_offers[0]; i++) {
    wc_digest(&E, before);
    wc_post_form(&r, &E, &S_ADMIN, "/admin/offres", bad_offers[i][0]);
    if (r.status != 422) fail_msg("offre %zu : %ld", i, r.status);
    wc_assert_has(&r, "role=\"alert\"");
    wc_assert_has(&r, bad_offers[i][1]);
    wc_done(&r);
    wc_digest(&E, after);
    assert_string_equal(before, after);
  }
  wc_post_form(&r, &E, &S_ADMIN, "/admin/offres",
               "slug=eaux-conseil&org=syndicat-eaux&kind=conseil&title=Conseil+eau&themes=eau-assainissement"
               "&perimeter=departement%3A31&eligibility=%3D+population+%3C+3500");
  assert_int_equal(r.status, 303);
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM offer WHERE slug = 'eaux-conseil' AND eligibility = '= population < 3500'"), 1);
  wc_get(&r, &E, NULL, "/catalogue/eaux-conseil");
  assert_int_equal(r.status, 200);
  wc_done(&r);
}

static void processes_published_diffed_and_drawn(void **state) {
  (void)state;
  struct wc_reply r;
  char v[256];
  wc_get(&r, &E, &S_ADMIN, "/admin/processus/demande-appui/1.bpmn");
  assert_int_equal(r.status, 200);
  assert_string_equal(wc_header(&r, "Content-Type", v, sizeof v), "application/xml");
  assert_non_null(strstr(r.body, "<bpmn:definitions") ? strstr(r.body, "<bpmn:definitions") : strstr(r.body, "definitions"));
  /* A new version: one task renamed. */
  char *xml = strdup(r.body);
  wc_done(&r);
  char *at = strstr(xml, "name=\"Qualifier la demande\"");
  assert_non_null(at);
  size_t n = strlen(xml) + 64;
  char *changed = malloc(n);
  snprintf(changed, n, "%.*sname=\"Qualifier la demande reçue\"%s", (int)(at - xml), xml,
           at + strlen("name=\"Qualifier la demande\""));
  int64_t versions = count("SELECT count(*) FROM process_version");
  /* Malformed first: refused with the validator's words, nothing published. */
  char before0[65], after0[65];
  wc_digest(&E, before0);
  struct wc_part bad[] = {{"fichier", "<definitions><process id=\"x\">", 0, "x.bpmn", "application/xml"}};
  wc_post_multipart(&r, &E, &S_ADMIN, "/admin/processus", bad, 1);
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "role=\"alert\"");
  wc_done(&r);
  wc_digest(&E, after0);
  assert_string_equal(before0, after0);
  struct wc_part none[] = {{"message", "rien", 0, NULL, NULL}};
  wc_post_multipart(&r, &E, &S_ADMIN, "/admin/processus", none, 1);
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "Aucun fichier choisi");
  wc_done(&r);
  struct wc_part good[] = {{"fichier", changed, 0, "demande-appui.bpmn", "application/xml"},
                           {"message", "Libellé de la qualification", 0, NULL, NULL}};
  wc_post_multipart(&r, &E, &S_ADMIN, "/admin/processus", good, 2);
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/admin/processus?avis=publie");
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM process_version"), versions + 1);
  /* The same file again publishes nothing. */
  wc_post_multipart(&r, &E, &S_ADMIN, "/admin/processus", good, 2);
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/admin/processus?avis=inchange");
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM process_version"), versions + 1);
  /* The version page: diagram and the change in words. */
  wc_get(&r, &E, &S_ADMIN, "/admin/processus/demande-appui/2");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "data-bpmn=\"/admin/processus/demande-appui/2.bpmn\"");
  wc_assert_has(&r, "/static/bpmn-viewer.js");
  wc_assert_has(&r, "/static/bpmn-js.css");
  wc_assert_has(&r, "Changements depuis la version 1");
  wc_assert_has(&r, "Modifié : qualifier");
  wc_done(&r);
  /* Migrating a request's instance: a check first, then for real; an
   * unknown request and another process's version are refused. */
  int64_t on_v1 = count("SELECT count(*) FROM instance i JOIN process_version v ON v.id = i.version "
                        "JOIN request r ON r.id = i.request WHERE r.ref = '2026-000034' AND v.version = 1");
  assert_int_equal(on_v1, 1);
  char before[65], after[65];
  wc_digest(&E, before);
  wc_post_form(&r, &E, &S_ADMIN, "/admin/processus/demande-appui/2/migrer", "ref=2026-000034&essai=1");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "Essai réussi");
  wc_done(&r);
  wc_post_form(&r, &E, &S_ADMIN, "/admin/processus/demande-appui/2/migrer", "ref=2099-999999");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "value=\"2099-999999\"");
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  wc_post_form(&r, &E, &S_ADMIN, "/admin/processus/demande-appui/2/migrer", "ref=2026-000034");
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/admin/processus/demande-appui/2?avis=migree");
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM instance i JOIN process_version v ON v.id = i.version "
                         "JOIN request r ON r.id = i.request WHERE r.ref = '2026-000034' AND v.version = 2"),
                   1);
  free(xml);
  free(changed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(only_admins_see_the_pages),
      cmocka_unit_test(every_post_needs_the_csrf_token),
      cmocka_unit_test(accounts_created_or_refused_with_values_kept),
      cmocka_unit_test(a_token_is_shown_once_and_works),
      cmocka_unit_test(orgs_and_offers),
      cmocka_unit_test(processes_published_diffed_and_drawn),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
