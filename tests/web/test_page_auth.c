/* Tests of web/page.c, web/page_auth.c and the page side of web/server.c:
 * login, logout, sessions in cookies, CSRF, the login form's own token,
 * throttling, redirections, the error pages, the JSON view model and the
 * headers of pages, over real HTTP against the demo platform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "err.h"
#include "fixture.h"
#include "page.h"
#include "webclient.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wc_env E;

#define MAYOR "maire@agassac.example"
#define COORD "coordination@appui.example"

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

static int64_t sessions(void) { return fixture_int(E.db, "SELECT count(*) FROM session"); }

static void home_for_visitors_and_accounts(void **state) {
  (void)state;
  struct wc_reply r;
  char v[512];
  wc_get(&r, &E, NULL, "/");
  assert_int_equal(r.status, 200);
  assert_string_equal(wc_header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
  assert_non_null(strstr(wc_header(&r, "Content-Security-Policy", v, sizeof v), "frame-ancestors 'none'"));
  assert_string_equal(wc_header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
  assert_string_equal(wc_header(&r, "Referrer-Policy", v, sizeof v), "same-origin");
  wc_assert_has(&r, "<html lang=\"fr\">");
  wc_assert_has(&r, "href=\"/connexion\"");
  assert_null(strstr(r.body, "<script>")); /* no inline script (CSP) */
  assert_null(strstr(r.body, " style=\""));
  wc_done(&r);
  struct wc_session s;
  wc_login(&s, &E, MAYOR);
  wc_get(&r, &E, &s, "/");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "Mairie d&#39;Agassac"); /* escaped */
  wc_assert_has(&r, "href=\"/demandes/nouvelle\"");
  wc_assert_has(&r, "/demandes/2026-000034");
  wc_done(&r);
  /* The same handler gives the JSON view model. */
  wc_get_json(&r, &E, &s, "/");
  assert_int_equal(r.status, 200);
  assert_non_null(r.json);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "me"), "email")), MAYOR);
  assert_true(json_is_true(json_object_get(r.json, "is_requester")));
  assert_null(json_object_get(r.json, "is_coordinator"));
  assert_true(json_array_size(json_object_get(r.json, "requests")) > 0);
  wc_done(&r);
}

static void login_sets_a_safe_cookie_and_logout_ends_it(void **state) {
  (void)state;
  struct wc_session s;
  int64_t before = sessions();
  wc_login(&s, &E, COORD);
  assert_int_equal(sessions(), before + 1);
  assert_int_equal(strlen(s.cookie), 64);
  /* The store keeps only a digest. */
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM session WHERE hex(digest) = upper('%s')", s.cookie);
  assert_int_equal(fixture_int(E.db, sql), 0);
  /* Logout without the CSRF token is refused and changes nothing. */
  struct wc_reply r;
  wc_request(&r, &E, &s, "POST", "/deconnexion", NULL, "application/x-www-form-urlencoded", "", 0);
  assert_int_equal(r.status, 403);
  wc_assert_has(&r, "jeton de sécurité");
  wc_done(&r);
  wc_post_form(&r, &E, &s, "/deconnexion", "csrf=0000000000000000000000000000000000000000000000000000000000000000");
  assert_int_equal(r.status, 403);
  wc_done(&r);
  assert_int_equal(sessions(), before + 1);
  wc_post_form(&r, &E, &s, "/deconnexion", "");
  assert_int_equal(r.status, 303);
  char v[512];
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/connexion");
  assert_non_null(strstr(wc_header(&r, "Set-Cookie", v, sizeof v), "Max-Age=0"));
  wc_done(&r);
  assert_int_equal(sessions(), before);
  /* The old cookie no longer opens anything. */
  wc_get(&r, &E, &s, "/");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "href=\"/connexion\"");
  wc_done(&r);
}

static void cookie_flags(void **state) {
  (void)state;
  struct wc_reply r;
  char v[512];
  wc_get(&r, &E, NULL, "/connexion");
  assert_int_equal(r.status, 200);
  const char *c = wc_header(&r, "Set-Cookie", v, sizeof v);
  assert_non_null(c);
  assert_non_null(strstr(c, "HttpOnly"));
  assert_non_null(strstr(c, "SameSite=Lax"));
  assert_null(strstr(c, "Secure"));
  wc_done(&r);
  const char *tls[] = {"X-Forwarded-Proto: https", NULL};
  wc_request(&r, &E, NULL, "GET", "/connexion", tls, NULL, NULL, 0);
  assert_non_null(strstr(wc_header(&r, "Set-Cookie", v, sizeof v), "; Secure"));
  wc_done(&r);
}

/* POSTs the login form with a matching pre-token, returns the reply. */
static void try_login(struct wc_reply *r, const char *email, const char *password, const char *extra_fields) {
  char body[1024], line[128];
  char *em = wc_encode(email), *pw = wc_encode(password);
  snprintf(body, sizeof body, "csrf=%064d&email=%s&password=%s%s", 7, em, pw, extra_fields ? extra_fields : "");
  snprintf(line, sizeof line, "Cookie: appui_pre=%064d", 7);
  free(em);
  free(pw);
  const char *extra[] = {line, NULL};
  wc_request(r, &E, NULL, "POST", "/connexion", extra, "application/x-www-form-urlencoded", body, strlen(body));
}

static void bad_logins_are_refused_and_change_nothing(void **state) {
  (void)state;
  struct wc_reply r;
  int64_t before = sessions();
  /* Wrong password: the form again, e-mail kept, same message as unknown e-mail. */
  try_login(&r, "secretariat@muret.example", "pas-le-bon-mot-de-passe", NULL);
  assert_int_equal(r.status, 401);
  wc_assert_has(&r, "value=\"secretariat@muret.example\"");
  char *m1 = strstr(r.body, "notice error");
  assert_non_null(m1);
  char wrong[256];
  snprintf(wrong, sizeof wrong, "%.200s", m1);
  wc_done(&r);
  try_login(&r, "personne@nulle-part.example", "pas-le-bon-mot-de-passe", NULL);
  assert_int_equal(r.status, 401);
  assert_non_null(strstr(r.body, wrong));
  wc_done(&r);
  /* No login CSRF token, or one not matching the cookie. */
  char body[512];
  char *pw = wc_encode(wc_password(&E, MAYOR));
  snprintf(body, sizeof body, "email=%s&password=%s", MAYOR, pw);
  wc_request(&r, &E, NULL, "POST", "/connexion", NULL, "application/x-www-form-urlencoded", body, strlen(body));
  assert_int_equal(r.status, 403);
  wc_assert_has(&r, "Le formulaire a expiré");
  wc_done(&r);
  const char *other[] = {"Cookie: appui_pre=abc", NULL};
  snprintf(body, sizeof body, "csrf=abd&email=%s&password=%s", MAYOR, pw);
  wc_request(&r, &E, NULL, "POST", "/connexion", other, "application/x-www-form-urlencoded", body, strlen(body));
  assert_int_equal(r.status, 403);
  wc_done(&r);
  free(pw);
  /* Not a form. */
  wc_request(&r, &E, NULL, "POST", "/connexion", NULL, "application/json", "{}", 2);
  assert_int_equal(r.status, 415);
  wc_done(&r);
  assert_int_equal(sessions(), before);
  /* Never a redirection to another site. */
  try_login(&r, MAYOR, wc_password(&E, MAYOR), "&suite=%2F%2Fexemple.org%2F");
  assert_int_equal(r.status, 303);
  char v[256];
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/");
  wc_done(&r);
  try_login(&r, MAYOR, wc_password(&E, MAYOR), "&suite=%2Fdemandes");
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/demandes");
  wc_done(&r);
}

static void throttling_locks_the_account(void **state) {
  (void)state;
  struct wc_reply r;
  for (int i = 0; i < 5; i++) {
    try_login(&r, "dgs@sicoval.example", "mauvais-mot-de-passe", NULL);
    assert_int_equal(r.status, 401);
    wc_done(&r);
  }
  int64_t before = sessions();
  /* Even the right password waits now. */
  try_login(&r, "dgs@sicoval.example", wc_password(&E, "dgs@sicoval.example"), NULL);
  assert_int_equal(r.status, 429);
  wc_assert_has(&r, "value=\"dgs@sicoval.example\"");
  wc_done(&r);
  assert_int_equal(sessions(), before);
}

static void signed_in_pages_redirect_to_login(void **state) {
  (void)state;
  struct wc_reply r;
  char v[512];
  /* No session: the login page, then back here. */
  wc_request(&r, &E, NULL, "POST", "/deconnexion", NULL, "application/x-www-form-urlencoded", "", 0);
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/connexion");
  wc_done(&r);
  /* An expired or forged cookie: told so, and the cookie is cleared. */
  struct wc_session forged = {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""};
  wc_request(&r, &E, &forged, "POST", "/deconnexion", NULL, "application/x-www-form-urlencoded", "", 0);
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/connexion?expiree=1");
  assert_non_null(strstr(wc_header(&r, "Set-Cookie", v, sizeof v), "Max-Age=0"));
  wc_done(&r);
  wc_get(&r, &E, NULL, "/connexion?expiree=1");
  wc_assert_has(&r, "Votre session a expiré");
  wc_done(&r);
  /* A JSON client gets the JSON error. */
  const char *json[] = {"Accept: application/json", NULL};
  wc_request(&r, &E, &forged, "POST", "/deconnexion", json, "application/x-www-form-urlencoded", "", 0);
  assert_int_equal(r.status, 401);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "error"), "code")), "unauthenticated");
  wc_done(&r);
}

static void unknown_pages_are_french_404(void **state) {
  (void)state;
  struct wc_reply r;
  wc_get(&r, &E, NULL, "/pas-une-page");
  assert_int_equal(r.status, 404);
  wc_assert_has(&r, "Page introuvable");
  wc_assert_has(&r, "<html lang=\"fr\">");
  wc_done(&r);
  /* The address is shown as text, never as markup. */
  wc_get(&r, &E, NULL, "/%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  assert_int_equal(r.status, 404);
  assert_null(strstr(r.body, "<script>alert"));
  wc_assert_has(&r, "&lt;script&gt;");
  wc_done(&r);
}

static void write_text(const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* `serve --assets DIR`: templates read from disk at each request, the
 * others from the program; a broken one is a French 500 naming it. */
static void development_templates(void **state) {
  (void)state;
  char dir[256];
  struct wc_reply r;
  fixture_dir(dir);
  err_clear();
  assert_int_equal(page_set_dir("/nulle/part"), ERR_IO);
  assert_non_null(strstr(err_msg(), "/nulle/part"));
  write_text(dir, "erreur.mustache", "{{>haut}}<h1>Modifié : {{title}}</h1><p>{{message}}</p>{{>bas}}");
  assert_int_equal(page_set_dir(dir), 0);
  wc_get(&r, &E, NULL, "/pas-une-page");
  assert_int_equal(r.status, 404);
  wc_assert_has(&r, "<h1>Modifié : Page introuvable</h1>");
  wc_done(&r);
  wc_get(&r, &E, NULL, "/");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<h1>Accueil</h1>");
  wc_done(&r);
  write_text(dir, "accueil.mustache", "{{>haut}}\n{{#jamais fermé\n{{>bas}}");
  wc_get(&r, &E, NULL, "/");
  assert_int_equal(r.status, 500);
  wc_assert_has(&r, "gabarit de page « accueil »");
  wc_assert_has(&r, "<h1>Modifié : Erreur du serveur</h1>");
  wc_done(&r);
  assert_int_equal(page_set_dir(NULL), 0);
  wc_get(&r, &E, NULL, "/");
  assert_int_equal(r.status, 200);
  wc_assert_lacks(&r, "Modifié");
  wc_done(&r);
  fixture_rmdir(dir);
}

/* Line breaks in an address never reach a header. */
static void no_header_injection(void **state) {
  (void)state;
  struct wc_reply r;
  char v[512];
  wc_get(&r, &E, NULL, "/demandes%0D%0AX-Injecte:%201");
  assert_null(wc_header(&r, "X-Injecte", v, sizeof v));
  wc_done(&r);
  try_login(&r, MAYOR, wc_password(&E, MAYOR), "&suite=%2Fdemandes%0D%0AX-Injecte%3A+1");
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/");
  assert_null(wc_header(&r, "X-Injecte", v, sizeof v));
  wc_done(&r);
}

/* Forms the parser refuses: too many fields, a multipart body without its
 * boundary, a body that is not a form. Each a French error, nothing written. */
static void malformed_forms(void **state) {
  (void)state;
  struct wc_session s;
  wc_login(&s, &E, COORD);
  char before[65], after[65];
  wc_digest(&E, before);
  struct wc_reply r;
  size_t n = 300 * 8 + 100;
  char *body = malloc(n), *w = body;
  for (int i = 0; i < 300; i++) w += sprintf(w, "f%03d=x&", i);
  sprintf(w, "csrf=%s", s.csrf);
  wc_request(&r, &E, &s, "POST", "/deconnexion", NULL, "application/x-www-form-urlencoded", body, strlen(body));
  free(body);
  assert_int_equal(r.status, 413);
  wc_assert_has(&r, "256 champs au plus");
  wc_done(&r);
  const char *mp = "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--x--\r\n";
  wc_request(&r, &E, &s, "POST", "/deconnexion", NULL, "multipart/form-data", mp, strlen(mp));
  assert_int_equal(r.status, 400);
  wc_assert_has(&r, "formulaire illisible");
  wc_done(&r);
  wc_request(&r, &E, &s, "POST", "/deconnexion", NULL, "text/plain", "csrf=abc", 8);
  assert_int_equal(r.status, 415);
  wc_assert_has(&r, "application/x-www-form-urlencoded");
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(home_for_visitors_and_accounts),
      cmocka_unit_test(login_sets_a_safe_cookie_and_logout_ends_it),
      cmocka_unit_test(cookie_flags),
      cmocka_unit_test(bad_logins_are_refused_and_change_nothing),
      cmocka_unit_test(throttling_locks_the_account),
      cmocka_unit_test(signed_in_pages_redirect_to_login),
      cmocka_unit_test(unknown_pages_are_french_404),
      cmocka_unit_test(development_templates),
      cmocka_unit_test(no_header_injection),
      cmocka_unit_test(malformed_forms),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
