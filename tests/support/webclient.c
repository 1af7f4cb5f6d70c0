/* webclient — the demo platform served in the test process and a
 * browser-like HTTP client (see webclient.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "webclient.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "server.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef APPUI_BIN
#error "APPUI_BIN must name the appui program"
#endif

void wc_start(struct wc_env *e) {
  memset(e, 0, sizeof *e);
  fixture_dir(e->dir);
  static struct fixture_output o;
  const char *args[] = {"demo", NULL};
  int st = fixture_run(&o, APPUI_BIN, e->dir, NULL, args);
  if (st != 0) fail_msg("appui demo: %d\n%s", st, o.err);
  /* Accounts: "  role  email  password" lines after the heading. */
  const char *p = strstr(o.out, "Comptes de démonstration");
  if (!p) fail_msg("appui demo: comptes absents de la sortie\n%s", o.out);
  p = strchr(p, '\n');
  while (p && e->n_accounts < WC_ACCOUNTS_MAX) {
    p++;
    char role[16], email[128], password[32];
    if (sscanf(p, " %15s %127s %31s", role, email, password) != 3) break;
    snprintf(e->accounts[e->n_accounts].role, sizeof e->accounts[0].role, "%s", role);
    snprintf(e->accounts[e->n_accounts].email, sizeof e->accounts[0].email, "%s", email);
    snprintf(e->accounts[e->n_accounts].password, sizeof e->accounts[0].password, "%s", password);
    e->n_accounts++;
    p = strchr(p, '\n');
  }
  if (e->n_accounts < 8) fail_msg("appui demo: %d comptes lus", e->n_accounts);
  char path[512];
  snprintf(path, sizeof path, "%s/appui.db", e->dir);
  if (db_open(&e->db, path, 0)) fail_msg("ouverture de la base: %s", err_msg());
  struct server_options so = {"127.0.0.1:0", e->dir, 2};
  if (server_start(&e->server, &so)) fail_msg("server_start: %s", err_msg());
  snprintf(e->base, sizeof e->base, "http://127.0.0.1:%u", (unsigned)server_port(e->server));
}

void wc_stop(struct wc_env *e) {
  server_stop(e->server);
  db_close(e->db);
  fixture_rmdir(e->dir);
  memset(e, 0, sizeof *e);
}

const char *wc_password(const struct wc_env *e, const char *email) {
  for (int i = 0; i < e->n_accounts; i++)
    if (strcmp(e->accounts[i].email, email) == 0) return e->accounts[i].password;
  fail_msg("compte de démonstration inconnu : %s", email);
  return NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx) {
  struct wc_reply *r = ctx;
  size_t k = size * n;
  char *q = realloc(r->body, r->len + k + 1);
  assert_non_null(q);
  memcpy(q + r->len, p, k);
  r->body = q;
  r->len += k;
  r->body[r->len] = 0;
  return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx) {
  struct wc_reply *r = ctx;
  size_t k = size * n, used = strlen(r->headers);
  if (used + k < sizeof r->headers) {
    memcpy(r->headers + used, p, k);
    r->headers[used + k] = 0;
  }
  return k;
}

/* One request with libcurl; `mime` (may be NULL) replaces `body`. */
static void perform(struct wc_reply *r, const char *base, const struct wc_session *s, const char *method,
                    const char *path, const char *const *extra, const char *type, const char *body, size_t len,
                    curl_mime *mime, CURL *c) {
  memset(r, 0, sizeof *r);
  char url[2048], line[512];
  struct curl_slist *h = NULL;
  snprintf(url, sizeof url, "%s%s", base, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* "/../" sent as written */
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (s && s->cookie[0]) {
    snprintf(line, sizeof line, "Cookie: appui_session=%s", s->cookie);
    h = curl_slist_append(h, line);
  }
  for (int i = 0; extra && extra[i]; i++) h = curl_slist_append(h, extra[i]);
  h = curl_slist_append(h, "Expect:");
  if (mime) {
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
  } else if (body && len == WC_CHUNKED) {
    snprintf(line, sizeof line, "Content-Type:%s%s", type ? " " : "", type ? type : "");
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, -1L);
  } else if (body) {
    snprintf(line, sizeof line, "Content-Type:%s%s", type ? " " : "", type ? type : "");
    h = curl_slist_append(h, line);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  } else if (type) {
    snprintf(line, sizeof line, "Content-Type: %s", type);
    h = curl_slist_append(h, line);
  } else {
    h = curl_slist_append(h, "Content-Type:"); /* none at all */
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK && rc != CURLE_SEND_ERROR) fail_msg("curl %s %s: %s", method, path, curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all(h);
  if (r->body && (r->body[0] == '{' || r->body[0] == '[')) r->json = json_loads(r->body, 0, NULL);
}

void wc_request_at(struct wc_reply *r, const char *base, const struct wc_session *s, const char *method,
                   const char *path, const char *const *extra, const char *type, const char *body, size_t len) {
  CURL *c = curl_easy_init();
  perform(r, base, s, method, path, extra, type, body, len, NULL, c);
  curl_easy_cleanup(c);
}

void wc_request(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *method,
                const char *path, const char *const *extra, const char *type, const char *body, size_t len) {
  wc_request_at(r, e->base, s, method, path, extra, type, body, len);
}

void wc_get(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path) {
  wc_request(r, e, s, "GET", path, NULL, NULL, NULL, 0);
}

void wc_get_json(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path) {
  const char *extra[] = {"Accept: application/json", NULL};
  wc_request(r, e, s, "GET", path, extra, NULL, NULL, 0);
}

void wc_post_form(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path,
                  const char *fields) {
  size_t n = strlen(fields) + 128;
  char *body = malloc(n);
  assert_non_null(body);
  int has = strncmp(fields, "csrf=", 5) == 0 || strstr(fields, "&csrf=") != NULL;
  if (s && s->csrf[0] && !has)
    snprintf(body, n, "%s%scsrf=%s", fields, fields[0] ? "&" : "", s->csrf);
  else
    snprintf(body, n, "%s", fields);
  wc_request(r, e, s, "POST", path, NULL, "application/x-www-form-urlencoded", body, strlen(body));
  free(body);
}

void wc_post_multipart(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path,
                       const struct wc_part *parts, int n) {
  CURL *c = curl_easy_init();
  curl_mime *m = curl_mime_init(c);
  int has = 0;
  for (int i = 0; i < n; i++) {
    curl_mimepart *p = curl_mime_addpart(m);
    curl_mime_name(p, parts[i].name);
    curl_mime_data(p, parts[i].value, parts[i].len ? parts[i].len : strlen(parts[i].value));
    if (parts[i].filename) curl_mime_filename(p, parts[i].filename);
    if (parts[i].type) curl_mime_type(p, parts[i].type);
    if (strcmp(parts[i].name, "csrf") == 0) has = 1;
  }
  if (s && s->csrf[0] && !has) {
    curl_mimepart *p = curl_mime_addpart(m);
    curl_mime_name(p, "csrf");
    curl_mime_data(p, s->csrf, CURL_ZERO_TERMINATED);
  }
  perform(r, e->base, s, "POST", path, NULL, NULL, NULL, 0, m, c);
  curl_mime_free(m);
  curl_easy_cleanup(c);
}

void wc_done(struct wc_reply *r) {
  free(r->body);
  json_decref(r->json);
  memset(r, 0, sizeof *r);
}

void wc_assert_has(const struct wc_reply *r, const char *needle) {
  if (!r->body || !strstr(r->body, needle))
    fail_msg("« %s » absent (statut %ld) :\n%.3000s", needle, r->status, r->body ? r->body : "");
}

void wc_assert_lacks(const struct wc_reply *r, const char *needle) {
  if (r->body && strstr(r->body, needle)) fail_msg("« %s » présent (statut %ld)", needle, r->status);
}

void wc_digest(const struct wc_env *e, char out[65]) { fixture_digest_except(e->db, "session", out); }

const char *wc_header(const struct wc_reply *r, const char *name, char *out, size_t size) {
  const char *p = r->headers;
  size_t n = strlen(name);
  while ((p = strchr(p, '\n'))) {
    p++;
    if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
      p += n + 1;
      while (*p == ' ') p++;
      size_t k = strcspn(p, "\r\n");
      snprintf(out, size, "%.*s", (int)k, p);
      return out;
    }
  }
  return NULL;
}

/* The value of cookie `name` set by the reply, into out (64 hex + NUL). */
static int set_cookie(const struct wc_reply *r, const char *name, char *out, size_t size) {
  const char *p = r->headers;
  size_t n = strlen(name);
  while ((p = strchr(p, '\n'))) {
    p++;
    if (strncasecmp(p, "Set-Cookie: ", 12) == 0 && strncmp(p + 12, name, n) == 0 && p[12 + n] == '=') {
      const char *v = p + 13 + n;
      size_t k = strcspn(v, ";\r\n");
      snprintf(out, size, "%.*s", (int)k, v);
      return 1;
    }
  }
  return 0;
}

/* The first hidden field csrf of a page. */
static int page_csrf(const char *body, char out[65]) {
  const char *p = body ? strstr(body, "name=\"csrf\" value=\"") : NULL;
  if (!p) return 0;
  p += strlen("name=\"csrf\" value=\"");
  size_t k = strcspn(p, "\"");
  if (k != 64) return 0;
  memcpy(out, p, 64);
  out[64] = 0;
  return 1;
}

void wc_login(struct wc_session *s, const struct wc_env *e, const char *email) {
  struct wc_reply r;
  char pre[128], line[256];
  memset(s, 0, sizeof *s);
  wc_get(&r, e, NULL, "/connexion");
  if (r.status != 200 || !set_cookie(&r, "appui_pre", pre, sizeof pre) || !page_csrf(r.body, s->csrf))
    fail_msg("GET /connexion: %ld sans jeton de connexion", r.status);
  wc_done(&r);
  char *em = wc_encode(email), *pw = wc_encode(wc_password(e, email)), body[1024];
  snprintf(body, sizeof body, "csrf=%s&email=%s&password=%s", s->csrf, em, pw);
  free(em);
  free(pw);
  snprintf(line, sizeof line, "Cookie: appui_pre=%s", pre);
  const char *extra[] = {line, NULL};
  wc_request(&r, e, NULL, "POST", "/connexion", extra, "application/x-www-form-urlencoded", body, strlen(body));
  if (r.status != 303 || !set_cookie(&r, "appui_session", s->cookie, sizeof s->cookie))
    fail_msg("connexion de %s : %ld\n%s", email, r.status, r.body ? r.body : "");
  wc_done(&r);
  memset(s->csrf, 0, sizeof s->csrf);
  wc_get(&r, e, s, "/");
  if (r.status != 200 || !page_csrf(r.body, s->csrf)) fail_msg("GET / après connexion de %s : %ld", email, r.status);
  wc_done(&r);
}

char *wc_encode(const char *s) {
  CURL *c = curl_easy_init();
  char *t = curl_easy_escape(c, s, 0), *out = strdup(t);
  curl_free(t);
  curl_easy_cleanup(c);
  return out;
}
