/* Tests of web/page_catalog.c: the public catalogue by theme, one offer,
 * « Suis-je éligible ? » (the matching gates told in words, an unknown
 * commune refused with its value kept), the link to ask per role, and the
 * JSON view model, over real HTTP against the demo platform. */
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

static int setup(void **state) {
  (void)state;
  wc_start(&E);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wc_stop(&E);
  return 0;
}

static void catalogue_by_theme_for_visitors(void **state) {
  (void)state;
  struct wc_reply r;
  wc_get(&r, &E, NULL, "/catalogue");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<h1>Catalogue des offres d&#39;appui</h1>");
  wc_assert_has(&r, "<h3 id=\"theme-voirie\">Voirie</h3>");
  wc_assert_has(&r, "Assistance technique en voirie communale");
  wc_assert_has(&r, "Haute-Garonne Ingénierie – ATD 31"); /* who gives it */
  wc_assert_has(&r, "communes et intercommunalités (EPCI)"); /* for whom */
  wc_assert_has(&r, "réservé aux adhérents");
  /* How to ask: visitors go through the login page, then to the form. */
  wc_assert_has(&r, "href=\"/connexion?suite&#61;%2Fdemandes%2Fnouvelle%3Foffer%3Datd-voirie\"");
  wc_assert_has(&r, "Code INSEE de la commune");
  wc_assert_lacks(&r, "<script>");
  wc_done(&r);
  /* Filtered by theme: only that theme's group. */
  wc_get(&r, &E, NULL, "/catalogue?theme=energie");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<h3 id=\"theme-energie\">");
  wc_assert_lacks(&r, "<h3 id=\"theme-voirie\">");
  wc_assert_has(&r, "<option value=\"energie\" selected>");
  wc_done(&r);
  wc_get(&r, &E, NULL, "/catalogue?theme=%3Cscript%3E");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "&lt;script&gt;");
  wc_assert_lacks(&r, "<script>");
  wc_done(&r);
}

static void how_to_ask_depends_on_the_role(void **state) {
  (void)state;
  struct wc_session s;
  struct wc_reply r;
  wc_login(&s, &E, "maire@agassac.example");
  wc_get(&r, &E, &s, "/catalogue/atd-voirie");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<h1>Assistance technique en voirie communale</h1>");
  wc_assert_has(&r, "href=\"/demandes/nouvelle?offer&#61;atd-voirie\"");
  wc_assert_has(&r, "population &lt; 3500");
  wc_done(&r);
  /* An agent does not file requests: no link. */
  wc_login(&s, &E, "agent.atd31@appui.example");
  wc_get(&r, &E, &s, "/catalogue/atd-voirie");
  assert_int_equal(r.status, 200);
  wc_assert_lacks(&r, "/demandes/nouvelle?offer");
  wc_done(&r);
  wc_get(&r, &E, NULL, "/catalogue/offre-inconnue");
  assert_int_equal(r.status, 404);
  wc_done(&r);
}

static void am_i_eligible(void **state) {
  (void)state;
  struct wc_reply r;
  /* Agassac (31001, 200 inhabitants, member of the ATD): eligible to the ATD's voirie offer. */
  wc_get(&r, &E, NULL, "/catalogue?commune=31001&theme=voirie");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "Résultat pour Agassac (31001)");
  const char *atd = strstr(r.body, "<a href=\"/catalogue/atd-voirie\">Assistance");
  assert_non_null(atd);
  assert_non_null(strstr(atd, "Éligible</span>"));
  assert_true(strstr(atd, "Éligible</span>") < strstr(atd, "</tr>"));
  wc_done(&r);
  /* Toulouse (31555) is too large and not a member: not eligible, and why. */
  wc_get(&r, &E, NULL, "/catalogue?commune=31555&theme=voirie");
  assert_int_equal(r.status, 200);
  atd = strstr(r.body, "<a href=\"/catalogue/atd-voirie\">Assistance");
  assert_non_null(atd);
  const char *end = strstr(atd, "</tr>");
  const char *no = strstr(atd, "Non éligible</span>");
  assert_true(no && no < end);
  wc_done(&r);
  /* JSON view model: the same answer as data. */
  wc_get_json(&r, &E, NULL, "/catalogue?commune=31555&theme=voirie");
  assert_int_equal(r.status, 200);
  json_t *el = json_object_get(r.json, "eligibility");
  assert_non_null(el);
  assert_string_equal(json_string_value(json_object_get(json_object_get(el, "collectivity"), "code")), "31555");
  int found = 0;
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(el, "not_eligible"), i, o) {
    if (!strcmp(json_string_value(json_object_get(json_object_get(o, "offer"), "slug")), "atd-voirie")) {
      found = 1;
      assert_true(strlen(json_string_value(json_array_get(json_object_get(o, "reasons"), 0))) > 5);
    }
  }
  assert_true(found);
  assert_true(json_array_size(json_object_get(r.json, "groups")) == 1);
  wc_done(&r);
  /* Unknown commune: 422, a clear message, the value kept. */
  wc_get(&r, &E, NULL, "/catalogue?commune=31999&theme=voirie");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "role=\"alert\"");
  wc_assert_has(&r, "Commune inconnue : « 31999 »");
  wc_assert_has(&r, "name=\"commune\" value=\"31999\"");
  wc_assert_has(&r, "aria-invalid=\"true\"");
  wc_done(&r);
  wc_get(&r, &E, NULL, "/catalogue?commune=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"");
  wc_assert_lacks(&r, "<script>alert");
  wc_done(&r);
  /* By its name; homonyms are listed to choose from. */
  wc_get(&r, &E, NULL, "/catalogue?commune=toulouse&theme=voirie");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "Résultat pour Toulouse (31555)");
  wc_done(&r);
  wc_get(&r, &E, NULL, "/catalogue?commune=Auterive");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "Plusieurs collectivités portent ce nom : Auterive (");
  wc_assert_has(&r, "value=\"Auterive\"");
  wc_done(&r);
  wc_get(&r, &E, NULL, "/catalogue?commune=");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "Indiquez le code INSEE");
  wc_done(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(catalogue_by_theme_for_visitors),
      cmocka_unit_test(how_to_ask_depends_on_the_role),
      cmocka_unit_test(am_i_eligible),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
