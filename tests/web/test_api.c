/* Tests of web/: the HTTP server, the route table and the JSON API, over
 * real HTTP (libcurl) against a server started in this process on a free
 * port of 127.0.0.1. Every refused request is checked for its status, its
 * JSON error and for leaving the database unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "request.h"
#include "route.h"
#include "server.h"
#include "user.h"
#include "webclient.h"
#include "workflow.h"
#include <curl/curl.h>
#include <pthread.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct env {
  char dir[256];
  struct db *db;
  struct server *server;
  char base[64];
  char *tok_mayor, *tok_other, *tok_coord, *tok_agent, *tok_head, *tok_head_caue;
  char ref_mayor[REQUEST_REF_SIZE], ref_other[REQUEST_REF_SIZE];
};

static struct env E;

/* Performs one request with the Bearer `token` (may be NULL). `type` NULL
 * means no Content-Type; `chunked` sends the body without Content-Length. */
static void call(struct wc_reply *r, const char *method, const char *path, const char *token, const char *type,
                 const char *body, size_t len, int chunked) {
  char auth[256];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
  const char *extra[] = {token ? auth : NULL, NULL};
  wc_request_at(r, E.base, NULL, method, path, extra, type, body, chunked ? WC_CHUNKED : len);
}

static void get(struct wc_reply *r, const char *path, const char *token) { call(r, "GET", path, token, NULL, NULL, 0, 0); }

static void post_json(struct wc_reply *r, const char *path, const char *token, const char *body) {
  call(r, "POST", path, token, "application/json", body, strlen(body), 0);
}


/* Asserts an error reply: status, code, optional field. */
static void assert_error(struct wc_reply *r, long status, const char *code, const char *field) {
  if (r->status != status) fail_msg("status %ld, expected %ld: %s", r->status, status, r->body ? r->body : "");
  json_t *e = json_object_get(r->json, "error");
  assert_non_null(e);
  assert_string_equal(json_string_value(json_object_get(e, "code")), code);
  const char *msg = json_string_value(json_object_get(e, "message"));
  assert_non_null(msg);
  assert_true(strlen(msg) > 5);
  if (field) assert_string_equal(json_string_value(json_object_get(e, "field")), field);
}

static char *token_for(const char *email) {
  struct user sys;
  char *t;
  user_system(&sys, "test");
  if (user_token_create(&t, E.db, &sys, email, "test")) fail_msg("token: %s", err_msg());
  return t;
}

static int setup(void **state) {
  (void)state;
  struct user sys;
  user_system(&sys, "test");
  E.db = fixture_db(E.dir);
  fixture_territory(E.db);
  assert_int_equal(workflow_init(NULL, E.db, E.dir, &sys, "Test <test@appui.example>"), 0);
  int64_t id;
  struct catalog_org_new org = {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1};
  assert_int_equal(catalog_org_add(&id, E.db, &sys, &org), 0);
  struct catalog_org_new caue = {"caue31", "CAUE 31", "satellite", NULL, NULL, NULL, -1};
  assert_int_equal(catalog_org_add(&id, E.db, &sys, &caue), 0);
  const char *themes[] = {"voirie"};
  struct catalog_offer_new offer = {.slug = "atd-voirie", .org = "atd31", .kind = "amo", .title = "Voirie",
                                    .themes = themes, .n_themes = 1, .perimeter = "departement:31", .sla_ack = -1,
                                    .sla_take = -1, .sla_resolve = -1};
  assert_int_equal(catalog_offer_add(&id, E.db, &sys, &offer), 0);
  struct user_new users[] = {
      {"maire@agassac.example", "Mairie d'Agassac", "requester", "31001", NULL, NULL},
      {"maire@aigrefeuille.example", "Mairie d'Aigrefeuille", "requester", "31003", NULL, NULL},
      {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL},
      {"agent@atd31.example", "Agent ATD", "agent", NULL, "atd31", NULL},
      {"chef@atd31.example", "Chef ATD", "head", NULL, "atd31", NULL},
      {"chef@caue31.example", "Chef CAUE", "head", NULL, "caue31", NULL},
  };
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) assert_int_equal(user_add(&id, E.db, &sys, &users[i]), 0);
  E.tok_mayor = token_for("maire@agassac.example");
  E.tok_other = token_for("maire@aigrefeuille.example");
  E.tok_coord = token_for("coordination@appui.example");
  E.tok_agent = token_for("agent@atd31.example");
  E.tok_head = token_for("chef@atd31.example");
  E.tok_head_caue = token_for("chef@caue31.example");
  struct request_new r1 = {"31001", "Chemin communal", "Réfection du chemin de la Côte", themes, 1, NULL, -1, NULL};
  struct request_new r2 = {"31003", "Pont fissuré", "Inspection du pont communal", themes, 1, NULL, -1, NULL};
  assert_int_equal(request_file(E.ref_mayor, NULL, E.db, &sys, &r1), 0);
  assert_int_equal(request_file(E.ref_other, NULL, E.db, &sys, &r2), 0);
  struct server_options o = {"127.0.0.1:0", E.dir, 2};
  assert_int_equal(server_start(&E.server, &o), 0);
  snprintf(E.base, sizeof E.base, "http://127.0.0.1:%u", (unsigned)server_port(E.server));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  server_stop(E.server);
  db_close(E.db);
  free(E.tok_mayor);
  free(E.tok_other);
  free(E.tok_coord);
  free(E.tok_agent);
  free(E.tok_head);
  free(E.tok_head_caue);
  fixture_rmdir(E.dir);
  return 0;
}

static void health_answers_with_security_headers(void **state) {
  (void)state;
  struct wc_reply r;
  char v[256];
  get(&r, "/healthz", NULL);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
  assert_string_equal(wc_header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
  assert_non_null(strstr(wc_header(&r, "Content-Security-Policy", v, sizeof v), "frame-ancestors 'none'"));
  assert_non_null(wc_header(&r, "Referrer-Policy", v, sizeof v));
  assert_string_equal(wc_header(&r, "Content-Type", v, sizeof v), "application/json");
  wc_done(&r);
}

static void openapi_describes_exactly_the_route_table(void **state) {
  (void)state;
  struct wc_reply r;
  get(&r, "/api/v1/openapi.json", NULL);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(r.json, "openapi")), "3.1.0");
  json_t *paths = json_object_get(r.json, "paths");
  size_t n, documented = 0, api = 0;
  const struct route *t = route_table(&n);
  for (size_t i = 0; i < n; i++) {
    /* The API is /healthz and /api/…; HTML pages and static files are not part of it. */
    if (strncmp(t[i].pattern, "/api/", 5) != 0 && strcmp(t[i].pattern, "/healthz") != 0) continue;
    api++;
    char method[8];
    size_t k;
    for (k = 0; t[i].method[k] && k < sizeof method - 1; k++) method[k] = (char)(t[i].method[k] | 0x20);
    method[k] = 0;
    json_t *op = json_object_get(json_object_get(paths, t[i].pattern), method);
    if (!op) fail_msg("route %s %s missing from openapi.json", t[i].method, t[i].pattern);
    assert_string_equal(json_string_value(json_object_get(op, "summary")), t[i].summary);
  }
  const char *path;
  json_t *item;
  json_object_foreach(paths, path, item) documented += json_object_size(item);
  assert_int_equal(documented, api);
  wc_done(&r);
}

static void file_request_then_read_it(void **state) {
  (void)state;
  struct wc_reply r;
  char loc[256];
  int64_t events = fixture_int(E.db, "SELECT count(*) FROM event WHERE type = 'request.filed'");
  post_json(&r, "/api/v1/requests", E.tok_mayor,
            "{\"title\":\"Éclairage du terrain de sport\",\"description\":\"Les projecteurs sont hors "
            "d'usage.\",\"themes\":[\"energie\",\"batiments\"],\"offer\":\"atd-voirie\",\"budget\":12500.5,"
            "\"desired_date\":\"2999-01-31\"}");
  assert_int_equal(r.status, 201);
  const char *ref = json_string_value(json_object_get(r.json, "ref"));
  assert_non_null(ref);
  assert_non_null(wc_header(&r, "Location", loc, sizeof loc));
  char expect[128];
  snprintf(expect, sizeof expect, "/api/v1/requests/%s", ref);
  assert_string_equal(loc, expect);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "collectivity"), "code")), "31001");
  assert_true(json_real_value(json_object_get(r.json, "budget")) == 12500.5);
  assert_string_equal(json_string_value(json_object_get(r.json, "filed_by")), "maire@agassac.example");
  struct wc_reply g;
  get(&g, loc, E.tok_mayor);
  assert_int_equal(g.status, 200);
  assert_string_equal(json_string_value(json_object_get(g.json, "title")), "Éclairage du terrain de sport");
  assert_int_equal(json_array_size(json_object_get(g.json, "themes")), 2);
  wc_done(&g);
  snprintf(expect, sizeof expect, "/api/v1/requests/%s/events", ref);
  get(&g, expect, E.tok_mayor);
  assert_int_equal(g.status, 200);
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(g.json, "items"), 0), "type")),
                      "request.filed");
  wc_done(&g);
  assert_int_equal(fixture_int(E.db, "SELECT count(*) FROM event WHERE type = 'request.filed'"), events + 1);
  wc_done(&r);
}

/* Posts `body` to the filing route and checks the refusal changes nothing. */
static void refused_filing(const char *token, const char *type, const char *body, long status, const char *code,
                           const char *field) {
  char before[65], after[65];
  struct wc_reply r;
  fixture_digest(E.db, before);
  call(&r, "POST", "/api/v1/requests", token, type, body, strlen(body), 0);
  assert_error(&r, status, code, field);
  wc_done(&r);
  fixture_digest(E.db, after);
  assert_string_equal(before, after);
}

static void bad_filings_are_refused_and_change_nothing(void **state) {
  (void)state;
  const char *ok_type = "application/json";
  refused_filing(NULL, ok_type, "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}", 401,
                 "unauthenticated", NULL);
  refused_filing("appui_0000000000000000000000000000000000000000000000000000000000000000", ok_type,
                 "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}", 401, "unauthenticated", NULL);
  refused_filing(E.tok_mayor, ok_type, "{\"title\":\"x\",", 400, "malformed", NULL);
  refused_filing(E.tok_mayor, ok_type, "[1,2]", 400, "malformed", NULL);
  refused_filing(E.tok_mayor, ok_type, "", 400, "malformed", NULL);
  refused_filing(E.tok_mayor, "text/plain", "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}", 415,
                 "unsupported_media_type", NULL);
  refused_filing(E.tok_mayor, NULL, "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}", 415,
                 "unsupported_media_type", NULL);
  refused_filing(E.tok_coord, ok_type,
                 "{\"collectivity\":\"99999\",\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}", 422,
                 "invalid", "collectivity");
  refused_filing(E.tok_mayor, ok_type, "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"routes\"]}", 422,
                 "invalid", "themes");
  refused_filing(E.tok_mayor, ok_type, "{\"title\":\"x\",\"description\":\"y\",\"themes\":[]}", 422, "invalid",
                 "themes");
  refused_filing(E.tok_mayor, ok_type, "{\"title\":\"  \",\"description\":\"y\",\"themes\":[\"voirie\"]}", 422,
                 "invalid", "title");
  refused_filing(E.tok_mayor, ok_type, "{\"title\":42,\"description\":\"y\",\"themes\":[\"voirie\"]}", 422,
                 "invalid", "title");
  refused_filing(E.tok_mayor, ok_type, "{\"titel\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}", 422,
                 "invalid", "titel");
  refused_filing(E.tok_mayor, ok_type,
                 "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"],\"budget\":-3}", 422, "invalid",
                 "budget");
  refused_filing(E.tok_mayor, ok_type,
                 "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"],\"desired_date\":\"2026-02-30\"}",
                 422, "invalid", "desired_date");
  refused_filing(E.tok_mayor, ok_type,
                 "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"],\"offer\":\"inconnue\"}", 422,
                 "invalid", "offer");
  refused_filing(E.tok_mayor, ok_type,
                 "{\"collectivity\":\"31003\",\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}", 403,
                 "forbidden", NULL);
  refused_filing(E.tok_agent, ok_type, "{\"collectivity\":\"31003\",\"title\":\"x\",\"description\":\"y\",\"themes\":[\"voirie\"]}",
                 403, "forbidden", NULL);
}

static void oversize_bodies_get_413(void **state) {
  (void)state;
  char before[65], after[65];
  size_t n = 300 * 1024;
  char *big = malloc(n + 1);
  memset(big, ' ', n);
  static const char head[] = "{\"title\":\"x\",\"description\":\"", tail[] = "\",\"themes\":[\"voirie\"]}";
  memcpy(big, head, sizeof head - 1);
  memcpy(big + n - (sizeof tail - 1), tail, sizeof tail - 1);
  big[n] = 0;
  fixture_digest(E.db, before);
  struct wc_reply r;
  call(&r, "POST", "/api/v1/requests", E.tok_mayor, "application/json", big, n, 0);
  assert_error(&r, 413, "too_large", NULL);
  wc_done(&r);
  call(&r, "POST", "/api/v1/requests", E.tok_mayor, "application/json", big, n, 1);
  assert_error(&r, 413, "too_large", NULL);
  wc_done(&r);
  fixture_digest(E.db, after);
  assert_string_equal(before, after);
  free(big);
}

static void reading_is_limited_by_the_permission_rule(void **state) {
  (void)state;
  struct wc_reply r;
  char path[128];
  snprintf(path, sizeof path, "/api/v1/requests/%s", E.ref_other);
  get(&r, path, E.tok_mayor);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  get(&r, path, NULL);
  assert_error(&r, 401, "unauthenticated", NULL);
  char v[128];
  assert_non_null(wc_header(&r, "WWW-Authenticate", v, sizeof v));
  wc_done(&r);
  get(&r, path, E.tok_coord);
  assert_int_equal(r.status, 200);
  wc_done(&r);
  /* The agent sees nothing until its org has a part on the request. */
  get(&r, path, E.tok_agent);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  char sql[256];
  snprintf(sql, sizeof sql,
           "INSERT INTO part (request, org, role, created_at, updated_at) SELECT id, "
           "(SELECT id FROM org WHERE slug = 'atd31'), 'lead', 0, 0 FROM request WHERE ref = '%s'",
           E.ref_other);
  assert_int_equal(db_exec(E.db, sql), 0);
  get(&r, path, E.tok_agent);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "parts"), 0), "role")),
                      "lead");
  wc_done(&r);
  get(&r, "/api/v1/requests", E.tok_agent);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
  wc_done(&r);
  get(&r, "/api/v1/requests/2026-999999", E.tok_coord);
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  /* Not a reference at all: unknown, with the expected form in the message. */
  static const char *const bad_refs[] = {"/api/v1/requests/abc", "/api/v1/requests/2026-000000",
                                         "/api/v1/requests/2026-1", "/api/v1/requests/20261-00001"};
  for (size_t i = 0; i < sizeof bad_refs / sizeof bad_refs[0]; i++) {
    get(&r, bad_refs[i], E.tok_coord);
    assert_error(&r, 404, "not_found", NULL);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")), "AAAA-NNNNNN"));
    wc_done(&r);
  }
}

static void listing_filters_and_pages(void **state) {
  (void)state;
  struct wc_reply r;
  get(&r, "/api/v1/requests?limit=1", E.tok_mayor);
  assert_int_equal(r.status, 200);
  json_t *items = json_object_get(r.json, "items");
  assert_int_equal(json_array_size(items), 1);
  /* A requester's list holds its own collectivity only, across all pages. */
  int seen = 0;
  char path[256];
  const char *cursor = json_string_value(json_object_get(r.json, "next_cursor"));
  assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(items, 0), "collectivity"), "code")),
                      "31001");
  seen++;
  while (cursor) {
    snprintf(path, sizeof path, "/api/v1/requests?limit=1&cursor=%s", cursor);
    struct wc_reply p;
    get(&p, path, E.tok_mayor);
    assert_int_equal(p.status, 200);
    json_t *it = json_object_get(p.json, "items");
    if (json_array_size(it)) {
      assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(it, 0), "collectivity"), "code")),
                          "31001");
      seen++;
    }
    wc_done(&r);
    r = p;
    cursor = json_string_value(json_object_get(r.json, "next_cursor"));
  }
  wc_done(&r);
  assert_int_equal(seen, fixture_int(E.db, "SELECT count(*) FROM request WHERE collectivity = '31001'"));
  get(&r, "/api/v1/requests?q=pont&theme=voirie", E.tok_coord);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
  wc_done(&r);
  get(&r, "/api/v1/requests?epci=200072643", E.tok_coord); /* CC Coeur et Coteaux du Comminges holds Agassac */
  assert_int_equal(r.status, 200);
  assert_true(json_array_size(json_object_get(r.json, "items")) >= 1);
  wc_done(&r);
  get(&r, "/api/v1/requests?limit=0", E.tok_coord);
  assert_error(&r, 422, "invalid", "limit");
  wc_done(&r);
  get(&r, "/api/v1/requests?cursor=abc", E.tok_coord);
  assert_error(&r, 422, "invalid", "cursor");
  wc_done(&r);
}

static void messages_follow_visibility(void **state) {
  (void)state;
  struct wc_reply r;
  char path[128], before[65], after[65];
  snprintf(path, sizeof path, "/api/v1/requests/%s/messages", E.ref_mayor);
  post_json(&r, path, E.tok_mayor, "{\"body\":\"Voici les photos demandées.\"}");
  assert_int_equal(r.status, 201);
  assert_string_equal(json_string_value(json_object_get(r.json, "visibility")), "public");
  wc_done(&r);
  post_json(&r, path, E.tok_coord, "{\"body\":\"Note : prévoir une visite.\",\"visibility\":\"internal\"}");
  assert_int_equal(r.status, 201);
  wc_done(&r);
  fixture_digest(E.db, before);
  post_json(&r, path, E.tok_mayor, "{\"body\":\"Je veux écrire une note interne\",\"visibility\":\"internal\"}");
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  post_json(&r, path, E.tok_mayor, "{\"body\":\"\"}");
  assert_error(&r, 422, "invalid", "body");
  wc_done(&r);
  post_json(&r, path, E.tok_other, "{\"body\":\"Intrusion\"}");
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  post_json(&r, "/api/v1/requests/2026-999999/messages", E.tok_coord, "{\"body\":\"Inconnue\"}");
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  fixture_digest(E.db, after);
  assert_string_equal(before, after);
  /* The requester sees the public message only; the coordinator both. */
  snprintf(path, sizeof path, "/api/v1/requests/%s", E.ref_mayor);
  get(&r, path, E.tok_mayor);
  assert_int_equal(json_array_size(json_object_get(r.json, "messages")), 1);
  wc_done(&r);
  get(&r, path, E.tok_coord);
  assert_int_equal(json_array_size(json_object_get(r.json, "messages")), 2);
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/events", E.ref_mayor);
  get(&r, path, E.tok_mayor);
  json_t *ev;
  size_t i;
  json_array_foreach(json_object_get(r.json, "items"), i, ev) {
    const char *vis = json_string_value(json_object_get(json_object_get(ev, "data"), "visibility"));
    assert_true(!vis || strcmp(vis, "internal") != 0);
  }
  wc_done(&r);
}

static void attachments_are_checked(void **state) {
  (void)state;
  struct wc_reply r;
  char path[160], before[65], after[65];
  static const char pdf[] = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
  snprintf(path, sizeof path, "/api/v1/requests/%s/attachments?name=devis.pdf", E.ref_mayor);
  call(&r, "POST", path, E.tok_mayor, "application/pdf", pdf, sizeof pdf - 1, 0);
  assert_int_equal(r.status, 201);
  assert_int_equal(json_integer_value(json_object_get(r.json, "size")), sizeof pdf - 1);
  wc_done(&r);
  fixture_digest(E.db, before);
  call(&r, "POST", path, E.tok_mayor, "application/pdf", "\x89PNG\r\n\x1a\nxxxx", 12, 0);
  assert_error(&r, 415, "unsupported_media_type", NULL);
  wc_done(&r);
  call(&r, "POST", path, E.tok_mayor, "application/x-msdownload", "MZ\x90\x00", 4, 0);
  assert_error(&r, 415, "unsupported_media_type", NULL);
  wc_done(&r);
  size_t n = 10u * 1024u * 1024u + 1;
  char *big = malloc(n);
  memcpy(big, "%PDF-", 5);
  memset(big + 5, 'a', n - 5);
  call(&r, "POST", path, E.tok_mayor, "application/pdf", big, n, 0);
  assert_error(&r, 413, "too_large", NULL);
  wc_done(&r);
  free(big);
  snprintf(path, sizeof path, "/api/v1/requests/%s/attachments", E.ref_mayor);
  call(&r, "POST", path, E.tok_mayor, "application/pdf", pdf, sizeof pdf - 1, 0);
  assert_error(&r, 422, "invalid", "name");
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/attachments?name=..%%2Fetc%%2Fpasswd", E.ref_mayor);
  call(&r, "POST", path, E.tok_mayor, "application/pdf", pdf, sizeof pdf - 1, 0);
  assert_error(&r, 422, "invalid", "name");
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/attachments?name=x.pdf", E.ref_other);
  call(&r, "POST", path, E.tok_mayor, "application/pdf", pdf, sizeof pdf - 1, 0);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  fixture_digest(E.db, after);
  assert_string_equal(before, after);
}

static void territory_and_catalogue_are_public(void **state) {
  (void)state;
  struct wc_reply r;
  get(&r, "/api/v1/territory/communes/31555", NULL);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(r.json, "name")), "Toulouse");
  assert_true(json_integer_value(json_object_get(r.json, "population")) > 400000);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "epci"), "code")), "243100518");
  wc_done(&r);
  get(&r, "/api/v1/territory/communes/243100518", NULL);
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  get(&r, "/api/v1/territory/collectivities/243100518", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "member_count")), 37);
  wc_done(&r);
  get(&r, "/api/v1/territory/communes/00000", NULL);
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  get(&r, "/api/v1/offers?theme=voirie", NULL);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "items"), 0), "slug")),
                      "atd-voirie");
  wc_done(&r);
  get(&r, "/api/v1/offers?theme=tourisme", NULL);
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
  wc_done(&r);
  get(&r, "/api/v1/orgs", NULL);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
  wc_done(&r);
  get(&r, "/api/v1/orgs/atd31", NULL);
  assert_int_equal(json_array_size(json_object_get(r.json, "offer_list")), 1);
  wc_done(&r);
  get(&r, "/api/v1/offers/nope", NULL);
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  get(&r, "/api/v1/themes", NULL);
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 15);
  wc_done(&r);
  get(&r, "/api/v1/me", E.tok_agent);
  assert_string_equal(json_string_value(json_object_get(r.json, "org")), "atd31");
  wc_done(&r);
}

static void unknown_routes_and_methods(void **state) {
  (void)state;
  struct wc_reply r;
  get(&r, "/api/v1/nowhere", NULL);
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  call(&r, "DELETE", "/api/v1/requests", E.tok_coord, NULL, NULL, 0, 0);
  assert_error(&r, 405, "method_not_allowed", NULL);
  wc_done(&r);
  get(&r, "/api/v1/requests", "Basic Zm9vOmJhcg==");
  assert_error(&r, 401, "unauthenticated", NULL);
  wc_done(&r);
  /* A body on a route that takes none. */
  call(&r, "GET", "/api/v1/themes", NULL, "application/json", "{}", 2, 0);
  assert_error(&r, 413, "too_large", NULL);
  wc_done(&r);
}

/* One client of concurrent_filings_are_each_committed: files `n` requests,
 * every third one invalid, and records the references of the others. */
struct filer {
  int n, ok, refused;
  char refs[40][REQUEST_REF_SIZE];
};

static void *file_many(void *arg) {
  struct filer *f = arg;
  for (int i = 0; i < f->n; i++) {
    struct wc_reply r;
    const char *body = i % 3 == 2 ? "{\"title\":\"x\",\"description\":\"y\",\"themes\":[\"inconnue\"]}"
                                  : "{\"title\":\"Déposée en même temps\",\"description\":\"Concurrence\",\"themes\":[\"voirie\"]}";
    call(&r, "POST", "/api/v1/requests", E.tok_mayor, "application/json", body, strlen(body), 0);
    if (r.status == 201 && f->ok < 40)
      snprintf(f->refs[f->ok++], REQUEST_REF_SIZE, "%s", json_string_value(json_object_get(r.json, "ref")));
    else if (r.status == 422)
      f->refused++;
    wc_done(&r);
  }
  return NULL;
}

/* Writing routes arriving together share one transaction (group commit):
 * each valid filing is acknowledged once committed, an invalid one in the
 * same batch changes nothing of the others. */
static void concurrent_filings_are_each_committed(void **state) {
  (void)state;
  pthread_t threads[6];
  struct filer filers[6];
  int64_t before = fixture_int(E.db, "SELECT count(*) FROM request");
  for (int i = 0; i < 6; i++) {
    memset(&filers[i], 0, sizeof filers[i]);
    filers[i].n = 15;
    assert_int_equal(pthread_create(&threads[i], NULL, file_many, &filers[i]), 0);
  }
  int ok = 0, refused = 0;
  for (int i = 0; i < 6; i++) {
    pthread_join(threads[i], NULL);
    ok += filers[i].ok;
    refused += filers[i].refused;
  }
  assert_int_equal(ok, 60);
  assert_int_equal(refused, 30);
  assert_int_equal(fixture_int(E.db, "SELECT count(*) FROM request"), before + 60);
  /* Every acknowledged reference exists, once, with its journal line and its circuit. */
  for (int i = 0; i < 6; i++)
    for (int k = 0; k < filers[i].ok; k++) {
      char sql[300];
      snprintf(sql, sizeof sql,
               "SELECT (SELECT count(*) FROM request WHERE ref = '%s') + (SELECT count(*) FROM event e JOIN request r "
               "ON r.id = e.request WHERE r.ref = '%s' AND e.type = 'request.filed') + (SELECT count(*) FROM instance i "
               "JOIN request r ON r.id = i.request WHERE r.ref = '%s')",
               filers[i].refs[k], filers[i].refs[k], filers[i].refs[k]);
      assert_int_equal(fixture_int(E.db, sql), 3);
    }
  assert_int_equal(fixture_int(E.db, "SELECT count(DISTINCT ref) FROM request"), fixture_int(E.db, "SELECT count(*) FROM request"));
}

static void matches_are_explained_to_services_only(void **state) {
  (void)state;
  struct wc_reply r;
  char path[160];
  snprintf(path, sizeof path, "/api/v1/requests/%s/matches?explain=1", E.ref_mayor);
  get(&r, path, E.tok_coord);
  assert_int_equal(r.status, 200);
  json_t *first = json_array_get(json_object_get(r.json, "offers"), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(first, "org"), "slug")), "atd31");
  assert_true(json_is_object(json_object_get(first, "components")));
  assert_true(json_array_size(json_object_get(first, "reasons")) > 0);
  assert_true(json_is_array(json_object_get(r.json, "excluded")));
  wc_done(&r);
  get(&r, path, E.tok_mayor);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  /* A dry run for any collectivity. */
  get(&r, "/api/v1/matches?collectivity=31001&theme=voirie&text=chemin", E.tok_coord);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "eligible")), 1);
  wc_done(&r);
  get(&r, "/api/v1/matches?collectivity=31001", E.tok_coord);
  assert_error(&r, 422, "invalid", "theme");
  wc_done(&r);
  get(&r, "/api/v1/matches?collectivity=99999&theme=voirie", E.tok_coord);
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  get(&r, "/api/v1/matches?collectivity=31001&theme=piscine", E.tok_coord);
  assert_error(&r, 422, "invalid", "themes");
  wc_done(&r);
  get(&r, "/api/v1/matches?collectivity=31001&theme=voirie&limit=0", E.tok_coord);
  assert_error(&r, 422, "invalid", "limit");
  wc_done(&r);
}

/* A part's life over HTTP; every refusal leaves the base unchanged. */
static void parts_move_under_the_permission_rule(void **state) {
  (void)state;
  struct wc_reply r;
  char path[200], before[65], after[65];
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts", E.ref_mayor);
  fixture_digest(E.db, before);
  post_json(&r, path, E.tok_mayor, "{\"org\":\"atd31\"}");
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  post_json(&r, path, E.tok_coord, "{\"org\":\"inconnue\"}");
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  post_json(&r, path, E.tok_coord, "{\"org\":\"atd31\",\"role\":\"chef\"}");
  assert_error(&r, 422, "invalid", "role");
  wc_done(&r);
  post_json(&r, path, E.tok_coord, "{\"organisation\":\"atd31\"}");
  assert_error(&r, 422, "invalid", "organisation");
  wc_done(&r);
  fixture_digest(E.db, after);
  assert_string_equal(before, after);
  post_json(&r, path, E.tok_coord, "{\"org\":\"atd31\",\"offer\":\"atd-voirie\"}");
  assert_int_equal(r.status, 201);
  json_t *p = json_array_get(json_object_get(r.json, "items"), 0);
  assert_string_equal(json_string_value(json_object_get(p, "state")), "proposed");
  assert_string_equal(json_string_value(json_object_get(p, "role")), "lead");
  wc_done(&r);
  /* Refusals: no reason, another org's head, an agent accepting, a part
   * that does not exist, an unknown operation, a move from the wrong state. */
  fixture_digest(E.db, before);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/decline", E.ref_mayor);
  post_json(&r, path, E.tok_head, "{}");
  assert_error(&r, 422, "invalid", "reason");
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/accept", E.ref_mayor);
  post_json(&r, path, E.tok_head_caue, "{}");
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  post_json(&r, path, E.tok_agent, "{}");
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/caue31/accept", E.ref_mayor);
  post_json(&r, path, E.tok_coord, "{}");
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/exploser", E.ref_mayor);
  post_json(&r, path, E.tok_coord, "{}");
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/done", E.ref_mayor);
  post_json(&r, path, E.tok_coord, "{}");
  assert_error(&r, 409, "conflict", NULL);
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/assign", E.ref_mayor);
  post_json(&r, path, E.tok_head, "{\"agent\":\"chef@caue31.example\"}");
  assert_error(&r, 422, "invalid", "agent");
  wc_done(&r);
  fixture_digest(E.db, after);
  assert_string_equal(before, after);
  /* The head accepts and assigns; the agent works it through. */
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/accept", E.ref_mayor);
  post_json(&r, path, E.tok_head, "{}");
  assert_int_equal(r.status, 200);
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/assign", E.ref_mayor);
  post_json(&r, path, E.tok_head, "{\"agent\":\"agent@atd31.example\"}");
  assert_int_equal(r.status, 200);
  p = json_array_get(json_object_get(r.json, "items"), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(p, "agent"), "email")), "agent@atd31.example");
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/start", E.ref_mayor);
  post_json(&r, path, E.tok_agent, "{}");
  assert_int_equal(r.status, 200);
  wc_done(&r);
  /* The queue: this part, and the one an earlier test gave atd31. */
  get(&r, "/api/v1/orgs/atd31/queue", E.tok_head);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
  wc_done(&r);
  get(&r, "/api/v1/orgs/atd31/queue", E.tok_head_caue);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  get(&r, "/api/v1/orgs/atd31/queue?state=fini", E.tok_head);
  assert_error(&r, 422, "invalid", "state");
  wc_done(&r);
  fixture_digest(E.db, before);
  post_json(&r, "/api/v1/parts/reassign", E.tok_head_caue, "{\"from\":\"agent@atd31.example\"}");
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  post_json(&r, "/api/v1/parts/reassign", E.tok_head, "{\"from\":\"agent@atd31.example\",\"to\":\"personne@x.fr\"}");
  assert_error(&r, 404, "not_found", NULL);
  wc_done(&r);
  fixture_digest(E.db, after);
  assert_string_equal(before, after);
  post_json(&r, "/api/v1/parts/reassign", E.tok_head, "{\"from\":\"agent@atd31.example\"}");
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(r.json, "moved")), 1);
  assert_string_equal(json_string_value(json_object_get(r.json, "from")), "agent@atd31.example");
  wc_done(&r);
  snprintf(path, sizeof path, "/api/v1/requests/%s/parts/atd31/done", E.ref_mayor);
  post_json(&r, path, E.tok_head, "{}");
  assert_int_equal(r.status, 200);
  p = json_array_get(json_object_get(r.json, "items"), 0);
  assert_string_equal(json_string_value(json_object_get(p, "state")), "done");
  wc_done(&r);
  /* The deadlines, read like the request. */
  snprintf(path, sizeof path, "/api/v1/requests/%s/sla", E.ref_mayor);
  get(&r, path, E.tok_mayor);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "targets")), 3);
  wc_done(&r);
  get(&r, path, E.tok_other);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
}

/* The board: counts that follow the filters, a page of requests, the
 * export of the view as a file, the statistics; services only. */
static void board_counts_lists_and_exports(void **state) {
  (void)state;
  struct wc_reply r;
  char v[256];
  get(&r, "/api/v1/board", E.tok_coord);
  assert_int_equal(r.status, 200);
  json_t *counts = json_object_get(r.json, "counts");
  int64_t total = json_integer_value(json_object_get(counts, "total"));
  assert_int_equal(total, fixture_int(E.db, "SELECT count(*) FROM request"));
  assert_true(json_array_size(json_object_get(counts, "columns")) >= 1);
  assert_true(json_array_size(json_object_get(r.json, "items")) >= 2);
  wc_done(&r);
  /* The org filter: the requests where atd31 has a part. */
  get(&r, "/api/v1/board?org=atd31&limit=1", E.tok_coord);
  assert_int_equal(r.status, 200);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "counts"), "total")),
                   fixture_int(E.db, "SELECT count(DISTINCT request) FROM part WHERE org = (SELECT id FROM org WHERE slug = 'atd31')"));
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
  wc_done(&r);
  get(&r, "/api/v1/board", E.tok_mayor);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  get(&r, "/api/v1/board?late=peut-etre", E.tok_coord);
  assert_error(&r, 422, "invalid", "late");
  wc_done(&r);
  get(&r, "/api/v1/board?limit=500", E.tok_coord);
  assert_error(&r, 422, "invalid", "limit");
  wc_done(&r);
  /* Exports: CSV with its BOM and ';', XLSX as a zip, both attachments. */
  get(&r, "/api/v1/board/export?format=csv", E.tok_coord);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(wc_header(&r, "Content-Type", v, sizeof v), "text/csv"));
  assert_non_null(strstr(wc_header(&r, "Content-Disposition", v, sizeof v), "attachment"));
  assert_memory_equal(r.body, "\xEF\xBB\xBF" "R\xC3\xA9" "f\xC3\xA9" "rence;", 15);
  wc_done(&r);
  get(&r, "/api/v1/board/export?format=xlsx&theme=voirie", E.tok_coord);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(wc_header(&r, "Content-Type", v, sizeof v), "spreadsheetml"));
  assert_true(r.len > 4 && memcmp(r.body, "PK\x03\x04", 4) == 0);
  wc_done(&r);
  get(&r, "/api/v1/board/export?format=pdf", E.tok_coord);
  assert_error(&r, 422, "invalid", "format");
  wc_done(&r);
  get(&r, "/api/v1/board/export", E.tok_mayor);
  assert_error(&r, 403, "forbidden", NULL);
  wc_done(&r);
  get(&r, "/api/v1/stats?theme=voirie", E.tok_coord);
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(r.json, "unit")), "hours");
  assert_true(json_is_array(json_object_get(r.json, "months")));
  wc_done(&r);
  get(&r, "/api/v1/stats?theme=piscine", E.tok_coord);
  assert_error(&r, 422, "invalid", "theme");
  wc_done(&r);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(health_answers_with_security_headers),
      cmocka_unit_test(openapi_describes_exactly_the_route_table),
      cmocka_unit_test(file_request_then_read_it),
      cmocka_unit_test(bad_filings_are_refused_and_change_nothing),
      cmocka_unit_test(oversize_bodies_get_413),
      cmocka_unit_test(reading_is_limited_by_the_permission_rule),
      cmocka_unit_test(listing_filters_and_pages),
      cmocka_unit_test(messages_follow_visibility),
      cmocka_unit_test(attachments_are_checked),
      cmocka_unit_test(territory_and_catalogue_are_public),
      cmocka_unit_test(unknown_routes_and_methods),
      cmocka_unit_test(concurrent_filings_are_each_committed),
      cmocka_unit_test(matches_are_explained_to_services_only),
      cmocka_unit_test(parts_move_under_the_permission_rule),
      cmocka_unit_test(board_counts_lists_and_exports),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  curl_global_cleanup();
  return rc;
}
