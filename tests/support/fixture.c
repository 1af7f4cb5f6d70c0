/* fixture — shared test helpers (see fixture.h). */
#define _XOPEN_SOURCE 700
#include "fixture.h"
#include "db.h"
#include "err.h"
#include "territory.h"
#include "user.h"
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "fixture: %s: %s\n", what, err_msg());
  abort();
}

void fixture_dir(char *out) {
  const char *tmp = getenv("TMPDIR");
  snprintf(out, 256, "%s/appui-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(out)) {
    perror("mkdtemp");
    abort();
  }
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void fixture_rmdir(const char *dir) {
  if (dir && *dir) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct db *fixture_db(char *dir) {
  char path[320];
  struct db *db;
  fixture_dir(dir);
  snprintf(path, sizeof path, "%s/appui.db", dir);
  if (db_open(&db, path, DB_MIGRATE)) die("db_open");
  return db;
}

const char *fixture_referential(void) { return APPUI_REFERENTIAL_DIR; }

void fixture_territory(struct db *db) {
  struct territory_stats st;
  struct user admin;
  const char *deps[] = {"31"};
  user_system(&admin, "test");
  if (territory_import(&st, db, &admin, fixture_referential(), deps, 1, NULL)) die("territory_import");
}

int64_t fixture_int(struct db *db, const char *sql) {
  sqlite3_stmt *st;
  int64_t v = 0;
  if (sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "fixture_int: %s: %s\n", sql, sqlite3_errmsg(db_sqlite(db)));
    abort();
  }
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

void fixture_digest(struct db *db, char out[65]) { fixture_digest_except(db, NULL, out); }

struct db *fixture_clone(struct db *src, char *dir) {
  char path[320];
  struct db *db;
  sqlite3_stmt *st;
  fixture_dir(dir);
  snprintf(path, sizeof path, "%s/appui.db", dir);
  if (sqlite3_prepare_v2(db_sqlite(src), "VACUUM INTO ?", -1, &st, NULL) != SQLITE_OK) die("VACUUM INTO");
  sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
  int s = sqlite3_step(st);
  sqlite3_finalize(st);
  if (s != SQLITE_DONE) {
    fprintf(stderr, "fixture_clone: %s\n", sqlite3_errmsg(db_sqlite(src)));
    abort();
  }
  if (db_open(&db, path, DB_MIGRATE)) die("db_open");
  return db;
}

void fixture_digest_except(struct db *db, const char *skip, char out[65]) {
  crypto_hash_sha256_state h;
  unsigned char d[crypto_hash_sha256_BYTES];
  sqlite3_stmt *tables, *rows;
  crypto_hash_sha256_init(&h);
  sqlite3_prepare_v2(db_sqlite(db),
                     "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                     "AND name NOT LIKE '%_fts_%' ORDER BY name",
                     -1, &tables, NULL);
  while (sqlite3_step(tables) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(tables, 0);
    char sql[256];
    if (skip && strcmp(t, skip) == 0) continue;
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1, 2", t);
    crypto_hash_sha256_update(&h, (const unsigned char *)t, strlen(t) + 1);
    if (sqlite3_prepare_v2(db_sqlite(db), sql, -1, &rows, NULL) != SQLITE_OK) continue;
    while (sqlite3_step(rows) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(rows); i++) {
        const unsigned char *v = sqlite3_column_blob(rows, i);
        int n = sqlite3_column_bytes(rows, i);
        unsigned char type = (unsigned char)sqlite3_column_type(rows, i);
        crypto_hash_sha256_update(&h, &type, 1);
        if (v) crypto_hash_sha256_update(&h, v, (unsigned long long)n);
        crypto_hash_sha256_update(&h, (const unsigned char *)"\x1f", 1);
      }
    }
    sqlite3_finalize(rows);
  }
  sqlite3_finalize(tables);
  crypto_hash_sha256_final(&h, d);
  sodium_bin2hex(out, 65, d, sizeof d);
}

/* Up to size-1 bytes of file `path` into `buf`. */
static void read_into(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(buf, 1, size - 1, f) : 0;
  buf[n] = 0;
  if (f) fclose(f);
}

int fixture_run(struct fixture_output *o, const char *bin, const char *data, const char *input,
                const char *const *args) {
  char out[300], err[300], in[300];
  snprintf(out, sizeof out, "%s.out", data);
  snprintf(err, sizeof err, "%s.err", data);
  snprintf(in, sizeof in, "%s.in", data);
  FILE *f = fopen(in, "wb");
  if (!f) {
    perror(in);
    abort();
  }
  if (input) fputs(input, f);
  fclose(f);
  const char *argv[96];
  int n = 0;
  argv[n++] = bin;
  argv[n++] = "--data";
  argv[n++] = data;
  for (int i = 0; args[i] && n < 95; i++) argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
        fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  read_into(out, o->out, sizeof o->out);
  read_into(err, o->err, sizeof o->err);
  unlink(out);
  unlink(err);
  unlink(in);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int fixture_sh(char *out, size_t size, const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  FILE *p = popen(cmd, "r");
  size_t n = p ? fread(out, 1, size - 1, p) : 0;
  out[n] = 0;
  return p ? pclose(p) : -1;
}

char *fixture_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fixture: cannot read %s\n", path);
    abort();
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  *len = p ? fread(p, 1, (size_t)n, f) : 0;
  if (p) p[*len] = 0;
  fclose(f);
  if (!p) abort();
  return p;
}
