/* db — SQLite connections, migrations, statement cache and write
 * transactions (see db.h). */
#include "db.h"
#include "clock.h"
#include "embed.h"
#include "err.h"
#include "log.h"
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct embed_file schema_files[];
extern const size_t schema_files_count;

#define CACHE_SIZE 96

struct cached {
  char *sql;          /* copy of the text */
  const char *key;    /* address of a static text (db_prepare_static), else NULL */
  uint32_t hash;
  sqlite3_stmt *st;
};

struct db {
  sqlite3 *h;
  int in_tx;
  int in_read;
  int batch;   /* a group-commit transaction is open: db_begin() makes savepoints */
  int group;   /* db_group_begin(): 1 = a savepoint inside the batch, 2 = a batch of its own */
  unsigned next_evict;
  struct cached cache[CACHE_SIZE];
  void *slot[DB_SLOTS];              /* per-connection data of other modules */
  void (*slot_free[DB_SLOTS])(void *);
};

/* One writer at a time in this process (shared/measured-here.md, pitfall 6).
 * Other processes are kept out by SQLite's own lock and the busy timeout. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

int db_schema_version(void) { return (int)schema_files_count; }

sqlite3 *db_sqlite(struct db *db) { return db->h; }

int db_fail(struct db *db, int rc, const char *what) {
  const char *m = db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
  int prim = rc & 0xff;
  int code = ERR_DB;
  if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) code = ERR_BUSY;
  else if (prim == SQLITE_CONSTRAINT) code = ERR_CONFLICT;
  else if (prim == SQLITE_IOERR || prim == SQLITE_FULL || prim == SQLITE_CANTOPEN ||
           prim == SQLITE_READONLY || prim == SQLITE_PERM)
    code = ERR_IO;
  if (code == ERR_BUSY)
    return err_set(code, NULL, "base de données occupée (%s) : réessayez dans un instant", what);
  return err_set(code, NULL, "base de données, %s : %s", what, m);
}

int db_exec(struct db *db, const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    int code = db_fail(db, rc, "exécution");
    if (msg) err_set(code, NULL, "base de données : %s", msg);
    sqlite3_free(msg);
    return code;
  }
  return 0;
}

static int check_migration_names(void) {
  for (size_t i = 0; i < schema_files_count; i++) {
    const char *n = schema_files[i].name;
    int num = 0;
    for (int k = 0; k < 4; k++) {
      if (n[k] < '0' || n[k] > '9') return err_set(ERR_INTERNAL, NULL, "migration mal nommée : %s", n);
      num = num * 10 + (n[k] - '0');
    }
    if (num != (int)i + 1 || n[4] != '_')
      return err_set(ERR_INTERNAL, NULL, "migration hors séquence : %s (attendu %04d_…)", n, (int)i + 1);
  }
  return 0;
}

static int user_version(struct db *db, int *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL);
  if (rc != SQLITE_OK) return db_fail(db, rc, "lecture de la version du schéma");
  rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : db_fail(db, rc, "lecture de la version du schéma");
}

static int migrate(struct db *db) {
  int rc = check_migration_names();
  if (rc) return rc;
  for (;;) {
    rc = db_begin(db);
    if (rc) return rc;
    int v;
    rc = user_version(db, &v);
    if (rc) goto fail;
    if (v > (int)schema_files_count) {
      rc = err_set(ERR_CONFLICT, NULL,
                   "la base est au schéma %d, plus récent que ce programme (%d) : mettez appui à jour",
                   v, (int)schema_files_count);
      goto fail;
    }
    if (v == (int)schema_files_count) {
      db_rollback(db);
      return 0;
    }
    const struct embed_file *f = &schema_files[v];
    rc = db_exec(db, f->data);
    if (rc) {
      err_set(rc, NULL, "migration %s : %s", f->name, err_msg());
      goto fail;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
    rc = db_exec(db, pragma);
    if (rc) goto fail;
    rc = db_commit(db);
    if (rc) return rc;
    log_debug("migration %s appliquée", f->name);
  }
fail:
  db_rollback(db);
  return rc;
}

/* Process-wide SQLite settings, applied once before the first connection:
 * no memory statistics (they take a global mutex on every allocation). */
static pthread_once_t configured = PTHREAD_ONCE_INIT;
static void configure(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/* SQL function appui_time(ms) (see db.h). */
static void sql_time(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  char out[32];
  clock_format(sqlite3_value_int64(argv[0]), out);
  sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

int db_open(struct db **out, const char *path, int flags) {
  int rc = 0;
  pthread_once(&configured, configure);
  struct db *db = calloc(1, sizeof *db);
  *out = NULL;
  if (!db) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  oflags |= (flags & DB_READONLY) ? SQLITE_OPEN_READONLY
                                  : SQLITE_OPEN_READWRITE | ((flags & DB_MIGRATE) ? SQLITE_OPEN_CREATE : 0);
  int src = sqlite3_open_v2(path, &db->h, oflags, NULL);
  if (src != SQLITE_OK) {
    rc = err_set(ERR_IO, NULL, "impossible d'ouvrir la base %s : %s", path,
                 db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(src));
    goto done;
  }
  sqlite3_busy_timeout(db->h, 5000);
  sqlite3_create_function(db->h, "appui_time", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                          sql_time, NULL, NULL);
  rc = db_exec(db, "PRAGMA foreign_keys = ON;"
                   "PRAGMA synchronous = NORMAL;"
                   "PRAGMA cache_size = -8192;"
                   "PRAGMA mmap_size = 1073741824;"
                   "PRAGMA temp_store = MEMORY;");
  if (rc) goto done;
  if (!(flags & DB_READONLY)) {
    rc = db_exec(db, "PRAGMA journal_mode = WAL");
    if (rc) goto done;
  }
  if (flags & DB_MIGRATE) {
    rc = migrate(db);
    if (rc) goto done;
  } else {
    int v;
    rc = user_version(db, &v);
    if (rc) goto done;
    if (v != (int)schema_files_count) {
      rc = err_set(ERR_CONFLICT, NULL,
                   "la base %s est au schéma %d, ce programme attend %d : lancez « appui init »",
                   path, v, (int)schema_files_count);
      goto done;
    }
  }
done:
  if (rc) {
    db_close(db);
    return rc;
  }
  *out = db;
  return 0;
}

void db_close(struct db *db) {
  if (!db) return;
  if (db->in_tx) db_rollback(db);
  if (db->batch) sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
  db_read_end(db);
  for (int i = 0; i < CACHE_SIZE; i++) {
    sqlite3_finalize(db->cache[i].st);
    free(db->cache[i].sql);
  }
  for (int i = 0; i < DB_SLOTS; i++)
    if (db->slot[i] && db->slot_free[i]) db->slot_free[i](db->slot[i]);
  sqlite3_close_v2(db->h);
  free(db);
}

static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static int prepare(sqlite3_stmt **out, struct db *db, const char *sql, const char *key);

int db_prepare_static(sqlite3_stmt **out, struct db *db, const char *sql) {
  for (int i = 0; i < CACHE_SIZE; i++)
    if (db->cache[i].key == sql && db->cache[i].st) {
      *out = db->cache[i].st;
      return 0;
    }
  return prepare(out, db, sql, sql);
}

int db_prepare(sqlite3_stmt **out, struct db *db, const char *sql) { return prepare(out, db, sql, NULL); }

static int prepare(sqlite3_stmt **out, struct db *db, const char *sql, const char *key) {
  uint32_t h = fnv1a(sql);
  *out = NULL;
  for (int i = 0; i < CACHE_SIZE; i++) {
    struct cached *c = &db->cache[i];
    if (c->st && c->hash == h && strcmp(c->sql, sql) == 0) {
      if (key) c->key = key;
      *out = c->st;
      return 0;
    }
  }
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) return db_fail(db, rc, "préparation d'une requête");
  char *copy = strdup(sql);
  if (!copy) {
    sqlite3_finalize(st);
    return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  }
  int slot = -1;
  for (int i = 0; i < CACHE_SIZE && slot < 0; i++)
    if (!db->cache[i].st) slot = i;
  if (slot < 0) {
    /* Evict in turn, skipping statements in use (between step and done). */
    for (int tries = 0; tries < CACHE_SIZE && slot < 0; tries++) {
      int i = (int)(db->next_evict++ % CACHE_SIZE);
      if (!sqlite3_stmt_busy(db->cache[i].st)) slot = i;
    }
    if (slot < 0) {
      free(copy);
      sqlite3_finalize(st);
      return err_set(ERR_INTERNAL, NULL, "trop de requêtes préparées en cours");
    }
    sqlite3_finalize(db->cache[slot].st);
    free(db->cache[slot].sql);
  }
  db->cache[slot] = (struct cached){copy, key, h, st};
  *out = st;
  return 0;
}

void db_done(sqlite3_stmt *st) {
  if (!st) return;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

int db_batch_begin(struct db *db) {
  assert(!db->in_tx && !db->in_read && !db->batch);
  int rc = db_exec(db, "BEGIN IMMEDIATE");
  if (!rc) db->batch = 1;
  return rc;
}

int db_batch_commit(struct db *db) {
  assert(db->batch && !db->in_tx);
  int rc = db_exec(db, "COMMIT");
  if (rc) sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
  db->batch = 0;
  return rc;
}

int db_group_begin(struct db *db) {
  assert(!db->in_tx && !db->in_read && !db->group);
  if (db->batch) {
    int rc = db_exec(db, "SAVEPOINT grp");
    if (!rc) db->group = 1;
    return rc;
  }
  pthread_mutex_lock(&write_lock);
  int rc = db_batch_begin(db);
  if (rc) {
    pthread_mutex_unlock(&write_lock);
    return rc;
  }
  db->group = 2;
  return 0;
}

int db_group_end(struct db *db, int ok) {
  assert(db->group && !db->in_tx);
  int rc = 0;
  if (db->group == 1) {
    if (ok) rc = db_exec(db, "RELEASE grp");
    if (!ok || rc) sqlite3_exec(db->h, "ROLLBACK TO grp; RELEASE grp", NULL, NULL, NULL);
  } else {
    if (ok) {
      rc = db_batch_commit(db);
    } else {
      sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
      db->batch = 0;
    }
    pthread_mutex_unlock(&write_lock);
  }
  db->group = 0;
  return rc;
}

int db_begin(struct db *db) {
  assert(!db->in_tx && !db->in_read);
  if (db->batch) {
    int rc = db_exec(db, "SAVEPOINT work");
    if (!rc) db->in_tx = 1;
    return rc;
  }
  pthread_mutex_lock(&write_lock);
  int rc = db_exec(db, "BEGIN IMMEDIATE");
  if (rc) {
    pthread_mutex_unlock(&write_lock);
    return rc;
  }
  db->in_tx = 1;
  return 0;
}

int db_commit(struct db *db) {
  assert(db->in_tx);
  if (db->batch) {
    int rc = db_exec(db, "RELEASE work");
    if (rc) sqlite3_exec(db->h, "ROLLBACK TO work; RELEASE work", NULL, NULL, NULL);
    db->in_tx = 0;
    return rc;
  }
  int rc = db_exec(db, "COMMIT");
  if (rc) {
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
  }
  db->in_tx = 0;
  pthread_mutex_unlock(&write_lock);
  return rc;
}

void db_rollback(struct db *db) {
  if (!db->in_tx) return;
  if (db->batch) {
    sqlite3_exec(db->h, "ROLLBACK TO work; RELEASE work", NULL, NULL, NULL);
    db->in_tx = 0;
    return;
  }
  if (!sqlite3_get_autocommit(db->h)) sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
  db->in_tx = 0;
  pthread_mutex_unlock(&write_lock);
}

int db_in_tx(struct db *db) { return db->in_tx; }

/* Runs the one-word statement `sql` (BEGIN, COMMIT) from the statement
 * cache: a read transaction per page would otherwise parse both each time. */
static int step_cached(struct db *db, const char *sql) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  int s = sqlite3_step(st);
  if (s != SQLITE_DONE) rc = db_fail(db, s, sql);
  db_done(st);
  return rc;
}

int db_read_begin(struct db *db) {
  assert(!db->in_tx && !db->in_read);
  int rc = step_cached(db, "BEGIN");
  if (rc == 0) db->in_read = 1;
  return rc;
}

void db_read_end(struct db *db) {
  if (!db->in_read) return;
  if (!sqlite3_get_autocommit(db->h) && step_cached(db, "COMMIT")) sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
  db->in_read = 0;
}

int db_write(struct db *db, int (*fn)(struct db *db, void *arg), void *arg) {
  int rc = 0;
  for (int attempt = 0; attempt < 5; attempt++) {
    rc = db_begin(db);
    if (rc == 0) {
      rc = fn(db, arg);
      if (rc == 0) rc = db_commit(db);
      else db_rollback(db);
    }
    if (rc != ERR_BUSY) break;
    struct timespec ts = {0, (long)(20 + attempt * 40) * 1000000L};
    nanosleep(&ts, NULL);
  }
  return rc;
}

int db_bind_text(sqlite3_stmt *st, int idx, const char *s) {
  return s ? sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
}

const char *db_col_text(sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
  return (const char *)sqlite3_column_text(st, i);
}

char *db_col_strdup(sqlite3_stmt *st, int i) {
  const char *s = db_col_text(st, i);
  return s ? strdup(s) : NULL;
}

int db_int_for(int64_t *out, struct db *db, const char *sql, const char *param) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  db_bind_text(st, 1, param);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
  else if (s == SQLITE_DONE) rc = ERR_NOTFOUND;
  else rc = db_fail(db, s, "lecture");
  db_done(st);
  return rc;
}

void *db_slot(struct db *db, int slot) { return db->slot[slot]; }

void db_slot_set(struct db *db, int slot, void *data, void (*free_fn)(void *)) {
  if (db->slot[slot] && db->slot[slot] != data && db->slot_free[slot]) db->slot_free[slot](db->slot[slot]);
  db->slot[slot] = data;
  db->slot_free[slot] = free_fn;
}
