/* asset — the static files served under /static/{name}: third-party
 * front-end code (htmx, Chart.js, the bpmn-js viewer and its CSS, installed
 * from the npm lockfile at build time) and our own web/static/ files, all
 * embedded in the binary by cmake/embed.cmake. One flat table of names;
 * nothing is read from disk unless a development directory is set.
 *
 * Embedded files are sent with `Cache-Control: public, max-age=31536000,
 * immutable` and a strong ETag (a hash of the content, computed once at
 * start-up); If-None-Match gives 304. In development mode (asset_set_dir),
 * files are read from that directory at each request (falling back to the
 * embedded copy when absent there) and sent with `Cache-Control: no-cache`
 * and no ETag, so that an edited file shows at the next reload. */
#ifndef APPUI_ASSET_H
#define APPUI_ASSET_H
#include "http.h"
#include <stddef.h>

#define ASSET_ETAG_SIZE 35 /* '"', 32 hex digits, '"', NUL */
#define ASSET_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define ASSET_CACHE_DEV "no-cache"

/* One embedded file. */
struct asset {
  const char *name;            /* public name, under /static/ ("htmx.min.js") */
  const char *type;            /* media type (from the name's extension) */
  const char *data;            /* contents (static, followed by a NUL byte) */
  size_t size;                 /* length of data */
  char etag[ASSET_ETAG_SIZE];  /* strong ETag, quotes included */
};

/* Computes the ETags of the embedded files (once; later calls do nothing).
 * Call at start-up; the other functions call it too. Returns 0, or
 * ERR_INTERNAL if a file of the table is missing from the program. */
int asset_init(void);

/* The embedded files in table order (static, complete after asset_init())
 * and their number in *n. */
const struct asset *asset_table(size_t *n);

/* The embedded file named `name`, or NULL. */
const struct asset *asset_find(const char *name);

/* 1 if `name` may name a static file: 1 to 128 characters among
 * [A-Za-z0-9._-], not starting with a dot, without "..", with an extension
 * of a known media type. 0 otherwise (slashes, backslashes, percent signs,
 * control characters…): such a name is refused before any disk access. */
int asset_name_ok(const char *name);

/* The media type for the extension of `name` (static), or NULL. */
const char *asset_type(const char *name);

/* Sets the development directory (files read from it at each request) or,
 * with NULL, goes back to the embedded files only. Call at start-up, before
 * server_start(), not while requests are served. Returns 0, or ERR_IO if
 * `dir` is not a readable directory (the previous setting is kept). */
int asset_set_dir(const char *dir);

/* The resolved development directory (static), or NULL when the embedded
 * files are served. */
const char *asset_dir(void);

/* Cache-Control value and ETag (static, NULL in development mode or for an
 * unknown name) to send with a 200 or 304 answer for `name`. */
void asset_cache(const char **cache_control, const char **etag, const char *name);

/* Route handler of GET /static/{name}: the file's bytes with its media
 * type, or 304 (empty) when If-None-Match names its ETag. Returns 0, or
 * ERR_NOTFOUND (unknown or refused name, file outside the development
 * directory), ERR_IO, ERR_TOOLARGE, ERR_NOMEM. The server adds the headers
 * of asset_cache(). */
int asset_serve(struct http_req *req, struct http_resp *resp);

#endif
