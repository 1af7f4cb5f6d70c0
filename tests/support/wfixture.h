/* wfixture — the workflow side of the test fixture: a git repository of
 * definitions and an engine over a test database, and publishing a
 * definition (written whole, or as the body of a process) in one call. */
#ifndef APPUI_WFIXTURE_H
#define APPUI_WFIXTURE_H
#include "user.h"
#include <stddef.h>
#include <stdint.h>

struct db;
struct engine;
struct store;

struct wfixture {
  char dir[256];          /* data directory (set by the caller with db) */
  struct db *db;          /* set by the caller */
  struct store *store;    /* DATA/workflows.git */
  struct engine *engine;
  struct user admin;      /* the platform, as administrator */
};

/* Creates the repository in w->dir and an engine over w->db. Returns 0, or
 * -1 (cmocka setup failure). */
int wfixture_open(struct wfixture *w);

/* Frees the engine and the repository, closes w->db, removes w->dir. */
void wfixture_close(struct wfixture *w);

/* Publishes the `len` bytes of `xml`; fails the test with the report on a
 * refusal. Returns the version id. */
int64_t wfixture_publish(struct wfixture *w, const char *xml, size_t len);

/* Publishes process `id` whose elements are `body`, inside definitions
 * declaring the messages "pieces" (m1) and "annulation" (m2). Returns the
 * version id. */
int64_t wfixture_publish_body(struct wfixture *w, const char *id, const char *body);

#endif
