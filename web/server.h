/* server — the HTTP server: libmicrohttpd with its internal epoll thread
 * pool (settings of shared/measured-here.md, two workers per core), one
 * SQLite connection per worker thread, a read transaction per GET, request bodies capped per route, every answer with the
 * security headers, dispatch through the route table. */
#ifndef APPUI_SERVER_H
#define APPUI_SERVER_H
#include <stdint.h>

struct server;

struct server_options {
  const char *listen;   /* "127.0.0.1:8080"; port 0 picks a free port */
  const char *data_dir; /* holds appui.db and blobs/ */
  int threads;          /* worker threads; 0 = twice the number of cores */
};

/* Starts serving in background threads. The database must exist at the
 * current schema (open it once with DB_MIGRATE before). Returns 0 and the
 * server in *out, ERR_INVALID (bad listen address) or ERR_IO (cannot
 * listen). */
int server_start(struct server **out, const struct server_options *o);

/* The TCP port the server listens on. */
uint16_t server_port(const struct server *s);

/* Stops accepting, closes connections, joins the threads (closing their
 * database connections) and frees the server. NULL is a no-op. */
void server_stop(struct server *s);

#endif
