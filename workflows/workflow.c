/* workflow — repository set-up and filing with process start (see
 * workflow.h). */
#include "workflow.h"
#include "clock.h"
#include "db.h"
#include "embed.h"
#include "engine.h"
#include "err.h"
#include "request.h"
#include "store.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

extern const struct embed_file definition_files[];
extern const size_t definition_files_count;

const char *workflow_default_process(void) { return "demande-appui"; }

void workflow_repository(char *out, unsigned long size, const char *dir) {
  snprintf(out, size, "%s/workflows.git", dir);
}

int workflow_init(int *published, struct db *db, const char *data_dir, const struct user *actor, const char *author) {
  char path[4096];
  struct store *s = NULL;
  int created = 0;
  struct store_reconcile rec;
  workflow_repository(path, sizeof path, data_dir);
  int rc = store_open(&s, path, 1);
  if (!rc) rc = store_publish_files(&created, s, db, actor, definition_files, definition_files_count, author);
  if (!rc) rc = store_reconcile(&rec, s, db, actor);
  if (!rc) created += rec.versions;
  store_close(s);
  if (published) *published = created;
  return rc;
}

struct file_ctx {
  char *ref;
  int64_t *id;
  struct engine *e;
  const struct user *actor;
  const struct request_new *n;
};

/* The process of the offer `slug` (or the default one). */
static int process_of(char out[128], struct db *db, const char *slug) {
  snprintf(out, 128, "%s", workflow_default_process());
  if (!slug) return 0;
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT process FROM offer WHERE slug = ?");
  if (rc) return rc;
  db_bind_text(st, 1, slug);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(out, 128, "%s", db_col_text(st, 0));
  db_done(st);
  return 0;
}

/* The variables of the instance of request `id`. */
static json_t *variables_of(struct db *db, int64_t id, int *rc) {
  sqlite3_stmt *st;
  json_t *vars = NULL;
  if ((*rc = db_prepare(&st, db,
                        "SELECT json_object('demande', json_object('ref', r.ref, 'themes', json(r.themes), "
                        "'budget', r.budget_cents / 100.0, 'offre', f.slug, 'collectivite', json_object('code', c.code, "
                        "'kind', c.kind, 'population', c.population, 'epci', c.epci, 'departement', c.departement))) "
                        "FROM request r JOIN collectivity c ON c.code = r.collectivity "
                        "LEFT JOIN offer f ON f.id = r.offer WHERE r.id = ?")))
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  if (sqlite3_step(st) == SQLITE_ROW) vars = json_loads(db_col_text(st, 0), 0, NULL);
  db_done(st);
  if (!vars) *rc = err_set(ERR_INTERNAL, NULL, "variables de la demande illisibles");
  return vars;
}

/* Starts the instance of request `id` (offer `offer`, may be NULL). */
static int start_for(struct engine *e, const struct user *actor, int64_t id, const char *offer, int64_t now) {
  char process[128];
  int64_t version;
  struct db *db = engine_db(e);
  int rc = process_of(process, db, offer);
  if (!rc) {
    rc = store_latest(&version, NULL, db, process);
    if (rc == ERR_NOTFOUND)
      err_set(rc, "process", "le circuit « %s » n'est pas publié : lancez « appui init » (ou publiez-le)", process);
  }
  json_t *vars = rc ? NULL : variables_of(db, id, &rc);
  if (!rc) rc = engine_start_tx(NULL, e, actor, version, id, vars, now);
  json_decref(vars);
  return rc;
}

static int file_tx(struct db *db, void *arg) {
  struct file_ctx *c = arg;
  char ref[REQUEST_REF_SIZE];
  int64_t id, now = clock_now_ms();
  int rc = request_file_tx(ref, &id, db, c->actor, c->n, now);
  if (!rc) rc = start_for(c->e, c->actor, id, c->n->offer, now);
  if (rc) return rc;
  if (c->ref) memcpy(c->ref, ref, REQUEST_REF_SIZE);
  if (c->id) *c->id = id;
  return 0;
}

int workflow_file(char ref[16], int64_t *id, struct engine *e, const struct user *actor,
                  const struct request_new *n) {
  struct file_ctx c = {ref, id, e, actor, n};
  return db_write(engine_db(e), file_tx, &c);
}

struct missing_ctx {
  struct engine *e;
  const struct user *actor;
  int started;
};

static int missing_tx(struct db *db, void *arg) {
  struct missing_ctx *c = arg;
  sqlite3_stmt *st;
  c->started = 0;
  int rc = db_prepare(&st, db, "SELECT r.id, f.slug FROM request r LEFT JOIN offer f ON f.id = r.offer "
                               "WHERE NOT EXISTS (SELECT 1 FROM instance i WHERE i.request = r.id) ORDER BY r.id");
  if (rc) return rc;
  int64_t ids[512];
  char offers[512][48];
  int n = 0;
  while (sqlite3_step(st) == SQLITE_ROW && n < 512) {
    ids[n] = sqlite3_column_int64(st, 0);
    snprintf(offers[n], sizeof offers[n], "%s", db_col_text(st, 1) ? db_col_text(st, 1) : "");
    n++;
  }
  db_done(st);
  int64_t now = clock_now_ms();
  for (int i = 0; i < n && !rc; i++) {
    rc = start_for(c->e, c->actor, ids[i], offers[i][0] ? offers[i] : NULL, now);
    c->started += !rc;
  }
  return rc;
}

int workflow_start_missing(int *started, struct engine *e, const struct user *actor) {
  int total = 0, rc;
  struct missing_ctx c = {e, actor, 0};
  /* By batches of 512, each in its own transaction. */
  do {
    rc = db_write(engine_db(e), missing_tx, &c);
    total += c.started;
  } while (!rc && c.started == 512);
  if (started) *started = total;
  return rc;
}
