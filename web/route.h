/* route — the one route table of the HTTP server: reading it tells the
 * whole public surface (method, path pattern, handler, authentication, body
 * limit, summary). Patterns have literal segments and {name} parameters. */
#ifndef APPUI_ROUTE_H
#define APPUI_ROUTE_H
#include "http.h"
#include <stddef.h>

typedef int (*route_handler)(struct http_req *req, struct http_resp *resp);

enum route_auth {
  ROUTE_PUBLIC,    /* API: no credentials needed (a valid one is still read) */
  ROUTE_USER,      /* API: a valid Bearer token is required */
  ROUTE_PAGE,      /* HTML page open to all: the session cookie is read when valid */
  ROUTE_PAGE_USER  /* HTML page of signed-in accounts: without a valid session, GET
                    * redirects to /connexion; a POST must carry the session's CSRF
                    * token (form field "csrf" or header X-CSRF-Token) */
};

struct route {
  const char *method;       /* "GET", "POST" */
  const char *pattern;      /* "/api/v1/requests/{ref}" */
  route_handler handler;
  enum route_auth auth;
  size_t max_body;          /* largest accepted request body in bytes */
  const char *summary;      /* one line, French, also in openapi.json */
};

struct route_match {
  const struct route *route; /* matched route, or NULL */
  int path_known;            /* 1 if the path matched some route with another method */
  const char *params[HTTP_MAX_PARAMS];
  int n_params;
  char scratch[512];         /* storage of the parameters */
};

/* The route table and its length (static). */
const struct route *route_table(size_t *n);

/* Finds the route for `method` and `path` and extracts its parameters into
 * *m. Returns 1 when found, 0 otherwise (see m->path_known for 405). */
int route_match(struct route_match *m, const char *method, const char *path);

#endif
