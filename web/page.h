/* page — what every HTML page shares: the template set (web/templates/,
 * embedded, or read from disk while developing), the common part of the
 * view model (the signed-in account and its role flags, the CSRF token, the
 * navigation of the role), rendering as HTML or, to `Accept:
 * application/json`, as the JSON view model itself, redirections after a
 * form (303), and the French error page.
 *
 * Page handlers are ordinary route handlers (route.h) with auth ROUTE_PAGE
 * or ROUTE_PAGE_USER: the server has already read the session cookie into
 * req->user (req->authenticated), checked the CSRF token of any POST of a
 * signed-in page and parsed its form into req->form. A handler builds its
 * view (a JSON object), then calls page_render(). No business rule lives
 * here: handlers call core/ and workflows/ operations, which apply the
 * permission rule (perm.h).
 *
 * Templates: each page template starts with {{>haut}} and ends with
 * {{>bas}} (the layout). View keys set here, for every template:
 *   me          the account (user_to_json + role_label), absent when anonymous
 *   is_requester, is_staff (agent or head), is_head, is_coordinator
 *               (coordinator or admin), is_admin: true when so
 *   csrf        the session's CSRF token (hidden field "csrf" of every form)
 *   nav         [{href, label, current}] the role's menu
 *   path        the page's path
 *   title       set by the handler (the <title> and the <h1>) */
#ifndef APPUI_PAGE_H
#define APPUI_PAGE_H
#include "http.h"
#include <jansson.h>

/* Name of the session cookie. */
#define PAGE_COOKIE "appui_session"

/* Loads the embedded templates (once; later calls do nothing). Returns 0 or
 * the template error (name, line, column). */
int page_init(void);

/* Development mode: templates are read from `dir` (web/templates) at each
 * render, falling back to the embedded ones, so that an edited template
 * shows at the next reload. NULL goes back to the embedded set. Call
 * before serving. Returns 0 or ERR_IO when `dir` is not a directory. */
int page_set_dir(const char *dir);

/* 1 when the client asked for the JSON view model (Accept:
 * application/json), 0 for HTML. */
int page_wants_json(const struct http_req *q);

/* 1 for a request made by htmx (header HX-Request), which wants a fragment. */
int page_is_htmx(const struct http_req *q);

/* Renders template `name` with `view` (stolen; the common keys above are
 * added) with HTTP status `status`, as HTML, or as the view itself in JSON
 * when the client asked for it. Returns 0, ERR_NOMEM, or ERR_INTERNAL when
 * the template does not parse or render (message with template, line and
 * column; the response is left empty). */
int page_render(struct http_resp *r, const struct http_req *q, int status, const char *name, json_t *view);

/* 1 when `path` is a path of this site that a redirection may go to: it
 * starts with one "/" (not "//" nor "/\", which browsers take for another
 * host), has no control character (a header split) and fits a Location
 * header (255 bytes). 0 otherwise, NULL included. */
int page_local_path(const char *path);

/* Sets a 303 redirection to `location` (page_local_path(); anything else
 * is replaced by "/"). With htmx, also sets HX-Redirect so that the whole
 * page changes. Returns 0. */
int page_redirect(struct http_resp *r, const struct http_req *q, const char *location);

/* Renders the French error page for error `rc` (status from
 * http_status_of, message from err_msg(), what to do next) or its JSON
 * error to a JSON client. Returns 0. */
int page_error(struct http_resp *r, const struct http_req *q, int rc);

/* The thread's last error message (err_msg) as a sentence, its first
 * letter capitalised, into `out` (`size` bytes): for the error notice of a
 * form shown again. */
void page_error_text(char *out, size_t size);

/* Sets cookie `i` (0 or 1) of the response: `name`=`value` for the whole
 * site, HttpOnly, SameSite=Lax, Secure when the request came through TLS
 * (X-Forwarded-Proto: https), lasting `max_age` seconds (0 deletes it). */
void page_cookie(struct http_resp *r, const struct http_req *q, int i, const char *name, const char *value,
                 long max_age);

/* The common view keys for the request's account (see above) added to
 * `view` (borrowed). For handlers rendering a fragment themselves. */
void page_common(json_t *view, const struct http_req *q);

#endif
