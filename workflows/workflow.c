/* workflow — repository set-up, filing with process start, documents and
 * where a request's process stands (see workflow.h). */
#include "workflow.h"
#include "clock.h"
#include "db.h"
#include "embed.h"
#include "engine.h"
#include "err.h"
#include "attachment.h"
#include "perm.h"
#include "request.h"
#include "store.h"
#include "user.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
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

int workflow_file_with(char ref[16], int64_t *id, struct engine *e, const struct user *actor,
                       const struct request_new *n, const char *blobs, const struct workflow_document *doc) {
  struct db *db = engine_db(e);
  int rc = db_group_begin(db);
  if (rc) return rc;
  rc = workflow_file(ref, id, e, actor, n);
  if (!rc && doc) {
    int64_t doc_id;
    rc = attachment_add(&doc_id, db, actor, blobs, ref, doc->name, doc->media_type, doc->data, doc->size);
  }
  int kept = db_group_end(db, rc == 0);
  if (rc) ref[0] = 0;
  return rc ? rc : kept;
}

int workflow_state(struct workflow_state *out, struct db *db, int64_t request) {
  sqlite3_stmt *st;
  memset(out, 0, sizeof *out);
  int rc = db_prepare(&st, db,
                      "SELECT i.id, i.state = 'active', "
                      "(SELECT group_concat(element, ',') FROM (SELECT DISTINCT element FROM token t "
                      "WHERE t.instance = i.id ORDER BY t.id)), "
                      "EXISTS (SELECT 1 FROM subscription s WHERE s.instance = i.id AND s.message = ?2) "
                      "FROM instance i WHERE i.request = ?1 ORDER BY i.id DESC LIMIT 1");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  db_bind_text(st, 2, WORKFLOW_DOCUMENTS_MESSAGE);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    out->instance = sqlite3_column_int64(st, 0);
    out->active = sqlite3_column_int(st, 1);
    const char *el = db_col_text(st, 2);
    snprintf(out->elements, sizeof out->elements, "%s", el ? el : "");
    out->waiting_documents = out->active && sqlite3_column_int(st, 3);
  } else if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "état du circuit de la demande");
  }
  db_done(st);
  return rc;
}

int workflow_add_document(int64_t *id, int *answered, struct engine *e, const struct user *actor, const char *blobs,
                          const char *ref, const struct workflow_document *doc, int answer) {
  struct db *db = engine_db(e);
  int64_t request;
  struct workflow_state ws;
  int told = 0;
  int rc = request_access(&request, db, actor, ref, PERM_WRITE);
  if (!rc) rc = workflow_state(&ws, db, request);
  if (!rc) rc = db_group_begin(db);
  if (rc) return rc;
  rc = attachment_add(id, db, actor, blobs, ref, doc->name, doc->media_type, doc->data, doc->size);
  if (!rc && answer && ws.waiting_documents) {
    /* The answer to the request for documents: the process goes on. */
    json_t *vars = json_pack("{s:[s]}", "pieces", doc->name);
    rc = vars ? engine_deliver(e, actor, ws.instance, WORKFLOW_DOCUMENTS_MESSAGE, vars, clock_now_ms())
              : err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    json_decref(vars);
    if (rc == ERR_CONFLICT) rc = 0; /* no longer waiting: the document alone is kept */
    else told = !rc;
  }
  int kept = db_group_end(db, rc == 0);
  if (answered) *answered = !rc && !kept && told;
  return rc ? rc : kept;
}

int workflow_diagram(char **xml, size_t *len, struct db *db, int64_t request) {
  sqlite3_stmt *st;
  *xml = NULL;
  *len = 0;
  int rc = db_prepare(&st, db, "SELECT v.xml FROM instance i JOIN process_version v ON v.id = i.version "
                               "WHERE i.request = ? ORDER BY i.id DESC LIMIT 1");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    const char *text = (const char *)sqlite3_column_text(st, 0);
    *xml = malloc(n + 1);
    if (!*xml) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    } else {
      memcpy(*xml, text ? text : "", n);
      (*xml)[n] = 0;
      *len = n;
    }
  } else if (s == SQLITE_DONE) {
    rc = err_set(ERR_NOTFOUND, NULL, "cette demande n'a pas encore de circuit");
  } else {
    rc = db_fail(db, s, "lecture du circuit de la demande");
  }
  db_done(st);
  return rc;
}

int workflow_run_due(int *ran, struct engine *e, int64_t now) {
  struct user platform;
  int n = 0;
  user_system(&platform, "système");
  int rc = engine_run_jobs(&n, e, &platform, now, 32);
  if (ran) *ran = n;
  return rc;
}
