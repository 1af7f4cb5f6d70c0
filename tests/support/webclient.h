/* webclient — what the web tests share: the demo platform served in the
 * test process (`appui demo` in a temporary directory, then server_start on
 * a free port of 127.0.0.1), its accounts and their passwords, browser-like
 * sessions (login through the real form, session cookie, CSRF token taken
 * from the page) and an HTTP client over libcurl.
 *
 * Functions abort the test (cmocka) when the platform itself misbehaves
 * (cannot start, login refused); replies are returned as they are, to be
 * asserted by the tests. Include <cmocka.h> first. */
#ifndef APPUI_WEBCLIENT_H
#define APPUI_WEBCLIENT_H
#include <jansson.h>
#include <stddef.h>

struct db;
struct server;

#define WC_ACCOUNTS_MAX 16

/* The demo platform under test. */
struct wc_env {
  char dir[256];      /* data directory (removed by wc_stop) */
  char base[64];      /* "http://127.0.0.1:PORT" */
  struct server *server;
  struct db *db;      /* a connection of the test, to check the base */
  int n_accounts;
  struct {
    char email[128], role[16], password[32];
  } accounts[WC_ACCOUNTS_MAX];
};

/* A browser's state: its session cookie and the session's CSRF token. */
struct wc_session {
  char cookie[128];   /* value of appui_session, "" when anonymous */
  char csrf[65];      /* the CSRF token found in the pages, "" when anonymous */
};

/* One HTTP answer. */
struct wc_reply {
  long status;
  char *body;         /* NUL-terminated, or NULL when empty */
  size_t len;
  char headers[8192]; /* raw header lines */
  json_t *json;       /* the body parsed as JSON when it is JSON, else NULL */
};

/* One part of a multipart form: a field (`filename` NULL) or a file. */
struct wc_part {
  const char *name, *value;
  size_t len;            /* bytes of value (0: strlen) */
  const char *filename;  /* a file part when not NULL */
  const char *type;      /* announced media type of a file, or NULL */
};

/* Creates the demo platform in a temporary directory and serves it. */
void wc_start(struct wc_env *e);
/* Stops serving and removes the directory. */
void wc_stop(struct wc_env *e);
/* The demo password of `email` (aborts if unknown). */
const char *wc_password(const struct wc_env *e, const char *email);

/* Logs in through /connexion like a browser and fills *s (aborts on refusal). */
void wc_login(struct wc_session *s, const struct wc_env *e, const char *email);

/* A body length meaning "send it chunked, without Content-Length". */
#define WC_CHUNKED ((size_t)-1)

/* Performs one request to the server at `base` ("http://127.0.0.1:PORT"),
 * the path sent as written (no "/../" folding), HEAD without a body. `s`
 * may be NULL (no cookie). `extra` is a NULL-terminated list of extra
 * header lines (may be NULL). `type` is the Content-Type of `body` (NULL:
 * none). `len` may be WC_CHUNKED. */
void wc_request_at(struct wc_reply *r, const char *base, const struct wc_session *s, const char *method,
                   const char *path, const char *const *extra, const char *type, const char *body, size_t len);
/* wc_request_at() on the platform under test. */
void wc_request(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *method,
                const char *path, const char *const *extra, const char *type, const char *body, size_t len);
/* GET `path` as HTML. */
void wc_get(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path);
/* GET `path` asking for the JSON view model (r->json set). */
void wc_get_json(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path);
/* POST an URL-encoded form `fields` ("a=1&b=2", already encoded); the
 * session's CSRF token is added as field csrf unless `fields` has one. */
void wc_post_form(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path,
                  const char *fields);
/* POST a multipart form of `n` parts; the CSRF token is added as above. */
void wc_post_multipart(struct wc_reply *r, const struct wc_env *e, const struct wc_session *s, const char *path,
                       const struct wc_part *parts, int n);
/* Frees the reply's body and JSON. */
void wc_done(struct wc_reply *r);

/* Fails the test when `needle` is not in the reply's body (the message
 * shows the status and the start of the body). */
void wc_assert_has(const struct wc_reply *r, const char *needle);
/* Fails the test when `needle` is in the reply's body. */
void wc_assert_lacks(const struct wc_reply *r, const char *needle);
/* The digest of the whole base but the sessions (fixture_digest_except): a
 * page view may refresh its session's last use, nothing else. */
void wc_digest(const struct wc_env *e, char out[65]);

/* The value of header `name` of the reply into `out`, or NULL if absent. */
const char *wc_header(const struct wc_reply *r, const char *name, char *out, size_t size);
/* `s` percent-encoded for a form or a query (malloc'ed). */
char *wc_encode(const char *s);

#endif
