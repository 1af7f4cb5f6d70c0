/* server — HTTP server on libmicrohttpd (see server.h). */
#include "server.h"
#include "asset.h"
#include "buf.h"
#include "db.h"
#include "engine.h"
#include "form.h"
#include "page.h"
#include "session.h"
#include "clock.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "route.h"
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

struct server {
  struct MHD_Daemon *daemon;
  char db_path[4096];
  char blobs[4096];
  char data_dir[4096];
  pthread_key_t db_key; /* each worker thread's connection, for reading routes */
  struct db *writer;    /* the one connection of writing routes (warm cache, one writer) */
  struct engine *engine; /* the workflow engine over `writer` */
  /* Group commit of writing routes (see writer_enter/writer_leave). */
  pthread_mutex_t writer_lock;
  pthread_cond_t writer_free, batch_done;
  int busy;                /* a writing route is running on `writer` */
  int waiting;             /* writing routes waiting for it */
  int batch_open, batch_n; /* a batch transaction is open, with that many routes */
  uint64_t batch_gen;      /* number of the open (or last) batch */
  uint64_t committed_gen;  /* number of the last batch ended */
  uint64_t failed_gen;     /* number of the last batch whose commit failed */
  uint16_t port;
};

/* State of one exchange, kept by MHD between calls (con_cls). */
struct exchange {
  struct route_match m;
  struct buf body;
  size_t cap;
  int too_large;
  int answered;
};

static void close_thread_db(void *p) { db_close(p); }

static struct db *thread_db(struct server *s) {
  struct db *db = pthread_getspecific(s->db_key);
  if (db) return db;
  if (db_open(&db, s->db_path, 0) != 0) {
    log_error("ouverture de la base par un fil du serveur : %s", err_msg());
    return NULL;
  }
  pthread_setspecific(s->db_key, db);
  return db;
}

/* Sent with every answer of the routes: only this origin's scripts, styles,
 * fonts, images (and data: images) and connections, no inline code, no
 * plugins, no framing, forms posted here only. */
static const char *const security_headers[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
     "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
};

/* Sends `r` with the security headers, Cache-Control `cache` and, unless
 * NULL, ETag `etag`. */
static enum MHD_Result send_response_cached(struct MHD_Connection *c, struct http_resp *r, const char *cache,
                                            const char *etag) {
  char *body;
  size_t len;
  const char *type;
  if (r->json) {
    body = json_dumps(r->json, JSON_COMPACT);
    len = body ? strlen(body) : 0;
    type = "application/json";
  } else {
    body = r->bytes;
    len = r->len;
    type = r->type ? r->type : "application/json";
    r->bytes = NULL;
  }
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", type);
  for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
    MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
  MHD_add_response_header(resp, "Cache-Control", cache);
  if (etag) MHD_add_response_header(resp, "ETag", etag);
  if (r->location[0]) MHD_add_response_header(resp, r->hx_redirect ? "HX-Redirect" : "Location", r->location);
  for (int i = 0; i < 2; i++)
    if (r->cookies[i][0]) MHD_add_response_header(resp, "Set-Cookie", r->cookies[i]);
  /* Pages vary with the session and with Accept (HTML or JSON view model). */
  if (r->type && strncmp(r->type, "text/html", 9) == 0) MHD_add_response_header(resp, "Vary", "Accept, Cookie, HX-Request");
  if (r->disposition[0]) MHD_add_response_header(resp, "Content-Disposition", r->disposition);
  if (r->status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"appui\"");
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

/* Sends `r`, never to be stored by caches. */
static enum MHD_Result send_response(struct MHD_Connection *c, struct http_resp *r) {
  return send_response_cached(c, r, "no-store", NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, int rc) {
  struct http_resp r = {0};
  if (http_status_of(rc) >= 500) log_error("%s", err_msg());
  http_error(&r, rc);
  enum MHD_Result ret = send_response(c, &r);
  json_decref(r.json);
  return ret;
}

/* Sends the French error page of `rc` (or the JSON error to a JSON client)
 * for a request that reached no page handler (unknown page, body too large),
 * as seen by an anonymous visitor. */
static enum MHD_Result send_page_error(struct MHD_Connection *c, const char *method, const char *url, int rc) {
  struct http_req req = {.conn = c, .method = method, .path = url};
  struct http_resp r = {0};
  page_error(&r, &req, rc);
  enum MHD_Result ret = send_response(c, &r);
  json_decref(r.json);
  free(r.bytes);
  return ret;
}

/* 1 when an answer to `url` should be a page rather than JSON: anything
 * outside the API and the static files. */
static int is_page_url(const char *url) {
  return strncmp(url, "/api/", 5) != 0 && strncmp(url, "/static", 7) != 0 && strcmp(url, "/healthz") != 0;
}

/* Authenticates the Bearer token, if any. Returns 0 (req->authenticated
 * tells), or ERR_UNAUTH. */
static int authenticate(struct http_req *req, enum route_auth need) {
  const char *h = http_header(req, "Authorization");
  if (!h) {
    if (need == ROUTE_USER)
      return err_set(ERR_UNAUTH, NULL, "authentification requise : en-tête « Authorization: Bearer <jeton> »");
    return 0;
  }
  if (strncasecmp(h, "Bearer ", 7) != 0)
    return err_set(ERR_UNAUTH, NULL, "seule l'authentification « Bearer <jeton> » est acceptée");
  int rc = user_token_auth(&req->user, req->db, h + 7);
  if (rc) return rc;
  req->authenticated = 1;
  return 0;
}

/* Reads the session cookie of a page. A valid session fills req->user,
 * req->session and req->csrf; an invalid or expired one is ignored on an
 * open page (the handler sees an anonymous visitor) and refused with
 * ERR_UNAUTH on a signed-in page. On a POST of a signed-in page, parses the
 * form and checks its CSRF token. Returns 0 or the error. */
static int authenticate_page(struct http_req *req, enum route_auth need, struct form *form) {
  const char *token = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, PAGE_COOKIE);
  int rc = token ? session_get(&req->user, req->csrf, req->db, token, clock_now_ms()) : ERR_UNAUTH;
  if (rc == 0) {
    req->authenticated = 1;
    req->session = token;
  } else if (rc != ERR_UNAUTH) {
    return rc;
  } else if (need == ROUTE_PAGE_USER) {
    return token ? rc : err_set(ERR_UNAUTH, NULL, "connectez-vous pour accéder à cette page");
  }
  if (strcmp(req->method, "POST") != 0) return 0;
  if ((rc = form_parse(form, req))) return rc;
  req->form = form;
  if (need != ROUTE_PAGE_USER) return 0;
  const char *given = form_get(form, "csrf");
  if (!given) given = http_header(req, "X-CSRF-Token");
  if (session_check_csrf(req->csrf, given))
    return err_set(ERR_FORBIDDEN, NULL,
                   "jeton de sécurité du formulaire absent ou périmé : rechargez la page puis renvoyez le formulaire");
  return 0;
}

/* Takes the writer connection for a writing route. Routes that arrive
 * while another one runs join its batch: one transaction, one commit for
 * them all (many filings share the same index pages). Returns 0 and the
 * batch number in *gen, or an error (no batch could be opened). */
static int writer_enter(struct server *s, uint64_t *gen) {
  int rc = 0;
  pthread_mutex_lock(&s->writer_lock);
  s->waiting++;
  while (s->busy) pthread_cond_wait(&s->writer_free, &s->writer_lock);
  s->waiting--;
  if (!s->batch_open) {
    rc = db_batch_begin(s->writer);
    if (!rc) {
      s->batch_open = 1;
      s->batch_n = 0;
      s->batch_gen++;
    }
  }
  if (!rc) s->busy = 1;
  *gen = s->batch_gen;
  pthread_mutex_unlock(&s->writer_lock);
  return rc;
}

/* Gives the writer back. The last route of a burst (nobody waiting) or the
 * 64th commits the batch; every route then waits for the commit of its
 * batch before answering, so nothing is acknowledged before it is durable.
 * Returns 0, or the error of the commit (the route's work is lost). */
static int writer_leave(struct server *s, uint64_t gen) {
  int rc = 0;
  pthread_mutex_lock(&s->writer_lock);
  s->batch_n++;
  if (s->batch_open && (s->waiting == 0 || s->batch_n >= 64)) {
    if (db_batch_commit(s->writer)) {
      log_error("validation d'un lot d'écritures : %s", err_msg());
      s->failed_gen = gen;
    }
    s->batch_open = 0;
    s->committed_gen = gen;
    pthread_cond_broadcast(&s->batch_done);
  }
  s->busy = 0;
  pthread_cond_signal(&s->writer_free);
  while (s->committed_gen < gen) pthread_cond_wait(&s->batch_done, &s->writer_lock);
  if (s->failed_gen == gen) rc = err_set(ERR_DB, NULL, "l'enregistrement a échoué : rien n'a été enregistré, réessayez");
  pthread_mutex_unlock(&s->writer_lock);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
  struct server *s = cls;
  struct exchange *x = *con_cls;
  (void)version;
  if (!x) {
    x = calloc(1, sizeof *x);
    if (!x) return MHD_NO;
    *con_cls = x;
    err_clear();
    if (!route_match(&x->m, method, url)) {
      x->answered = 1;
      if (x->m.path_known) {
        struct http_resp r = {0};
        err_set(ERR_NOTFOUND, NULL, "méthode %s non prise en charge sur %s", method, url);
        http_error(&r, ERR_NOTFOUND);
        json_object_set_new(json_object_get(r.json, "error"), "code", json_string("method_not_allowed"));
        r.status = 405;
        enum MHD_Result ret = send_response(c, &r);
        json_decref(r.json);
        return ret;
      }
      if (is_page_url(url))
        return send_page_error(c, method, url, err_set(ERR_NOTFOUND, NULL, "cette page n'existe pas : %s", url));
      return send_error(c, err_set(ERR_NOTFOUND, NULL, "adresse inconnue : %s", url));
    }
    x->cap = x->m.route->max_body;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
      char *end;
      unsigned long long n = strtoull(cl, &end, 10);
      if (*end || n > x->cap) {
        x->answered = 1;
        if (x->m.route->auth >= ROUTE_PAGE)
          return send_page_error(c, method, url,
                                 err_set(ERR_TOOLARGE, NULL, "envoi trop volumineux : %.1f Mo au plus",
                                         (double)x->cap / (1024.0 * 1024.0)));
        return send_error(c, err_set(ERR_TOOLARGE, NULL, "corps de requête trop volumineux : %s octets, %zu au plus",
                                     cl, x->cap));
      }
    }
    return MHD_YES;
  }
  if (*upload_size) {
    if (!x->answered) {
      if (x->body.len + *upload_size > x->cap) {
        x->too_large = 1;
        buf_free(&x->body);
      } else if (!x->too_large && buf_append(&x->body, upload, *upload_size) != 0) {
        x->too_large = 1;
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (x->answered) return MHD_YES;
  x->answered = 1;
  if (x->too_large && x->m.route->auth >= ROUTE_PAGE)
    return send_page_error(c, method, url,
                           err_set(ERR_TOOLARGE, NULL, "envoi trop volumineux : %.1f Mo au plus",
                                   (double)x->cap / (1024.0 * 1024.0)));
  if (x->too_large)
    return send_error(c, err_set(ERR_TOOLARGE, NULL, "corps de requête trop volumineux : %zu octets au plus", x->cap));
  struct http_req req = {.conn = c, .method = method, .path = url, .blobs = s->blobs, .data_dir = s->data_dir};
  memcpy(req.params, x->m.params, sizeof req.params);
  req.n_params = x->m.n_params;
  req.body = x->body.data;
  req.body_len = x->body.len;
  /* A reading route runs on the worker's connection in one read transaction:
   * one snapshot and one WAL read lock for all its statements, token check
   * included. A writing route runs on the one writer connection, whose
   * cache stays warm (connections that take turns writing would each find
   * their cache stale and read it again). */
  enum route_auth auth = x->m.route->auth;
  int reading = strcmp(x->m.route->method, "GET") == 0, page = auth >= ROUTE_PAGE, rc = 0;
  uint64_t gen = 0;
  struct form form = {0};
  if (reading) {
    req.db = thread_db(s);
    if (!req.db) return send_error(c, err_set(ERR_DB, NULL, "base de données indisponible"));
    /* The session check may write (last_seen): before the read transaction. */
    if (page) rc = authenticate_page(&req, auth, &form);
    if (!rc) rc = db_read_begin(req.db);
  } else {
    rc = writer_enter(s, &gen);
    if (rc) return send_error(c, rc);
    req.db = s->writer;
    req.engine = s->engine;
    if (page) rc = authenticate_page(&req, auth, &form);
  }
  if (!rc && !page) rc = authenticate(&req, auth);
  struct http_resp resp = {0};
  if (!rc) rc = x->m.route->handler(&req, &resp);
  if (reading) {
    db_read_end(req.db);
  } else {
    /* The route's own error first; a failed commit turns a success into an error. */
    int committed = writer_leave(s, gen);
    if (!rc) rc = committed;
  }
  enum MHD_Result ret;
  if (rc && page) {
    /* Pages answer errors with a page (or the JSON error to a JSON client);
     * a missing or expired session sends a browser to the login page. */
    json_decref(resp.json);
    free(resp.bytes);
    memset(&resp, 0, sizeof resp);
    if (http_status_of(rc) >= 500) log_error("%s", err_msg());
    if (rc == ERR_UNAUTH && !page_wants_json(&req)) {
      char to[256] = "/connexion";
      if (reading && strlen(url) < 200) snprintf(to, sizeof to, "/connexion?suite=%s", url);
      if (MHD_lookup_connection_value(c, MHD_COOKIE_KIND, PAGE_COOKIE)) {
        page_cookie(&resp, &req, 0, PAGE_COOKIE, "", 0);
        strncat(to, reading && strlen(url) < 200 ? "&expiree=1" : "?expiree=1", sizeof to - strlen(to) - 1);
      }
      page_redirect(&resp, &req, to);
    } else {
      page_error(&resp, &req, rc);
    }
    ret = send_response(c, &resp);
    json_decref(resp.json);
    free(resp.bytes);
  } else if (rc) {
    json_decref(resp.json);
    free(resp.bytes);
    ret = send_error(c, rc);
  } else {
    /* Static files are cached by browsers (see asset.h); nothing else is. */
    const char *cache = "no-store", *etag = NULL;
    if (x->m.route->handler == asset_serve) asset_cache(&cache, &etag, x->m.params[0]);
    ret = send_response_cached(c, &resp, cache, etag);
    json_decref(resp.json);
    free(resp.bytes);
  }
  form_free(&form);
  log_debug("%s %s %d", method, url, rc ? http_status_of(rc) : resp.status);
  return ret;
}

static int hex_digit(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes %HH in the path and the query values in place, like MHD's own
 * decoder, except %00, left as it is: a decoded NUL byte would silently cut
 * the path short (/static/appui.css%00.js would be served as appui.css) or
 * a query value. Returns the new length. */
static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  char *w = s;
  for (const char *r = s; *r;) {
    int hi = r[0] == '%' ? hex_digit(r[1]) : -1, lo = hi >= 0 ? hex_digit(r[2]) : -1;
    if (lo >= 0 && (hi | lo) != 0) {
      *w++ = (char)(hi * 16 + lo);
      r += 3;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
  return (size_t)(w - s);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  struct exchange *x = *con_cls;
  if (!x) return;
  buf_free(&x->body);
  free(x);
  *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  line[strcspn(line, "\n")] = 0;
  log_warn("microhttpd : %s", line);
}

static int parse_listen(struct sockaddr_in *sa, const char *listen) {
  char host[64];
  const char *colon = listen ? strrchr(listen, ':') : NULL;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  if (!colon || (size_t)(colon - listen) >= sizeof host) goto bad;
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = 0;
  if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) goto bad;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (!colon[1] || *end || port < 0 || port > 65535) goto bad;
  sa->sin_port = htons((uint16_t)port);
  return 0;
bad:
  return err_set(ERR_INVALID, "listen", "adresse d'écoute invalide : « %s » (attendu ADRESSE:PORT, ex. 127.0.0.1:8080)",
                 listen ? listen : "");
}

int server_start(struct server **out, const struct server_options *o) {
  struct sockaddr_in sa;
  int rc = parse_listen(&sa, o->listen);
  *out = NULL;
  if (!rc) rc = asset_init(); /* the static files' ETags, once */
  if (!rc) rc = page_init();  /* the page templates, parsed once */
  if (rc) return rc;
  struct server *s = calloc(1, sizeof *s);
  if (!s) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  snprintf(s->db_path, sizeof s->db_path, "%s/appui.db", o->data_dir);
  snprintf(s->blobs, sizeof s->blobs, "%s/blobs", o->data_dir);
  snprintf(s->data_dir, sizeof s->data_dir, "%s", o->data_dir);
  /* The writer checkpoints the WAL less often than SQLite's default (1000
   * pages): index pages written many times between two checkpoints are
   * copied back once, with one fsync. */
  if ((rc = db_open(&s->writer, s->db_path, 0)) || (rc = db_exec(s->writer, "PRAGMA wal_autocheckpoint = 8000")) ||
      (rc = engine_new(&s->engine, s->writer))) {
    db_close(s->writer);
    free(s);
    return rc;
  }
  pthread_mutex_init(&s->writer_lock, NULL);
  pthread_cond_init(&s->writer_free, NULL);
  pthread_cond_init(&s->batch_done, NULL);
  if (pthread_key_create(&s->db_key, close_thread_db) != 0) {
    engine_free(s->engine);
    db_close(s->writer);
    free(s);
    return err_set(ERR_INTERNAL, NULL, "pthread_key_create a échoué");
  }
  /* Two workers per core: a worker waiting on SQLite (a page read, a lock)
   * leaves its core to the other. Measured on the 1M-request base (2 cores,
   * wrk on the same cores): GET /api/v1/requests/{ref} 36-38k req/s with 2
   * workers, 45-54k with 4; /healthz unchanged. */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = o->threads > 0 ? (unsigned)o->threads : 2u * (unsigned)(cores > 0 ? cores : 1);
  /* Connection limit: about 4,000, below the descriptor limit (pitfall 2). */
  struct rlimit rl;
  unsigned limit = 4000;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < limit + 64)
    limit = rl.rlim_cur > 128 ? (unsigned)rl.rlim_cur - 64 : 64;
  s->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL, NULL,
      on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
      MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)30, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, s, MHD_OPTION_END);
  if (!s->daemon) {
    pthread_key_delete(s->db_key);
    engine_free(s->engine);
    db_close(s->writer);
    pthread_mutex_destroy(&s->writer_lock);
    pthread_cond_destroy(&s->writer_free);
    pthread_cond_destroy(&s->batch_done);
    free(s);
    return err_set(ERR_IO, "listen", "impossible d'écouter sur %s (port déjà utilisé ?)", o->listen);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : ntohs(sa.sin_port);
  *out = s;
  return 0;
}

uint16_t server_port(const struct server *s) { return s->port; }

void server_stop(struct server *s) {
  if (!s) return;
  MHD_stop_daemon(s->daemon);
  pthread_key_delete(s->db_key);
  engine_free(s->engine);
  db_close(s->writer);
  pthread_mutex_destroy(&s->writer_lock);
  pthread_cond_destroy(&s->writer_free);
  pthread_cond_destroy(&s->batch_done);
  free(s);
}
