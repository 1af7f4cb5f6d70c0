/* Tests of web/asset.c: the static files under /static/{name}, over real
 * HTTP (libcurl, paths sent exactly as written) against a server started in
 * this process on a free port of 127.0.0.1. Every embedded file is served
 * with its media type, strong ETag and cache header, and matches its source;
 * conditional requests give 304; traversal attempts and refused names give
 * 404 without opening any file (watched with inotify); every answer carries
 * the security headers; the development directory serves edited files and
 * refuses what resolves outside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "asset.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "webclient.h"
#include "server.h"
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSP                                                                                                 \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "        \
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

struct env {
  char dir[256];   /* data directory of the server */
  char files[256]; /* holds outside.css and dev/, the development directory */
  char dev[320];
  struct db *db;
  struct server *server;
  char base[64];
};

static struct env E;

/* Every name of the table and where its source lies under the source tree. */
static const struct {
  const char *name, *source, *type, *marker;
} expected[] = {
    {"htmx.min.js", "node_modules/htmx.org/dist/htmx.min.js", "text/javascript; charset=utf-8", "htmx"},
    {"chart.umd.min.js", "node_modules/chart.js/dist/chart.umd.min.js", "text/javascript; charset=utf-8", "Chart.js"},
    {"bpmn-viewer.js", "node_modules/bpmn-js/dist/bpmn-viewer.production.min.js", "text/javascript; charset=utf-8",
     "bpmn-js"},
    {"diagram-js.css", "node_modules/bpmn-js/dist/assets/diagram-js.css", "text/css; charset=utf-8", ".djs-"},
    {"bpmn-js.css", "node_modules/bpmn-js/dist/assets/bpmn-js.css", "text/css; charset=utf-8", ".bjs-"},
    {"appui.css", "web/static/appui.css", "text/css; charset=utf-8", ":focus-visible"},
    {"appui.js", "web/static/appui.js", "text/javascript; charset=utf-8", "htmx:afterSettle"},
    {"diagram.js", "web/static/diagram.js", "text/javascript; charset=utf-8", "BpmnJS"},
    {"stats.js", "web/static/stats.js", "text/javascript; charset=utf-8", "export"},
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

/* Performs one request, with one extra header line `extra` (may be NULL). */
static void call(struct wc_reply *r, const char *method, const char *path, const char *extra) {
  const char *lines[] = {extra, NULL};
  wc_request_at(r, E.base, NULL, method, path, lines, NULL, NULL, 0);
  if (!r->json && r->body) r->json = json_loads(r->body, 0, NULL);
}

static void get(struct wc_reply *r, const char *path) { call(r, "GET", path, NULL); }


/* Asserts that header `name` is `value` exactly. */
static void assert_header(const struct wc_reply *r, const char *name, const char *value) {
  char v[1024];
  if (!wc_header(r, name, v, sizeof v)) fail_msg("%s missing (status %ld)", name, r->status);
  if (strcmp(v, value) != 0) fail_msg("%s: « %s », expected « %s »", name, v, value);
}

/* Asserts the security headers every answer must carry. */
static void assert_security_headers(const struct wc_reply *r) {
  assert_header(r, "Content-Security-Policy", CSP);
  assert_header(r, "X-Content-Type-Options", "nosniff");
  assert_header(r, "Referrer-Policy", "same-origin");
  assert_header(r, "X-Frame-Options", "DENY");
  assert_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

/* Asserts a 404 JSON error that is never cached. */
static void assert_not_found(const struct wc_reply *r, const char *path) {
  char v[256];
  if (r->status != 404) fail_msg("%s: status %ld, expected 404: %.200s", path, r->status, r->body ? r->body : "");
  json_t *e = json_object_get(r->json, "error");
  if (!e) fail_msg("%s: not a JSON error: %.200s", path, r->body ? r->body : "");
  assert_string_equal(json_string_value(json_object_get(e, "code")), "not_found");
  assert_non_null(json_string_value(json_object_get(e, "message")));
  assert_header(r, "Content-Type", "application/json");
  assert_header(r, "Cache-Control", "no-store");
  assert_null(wc_header(r, "ETag", v, sizeof v));
  assert_security_headers(r);
}

static void write_file(const char *dir, const char *name, const char *content) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) fail_msg("fopen %s: %s", path, strerror(errno));
  fputs(content, f);
  fclose(f);
}

static void make_link(const char *target, const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (symlink(target, path) != 0) fail_msg("symlink %s: %s", path, strerror(errno));
}

/* The expected strong ETag of `data`: a BLAKE2b-128 hash, hex, quoted. */
static void etag_of(char out[ASSET_ETAG_SIZE], const char *data, size_t len) {
  unsigned char h[16];
  crypto_generichash(h, sizeof h, (const unsigned char *)data, len, NULL, 0);
  out[0] = '"';
  sodium_bin2hex(out + 1, ASSET_ETAG_SIZE - 1, h, sizeof h);
  out[ASSET_ETAG_SIZE - 2] = '"';
  out[ASSET_ETAG_SIZE - 1] = 0;
}

static int setup(void **state) {
  (void)state;
  E.db = fixture_db(E.dir);
  fixture_dir(E.files);
  snprintf(E.dev, sizeof E.dev, "%s/dev", E.files);
  assert_int_equal(mkdir(E.dev, 0700), 0);
  write_file(E.files, "outside.css", "OUTSIDE-SECRET");
  struct server_options o = {"127.0.0.1:0", E.dir, 2};
  assert_int_equal(server_start(&E.server, &o), 0);
  snprintf(E.base, sizeof E.base, "http://127.0.0.1:%u", (unsigned)server_port(E.server));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  asset_set_dir(NULL);
  server_stop(E.server);
  db_close(E.db);
  fixture_rmdir(E.dir);
  fixture_rmdir(E.files);
  return 0;
}

/* Each test starts with an empty development directory, not in use. */
static int fresh_dev(void **state) {
  (void)state;
  assert_int_equal(asset_set_dir(NULL), 0);
  fixture_rmdir(E.dev);
  assert_int_equal(mkdir(E.dev, 0700), 0);
  return 0;
}

static void the_table_holds_every_file(void **state) {
  (void)state;
  size_t n;
  assert_int_equal(asset_init(), 0);
  const struct asset *t = asset_table(&n);
  assert_int_equal(n, N_EXPECTED);
  for (size_t i = 0; i < N_EXPECTED; i++) {
    assert_string_equal(t[i].name, expected[i].name);
    assert_ptr_equal(asset_find(expected[i].name), &t[i]);
    if (t[i].size < 20) fail_msg("%s: only %zu bytes embedded", t[i].name, t[i].size);
    assert_int_equal(t[i].data[t[i].size], 0);
    for (size_t j = 0; j < i; j++)
      if (strcmp(t[i].etag, t[j].etag) == 0) fail_msg("%s and %s share an ETag", t[i].name, t[j].name);
  }
  assert_null(asset_find("nothing.js"));
}

static void every_asset_is_served_with_its_type_etag_and_cache_header(void **state) {
  (void)state;
  for (size_t i = 0; i < N_EXPECTED; i++) {
    char path[256], source[PATH_MAX], etag[ASSET_ETAG_SIZE], v[64];
    struct wc_reply r;
    size_t len;
    snprintf(path, sizeof path, "/static/%s", expected[i].name);
    get(&r, path);
    if (r.status != 200) fail_msg("%s: status %ld", path, r.status);
    assert_header(&r, "Content-Type", expected[i].type);
    assert_header(&r, "Cache-Control", "public, max-age=31536000, immutable");
    /* The binary serves exactly the file of the source tree (node_modules or web/static). */
    snprintf(source, sizeof source, "%s/%s", APPUI_SOURCE_DIR, expected[i].source);
    char *want = fixture_read(source, &len);
    if (r.len != len || memcmp(r.body, want, len) != 0)
      fail_msg("%s: %zu bytes served, the source %s has %zu", path, r.len, expected[i].source, len);
    if (!strstr(r.body, expected[i].marker)) fail_msg("%s: « %s » not found in it", path, expected[i].marker);
    /* Strong ETag: the hash of the content, quoted, not weak. */
    etag_of(etag, want, len);
    assert_header(&r, "ETag", etag);
    snprintf(v, sizeof v, "%zu", len);
    assert_header(&r, "Content-Length", v);
    assert_security_headers(&r);
    free(want);
    wc_done(&r);
  }
}

static void head_gives_the_headers_without_the_body(void **state) {
  (void)state;
  struct wc_reply r;
  char v[64];
  const struct asset *a = asset_find("bpmn-viewer.js");
  assert_non_null(a);
  call(&r, "HEAD", "/static/bpmn-viewer.js", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 0);
  snprintf(v, sizeof v, "%zu", a->size);
  assert_header(&r, "Content-Length", v);
  assert_header(&r, "ETag", a->etag);
  assert_header(&r, "Content-Type", "text/javascript; charset=utf-8");
  assert_security_headers(&r);
  wc_done(&r);
}

static void if_none_match_gives_304(void **state) {
  (void)state;
  const struct asset *a = asset_find("appui.css"), *other = asset_find("htmx.min.js");
  assert_non_null(a);
  assert_non_null(other);
  char line[768], hits[5][128];
  /* The tag itself, weak, within a list, and "*". */
  snprintf(hits[0], sizeof hits[0], "%s", a->etag);
  snprintf(hits[1], sizeof hits[1], "W/%s", a->etag);
  snprintf(hits[2], sizeof hits[2], "\"deadbeef\", %s", a->etag);
  snprintf(hits[3], sizeof hits[3], "\"deadbeef\",%s , \"x\"", a->etag);
  snprintf(hits[4], sizeof hits[4], "*");
  for (size_t i = 0; i < 5; i++) {
    struct wc_reply r;
    snprintf(line, sizeof line, "If-None-Match: %s", hits[i]);
    call(&r, "GET", "/static/appui.css", line);
    if (r.status != 304) fail_msg("%s: status %ld, expected 304", line, r.status);
    assert_int_equal(r.len, 0);
    assert_header(&r, "ETag", a->etag);
    assert_header(&r, "Cache-Control", "public, max-age=31536000, immutable");
    assert_header(&r, "Content-Type", "text/css; charset=utf-8");
    assert_security_headers(&r);
    wc_done(&r);
  }
  /* Other tags, another file's tag, a malformed value: the full file. */
  const char *misses[] = {"\"deadbeef\"", other->etag, "W/\"0\", \"1\"", "garbage", "\"unterminated"};
  for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
    struct wc_reply r;
    snprintf(line, sizeof line, "If-None-Match: %s", misses[i]);
    call(&r, "GET", "/static/appui.css", line);
    if (r.status != 200) fail_msg("%s: status %ld, expected 200", line, r.status);
    assert_int_equal(r.len, a->size);
    assert_header(&r, "ETag", a->etag);
    wc_done(&r);
  }
}

static void unknown_names_are_404(void **state) {
  (void)state;
  const char *paths[] = {"/static/nothing.js", "/static/htmx.js",       "/static/APPUI.CSS", "/static/appui.css.map",
                         "/static/appui",      "/static/appui.css.exe", "/static/",          "/static",
                         "/static/a/b.css",    "/static/appui.css/"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    struct wc_reply r;
    get(&r, paths[i]);
    assert_not_found(&r, paths[i]);
    wc_done(&r);
  }
  struct wc_reply r;
  call(&r, "POST", "/static/appui.css", NULL);
  assert_int_equal(r.status, 405);
  assert_header(&r, "Cache-Control", "no-store");
  assert_security_headers(&r);
  wc_done(&r);
}

/* Names whose refusal matters: each would reach a file if the checks let it
 * through (see refused_names_never_reach_the_disk). */
static const char *const attacks[] = {
    "/static/../outside.css",
    "/static/..%2Foutside.css",
    "/static/..%2foutside.css",
    "/static/%2e%2e%2foutside.css",
    "/static/%2E%2E%2Foutside.css",
    "/static/%2e%2e/outside.css",
    "/static/.%2e/outside.css",
    "/static/..%5Coutside.css",
    "/static/..%5coutside.css",
    "/static/..\\outside.css",
    "/static/%2e%2e%5coutside.css",
    "/static/%2Foutside.css",
    "/static/a%5Cb.css",
    "/static/a\\b.css",
    "/static/..",
    "/static/%2e%2e",
    "/static/.hidden.css",
    "/static/%2ehidden.css",
    "/static/x.css%00.js",
    "/static/x.css%00",
    "/static/appui.css%00.js",
    "/static/%00x.css",
    "/static/x.css%2500.js",
    "/static/dev%2Fx.css",
    "/static/..%2Fdev%2Fx.css",
    "/static/..%252Foutside.css",
};

/* The inotify events of the watch descriptor queue `fd`, without waiting. */
static int pending_opens(int fd, char *what, size_t size) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  int n = 0;
  what[0] = 0;
  for (;;) {
    ssize_t k = read(fd, buf, sizeof buf);
    if (k <= 0) break;
    for (char *p = buf; p < buf + k;) {
      struct inotify_event *ev = (struct inotify_event *)p;
      if (!(ev->mask & IN_ISDIR)) {
        n++;
        size_t used = strlen(what);
        snprintf(what + used, size - used, " %s", ev->len ? ev->name : "?");
      }
      p += sizeof *ev + ev->len;
    }
  }
  return n;
}

static void refused_names_never_reach_the_disk(void **state) {
  (void)state;
  char what[512];
  /* Files that a faulty check would serve: outside the directory, with a
   * backslash, hidden, and the target of a NUL-truncated name. */
  write_file(E.dev, "a\\b.css", "BACKSLASH-FILE");
  write_file(E.dev, ".hidden.css", "HIDDEN-FILE");
  write_file(E.dev, "x.css", "X-FILE");
  write_file(E.dev, "appui.css", "DEV-APPUI");
  write_file(E.dev, "x.css%00.js", "PERCENT-FILE");
  write_file(E.dev, "..\\outside.css", "DOTS-BACKSLASH-FILE");
  assert_int_equal(asset_set_dir(E.dev), 0);
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  assert_true(fd >= 0);
  assert_true(inotify_add_watch(fd, E.dev, IN_OPEN | IN_ACCESS) >= 0);
  assert_true(inotify_add_watch(fd, E.files, IN_OPEN | IN_ACCESS) >= 0);
  /* The watch sees a file being served (so its silence below means something). */
  struct wc_reply r;
  get(&r, "/static/x.css");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "X-FILE");
  wc_done(&r);
  if (pending_opens(fd, what, sizeof what) == 0) fail_msg("inotify saw no open of x.css");
  for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
    get(&r, attacks[i]);
    assert_not_found(&r, attacks[i]);
    const char *leaks[] = {"SECRET", "BACKSLASH", "HIDDEN", "X-FILE", "DEV-APPUI", "PERCENT", ":focus-visible"};
    for (size_t j = 0; j < sizeof leaks / sizeof leaks[0]; j++)
      if (strstr(r.body, leaks[j])) fail_msg("%s: answer holds %s", attacks[i], leaks[j]);
    wc_done(&r);
    if (pending_opens(fd, what, sizeof what)) fail_msg("%s: a file was opened:%s", attacks[i], what);
  }
  close(fd);
}

static void refused_names_are_refused_by_the_name_check(void **state) {
  (void)state;
  char long_name[160];
  memset(long_name, 'a', 125);
  memcpy(long_name + 125, ".css", 5); /* 129 characters */
  const char *bad[] = {"",        ".",        "..",       "../x.css", "a/b.css",  "a\\b.css", "a%2Fb.css",
                       ".x.css",  "a..b.css", "noext",    "x.exe",    "x.CSS",    "é.css",    "a b.css",
                       "a:b.css", "x.css\n",  long_name,  "x.css?",   "x.css#",   "~x.css",   "x.css."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (asset_name_ok(bad[i])) fail_msg("« %s » accepted", bad[i]);
  memset(long_name, 'a', 124);
  memcpy(long_name + 124, ".css", 5); /* 128 characters */
  const char *good[] = {"htmx.min.js", "a-b_c.css", "x.woff2", "X9.svg", "bpmn-viewer.js", long_name};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!asset_name_ok(good[i])) fail_msg("« %s » refused", good[i]);
  assert_string_equal(asset_type("a.js"), "text/javascript; charset=utf-8");
  assert_string_equal(asset_type("a.css"), "text/css; charset=utf-8");
  assert_string_equal(asset_type("a.woff2"), "font/woff2");
  assert_string_equal(asset_type("a.svg"), "image/svg+xml");
  assert_null(asset_type("a.html"));
  assert_null(asset_type("a"));
}

static void every_answer_has_the_security_headers(void **state) {
  (void)state;
  const struct asset *a = asset_find("htmx.min.js");
  char line[128];
  struct wc_reply r;
  get(&r, "/static/htmx.min.js");
  assert_int_equal(r.status, 200);
  assert_security_headers(&r);
  wc_done(&r);
  snprintf(line, sizeof line, "If-None-Match: %s", a->etag);
  call(&r, "GET", "/static/htmx.min.js", line);
  assert_int_equal(r.status, 304);
  assert_security_headers(&r);
  wc_done(&r);
  get(&r, "/static/nothing.css");
  assert_not_found(&r, "/static/nothing.css");
  wc_done(&r);
  get(&r, "/api/nowhere");
  assert_not_found(&r, "/api/nowhere");
  wc_done(&r);
  /* Outside the API, an unknown address is a French page for browsers. */
  get(&r, "/nowhere");
  assert_int_equal(r.status, 404);
  assert_header(&r, "Content-Type", "text/html; charset=utf-8");
  assert_non_null(strstr(r.body, "Page introuvable"));
  assert_security_headers(&r);
  wc_done(&r);
  get(&r, "/healthz");
  assert_int_equal(r.status, 200);
  assert_header(&r, "Cache-Control", "no-store");
  assert_security_headers(&r);
  wc_done(&r);
  get(&r, "/api/v1/me");
  assert_int_equal(r.status, 401);
  assert_security_headers(&r);
  wc_done(&r);
  call(&r, "DELETE", "/healthz", NULL);
  assert_int_equal(r.status, 405);
  assert_security_headers(&r);
  wc_done(&r);
}

static void development_directory_serves_edited_files(void **state) {
  (void)state;
  char real[PATH_MAX], v[64];
  struct wc_reply r;
  const struct asset *css = asset_find("appui.css"), *htmx = asset_find("htmx.min.js");
  write_file(E.dev, "appui.css", "body { color: #161616; } /* v1 */");
  assert_int_equal(asset_set_dir(E.dev), 0);
  assert_non_null(realpath(E.dev, real));
  assert_string_equal(asset_dir(), real);
  get(&r, "/static/appui.css");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "body { color: #161616; } /* v1 */");
  assert_header(&r, "Content-Type", "text/css; charset=utf-8");
  assert_header(&r, "Cache-Control", "no-cache");
  assert_null(wc_header(&r, "ETag", v, sizeof v));
  assert_security_headers(&r);
  wc_done(&r);
  /* Edited: the next request sees it, no restart. */
  write_file(E.dev, "appui.css", "body { color: #000091; } /* v2 */");
  get(&r, "/static/appui.css");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "body { color: #000091; } /* v2 */");
  wc_done(&r);
  /* The embedded ETag gives no 304 in development mode. */
  snprintf(v, sizeof v, "If-None-Match: %s", css->etag);
  call(&r, "GET", "/static/appui.css", v);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "body { color: #000091; } /* v2 */");
  wc_done(&r);
  /* A file absent from the directory: the embedded copy, not cached either. */
  get(&r, "/static/htmx.min.js");
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, htmx->size);
  assert_memory_equal(r.body, htmx->data, htmx->size);
  assert_header(&r, "Cache-Control", "no-cache");
  wc_done(&r);
  /* A new file not yet in the table, and an empty one. */
  write_file(E.dev, "page.js", "export const x = 1;");
  get(&r, "/static/page.js");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "export const x = 1;");
  assert_header(&r, "Content-Type", "text/javascript; charset=utf-8");
  wc_done(&r);
  write_file(E.dev, "empty.css", "");
  get(&r, "/static/empty.css");
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 0);
  wc_done(&r);
  /* A link inside the directory is followed. */
  make_link("appui.css", E.dev, "alias.css");
  get(&r, "/static/alias.css");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "body { color: #000091; } /* v2 */");
  wc_done(&r);
  /* Back to the embedded files. */
  assert_int_equal(asset_set_dir(NULL), 0);
  assert_null(asset_dir());
  get(&r, "/static/appui.css");
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, css->size);
  assert_header(&r, "ETag", css->etag);
  wc_done(&r);
  get(&r, "/static/page.js");
  assert_not_found(&r, "/static/page.js");
  wc_done(&r);
}

static void development_directory_refuses_what_lies_outside(void **state) {
  (void)state;
  char path[512], real[PATH_MAX];
  struct wc_reply r;
  /* Links out of the directory: to a file, to a missing file, and one that
   * shadows an embedded name (no fallback to the embedded copy). */
  snprintf(path, sizeof path, "%s/outside.css", E.files);
  make_link(path, E.dev, "evil.css");
  make_link("../outside.css", E.dev, "appui.css");
  make_link("../missing.css", E.dev, "dangling.css");
  make_link("/etc/passwd", E.dev, "passwd.css");
  snprintf(path, sizeof path, "%s/dir.css", E.dev);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/pipe.css", E.dev);
  assert_int_equal(mkfifo(path, 0600), 0);
  write_file(E.dev, "notes.exe", "EXE-FILE");
  assert_int_equal(asset_set_dir(E.dev), 0);
  const char *refused[] = {"/static/evil.css", "/static/appui.css", "/static/dangling.css", "/static/passwd.css",
                           "/static/dir.css",  "/static/pipe.css",  "/static/notes.exe"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    get(&r, refused[i]);
    assert_not_found(&r, refused[i]);
    if (strstr(r.body, "SECRET") || strstr(r.body, "root:") || strstr(r.body, "EXE-FILE") ||
        strstr(r.body, ":focus-visible"))
      fail_msg("%s: answer holds the file", refused[i]);
    wc_done(&r);
  }
  /* A directory that is itself a link is resolved once, at start-up. */
  snprintf(path, sizeof path, "%s/link-to-dev", E.files);
  assert_int_equal(symlink(E.dev, path), 0);
  write_file(E.dev, "ok.css", "OK-FILE");
  assert_int_equal(asset_set_dir(path), 0);
  assert_non_null(realpath(E.dev, real));
  assert_string_equal(asset_dir(), real);
  get(&r, "/static/ok.css");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "OK-FILE");
  wc_done(&r);
  get(&r, "/static/evil.css");
  assert_not_found(&r, "/static/evil.css");
  wc_done(&r);
  /* Not a directory: refused, the previous setting kept. */
  snprintf(path, sizeof path, "%s/outside.css", E.files);
  assert_int_equal(asset_set_dir(path), ERR_IO);
  assert_int_equal(asset_set_dir("/nonexistent/appui-assets"), ERR_IO);
  assert_string_equal(asset_dir(), real);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(the_table_holds_every_file, fresh_dev),
      cmocka_unit_test_setup(every_asset_is_served_with_its_type_etag_and_cache_header, fresh_dev),
      cmocka_unit_test_setup(head_gives_the_headers_without_the_body, fresh_dev),
      cmocka_unit_test_setup(if_none_match_gives_304, fresh_dev),
      cmocka_unit_test_setup(unknown_names_are_404, fresh_dev),
      cmocka_unit_test_setup(refused_names_are_refused_by_the_name_check, fresh_dev),
      cmocka_unit_test_setup(refused_names_never_reach_the_disk, fresh_dev),
      cmocka_unit_test_setup(every_answer_has_the_security_headers, fresh_dev),
      cmocka_unit_test_setup(development_directory_serves_edited_files, fresh_dev),
      cmocka_unit_test_setup(development_directory_refuses_what_lies_outside, fresh_dev),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  curl_global_cleanup();
  return rc;
}
