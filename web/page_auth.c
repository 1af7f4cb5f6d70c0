/* page_auth — the home page, login and logout (see page_auth.h). */
#include "page_auth.h"
#include "clock.h"
#include "err.h"
#include "form.h"
#include "page.h"
#include "request.h"
#include "session.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cookie of the login form's CSRF token (double submit: before login there
 * is no session to hold it). */
#define PRE_COOKIE "appui_pre"

/* `suite` when it is a path of this site (not the login pages), else NULL. */
static const char *safe_next(const char *suite) {
  if (!page_local_path(suite) || strlen(suite) > 200) return NULL;
  if (strncmp(suite, "/connexion", 10) == 0 || strncmp(suite, "/deconnexion", 12) == 0) return NULL;
  return suite;
}

/* Renders the login form with a fresh login CSRF token (also set as a
 * cookie). */
static int login_form(struct http_resp *resp, struct http_req *req, int status, json_t *view) {
  unsigned char raw[32];
  char pre[65];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(pre, sizeof pre, raw, sizeof raw);
  page_cookie(resp, req, 1, PRE_COOKIE, pre, 3600);
  json_object_set_new(view, "title", json_string("Connexion"));
  json_object_set_new(view, "pre", json_string(pre));
  return page_render(resp, req, status, "connexion", view);
}

int page_auth_login_form(struct http_req *req, struct http_resp *resp) {
  const char *suite = safe_next(http_query(req, "suite"));
  if (req->authenticated) return page_redirect(resp, req, suite ? suite : "/");
  json_t *v = json_object();
  if (suite) json_object_set_new(v, "suite", json_string(suite));
  const char *expired = http_query(req, "expiree");
  if (expired) json_object_set_new(v, "expired", json_true());
  return login_form(resp, req, 200, v);
}

int page_auth_login(struct http_req *req, struct http_resp *resp) {
  const char *email = form_get(req->form, "email"), *password = form_get(req->form, "password");
  const char *suite = safe_next(form_get(req->form, "suite"));
  const char *pre = http_cookie(req, PRE_COOKIE);
  json_t *v = json_object();
  if (email) json_object_set_new(v, "email", json_string(email));
  if (suite) json_object_set_new(v, "suite", json_string(suite));
  if (!pre || session_check_csrf(pre, form_get(req->form, "csrf"))) {
    json_object_set_new(v, "error", json_string("Le formulaire a expiré ou ne vient pas de ce site : saisissez à "
                                                "nouveau votre mot de passe puis validez."));
    return login_form(resp, req, 403, v);
  }
  if (!email || !email[0] || !password || !password[0]) {
    json_object_set_new(v, "error", json_string("Saisissez votre adresse électronique et votre mot de passe."));
    return login_form(resp, req, 422, v);
  }
  char token[SESSION_TOKEN_SIZE], csrf[SESSION_CSRF_SIZE];
  struct user who;
  char address[64];
  http_client_address(address, req);
  int64_t now = clock_now_ms();
  int rc = session_login(token, csrf, &who, req->db, email, password, address, now);
  if (rc == ERR_UNAUTH || rc == ERR_TOOMANY) {
    json_object_set_new(v, "error", json_string(err_msg()));
    return login_form(resp, req, http_status_of(rc), v);
  }
  if (rc) {
    json_decref(v);
    return rc;
  }
  json_decref(v);
  /* A new session replaces the one the browser had, if any. */
  if (req->session && (rc = session_logout(req->db, req->session, now))) return rc;
  page_cookie(resp, req, 0, PAGE_COOKIE, token, (long)(SESSION_MAX_MS / 1000));
  page_cookie(resp, req, 1, PRE_COOKIE, "", 0);
  return page_redirect(resp, req, suite ? suite : "/");
}

int page_auth_logout(struct http_req *req, struct http_resp *resp) {
  int rc = session_logout(req->db, req->session, clock_now_ms());
  if (rc) return rc;
  page_cookie(resp, req, 0, PAGE_COOKIE, "", 0);
  return page_redirect(resp, req, "/connexion");
}

int page_auth_home(struct http_req *req, struct http_resp *resp) {
  json_t *v = json_pack("{s:s}", "title", "Accueil");
  if (req->authenticated) {
    struct request_filter f = {0};
    f.limit = 10;
    json_t *items;
    char *next;
    int rc = request_list(&items, &next, req->db, &req->user, &f);
    if (rc) {
      json_decref(v);
      return rc;
    }
    free(next);
    if (json_array_size(items)) json_object_set_new(v, "has_requests", json_true());
    json_object_set_new(v, "requests", items);
  }
  return page_render(resp, req, 200, "accueil", v);
}
