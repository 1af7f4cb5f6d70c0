/* http — one HTTP exchange as handlers see it: the request (method, path
 * parameters, query, JSON body, authenticated user, the thread's database)
 * and the response they fill (status, JSON or bytes, Location). Also the
 * mapping from error codes to HTTP statuses and JSON error bodies. */
#ifndef APPUI_HTTP_H
#define APPUI_HTTP_H
#include "user.h"
#include <jansson.h>
#include <stddef.h>

struct db;
struct engine;
struct MHD_Connection;
struct form;

#define HTTP_MAX_PARAMS 4

struct http_req {
  struct MHD_Connection *conn;
  const char *method, *path;
  const char *params[HTTP_MAX_PARAMS]; /* path parameters in order ({ref}…), owned by the exchange */
  int n_params;
  const char *body;      /* request body (NUL-terminated), NULL if none */
  size_t body_len;
  struct user user;      /* authenticated user, when `authenticated` */
  int authenticated;
  struct db *db;         /* this thread's connection (the writer's for writing routes) */
  struct engine *engine; /* the workflow engine over the writer, for writing routes; else NULL */
  const char *blobs;     /* directory of the blob store */
  const char *data_dir;  /* the data directory (appui.db, blobs/, workflows.git) */
  /* Pages only (route auth ROUTE_PAGE, ROUTE_PAGE_USER; see page.h): */
  const char *session;   /* the session cookie's token when it is valid, else NULL */
  char csrf[65];         /* that session's CSRF token, else "" */
  struct form *form;     /* the parsed form of a POST, else NULL */
};

struct http_resp {
  int status;            /* HTTP status */
  json_t *json;          /* JSON body (owned), or NULL */
  char *bytes;           /* raw body (owned, free()), used when json is NULL */
  size_t len;
  const char *type;      /* media type of `bytes` (static) */
  char location[256];    /* Location header when not empty */
  char disposition[128]; /* Content-Disposition header when not empty */
  char cookies[2][320];  /* Set-Cookie headers when not empty (pages) */
  int hx_redirect;       /* send `location` as HX-Redirect (htmx), not as a 303 */
};

/* Sets a JSON response: steals `body`. Returns 0. */
int http_json(struct http_resp *r, int status, json_t *body);

/* Sets a static or copied raw response of media type `type`. Returns 0 or
 * ERR_NOMEM. */
int http_bytes(struct http_resp *r, int status, const char *type, const char *data, size_t len);

/* Sets a raw response of media type `type` (static) taking ownership of
 * `data` (malloc'ed, `len` bytes). Returns 0. */
int http_take(struct http_resp *r, int status, const char *type, char *data, size_t len);

/* The HTTP status for error code `rc` (422, 404, 403, 409, 413, 400, 401,
 * 415, 503, 500). */
int http_status_of(int rc);

/* Sets the JSON error response {"error":{"code","message","field"?}} for
 * error code `rc` with the thread's last error message. */
void http_error(struct http_resp *r, int rc);

/* Value of query parameter `name` (percent-decoded), or NULL. */
const char *http_query(const struct http_req *q, const char *name);

/* Value of request header `name`, or NULL. */
const char *http_header(const struct http_req *q, const char *name);

/* Value of cookie `name`, or NULL. */
const char *http_cookie(const struct http_req *q, const char *name);

/* The client's IP address as text into `out` ("" when unknown). */
void http_client_address(char out[64], const struct http_req *q);

/* Parses the body as a JSON object after checking that the Content-Type is
 * application/json. Returns 0 and a new reference, ERR_MEDIATYPE or
 * ERR_MALFORMED (with the line and column). */
int http_body_object(json_t **out, const struct http_req *q);

/* Refuses members of `o` not in the NULL-terminated list `allowed`:
 * returns 0 or ERR_INVALID naming the unknown field. */
int http_fields_allowed(const json_t *o, const char *const *allowed);

/* Reads optional string member `key` of `o` into *out (borrowed; NULL when
 * absent or null). Returns 0 or ERR_INVALID if it is not a string. */
int http_field_str(const char **out, const json_t *o, const char *key);

/* Reads optional member `key` as an array of strings into `out` (at most
 * `max`, borrowed) and their count into *n. Returns 0 or ERR_INVALID. */
int http_field_strs(const char **out, int max, int *n, const json_t *o, const char *key);

/* Reads optional number member `key` into *out and sets *present.
 * Returns 0 or ERR_INVALID. */
int http_field_num(double *out, int *present, const json_t *o, const char *key);

#endif
