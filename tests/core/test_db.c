/* Tests of core/db.c and the migrations of core/schema/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "embed.h"
#include "err.h"
#include "fixture.h"
#include "journal.h"
#include "user.h"
#include <stdio.h>
#include <string.h>

extern const struct embed_file schema_files[];
extern const size_t schema_files_count;

static void migrations_reach_current_version(void **state) {
  (void)state;
  char dir[256];
  struct db *db = fixture_db(dir);
  assert_int_equal(fixture_int(db, "PRAGMA user_version"), db_schema_version());
  assert_int_equal(db_schema_version(), (int)schema_files_count);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
  assert_int_equal(fixture_int(db, "PRAGMA foreign_keys"), 1);
  assert_int_equal(fixture_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM theme"), 15);
  db_close(db);
  /* Re-opening applies nothing more and keeps the data. */
  char path[320];
  snprintf(path, sizeof path, "%s/appui.db", dir);
  assert_int_equal(db_open(&db, path, DB_MIGRATE), 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM theme"), 15);
  db_close(db);
  /* Without DB_MIGRATE, an up-to-date base opens. */
  assert_int_equal(db_open(&db, path, 0), 0);
  db_close(db);
  fixture_rmdir(dir);
}

static void migration_files_are_numbered_and_commented(void **state) {
  (void)state;
  for (size_t i = 0; i < schema_files_count; i++) {
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%04zu_", i + 1);
    assert_memory_equal(schema_files[i].name, prefix, 5);
    /* Every column line inside CREATE TABLE (…) carries a comment. */
    const char *p = schema_files[i].data;
    int in_table = 0;
    while (*p) {
      const char *eol = strchr(p, '\n');
      size_t n = eol ? (size_t)(eol - p) : strlen(p);
      char line[512];
      snprintf(line, sizeof line, "%.*s", (int)(n < 511 ? n : 511), p);
      const char *t = line;
      while (*t == ' ') t++;
      if (strncmp(t, "CREATE TABLE", 12) == 0 || strncmp(t, "CREATE VIRTUAL TABLE", 20) == 0) in_table = 1;
      else if (in_table && t[0] == ')') in_table = 0;
      else if (in_table && *t && strncmp(t, "PRIMARY KEY", 11) && strncmp(t, "UNIQUE", 6) && strncmp(t, "CHECK", 5) &&
               strncmp(t, "FOREIGN KEY", 11) && strncmp(t, "content", 7) && strncmp(t, "tokenize", 8) &&
               strncmp(t, "--", 2)) {
        if (!strstr(line, "--")) fail_msg("%s: column without a comment: %s", schema_files[i].name, line);
      }
      p += n + (eol ? 1 : 0);
    }
  }
}

static void newer_schema_is_refused(void **state) {
  (void)state;
  char dir[256], path[320];
  struct db *db = fixture_db(dir);
  assert_int_equal(db_exec(db, "PRAGMA user_version = 999"), 0);
  db_close(db);
  snprintf(path, sizeof path, "%s/appui.db", dir);
  assert_int_equal(db_open(&db, path, DB_MIGRATE), ERR_CONFLICT);
  assert_non_null(strstr(err_msg(), "plus récent"));
  assert_int_equal(db_open(&db, path, 0), ERR_CONFLICT);
  fixture_rmdir(dir);
}

static void missing_base_without_migrate_is_refused(void **state) {
  (void)state;
  char dir[256], path[320];
  struct db *db;
  fixture_dir(dir);
  snprintf(path, sizeof path, "%s/absent.db", dir);
  assert_int_equal(db_open(&db, path, 0), ERR_IO);
  assert_null(db);
  fixture_rmdir(dir);
}

static int insert_theme_then_fail(struct db *db, void *arg) {
  (void)arg;
  assert_int_equal(db_exec(db, "INSERT INTO setting (key, value) VALUES ('x', 'y')"), 0);
  return err_set(ERR_INVALID, "x", "refusé exprès");
}

static int insert_setting(struct db *db, void *arg) {
  (void)arg;
  return db_exec(db, "INSERT INTO setting (key, value) VALUES ('k', 'v')");
}

static void write_rolls_back_on_error(void **state) {
  (void)state;
  char dir[256];
  struct db *db = fixture_db(dir);
  assert_int_equal(db_write(db, insert_theme_then_fail, NULL), ERR_INVALID);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting"), 0);
  assert_false(db_in_tx(db));
  assert_int_equal(db_write(db, insert_setting, NULL), 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting"), 1);
  /* A constraint violation is a conflict. */
  assert_int_equal(db_write(db, insert_setting, NULL), ERR_CONFLICT);
  db_close(db);
  fixture_rmdir(dir);
}

static int insert_group(struct db *db, void *arg) {
  char sql[128];
  snprintf(sql, sizeof sql, "INSERT INTO setting (key, value) VALUES ('%s', 'v')", (const char *)arg);
  return db_exec(db, sql);
}

/* db_group_begin/end: several db_write() calls kept or undone together,
 * alone or inside a batch (where the batch's other writes are untouched). */
static void group_keeps_or_undoes_all(void **state) {
  (void)state;
  char dir[256];
  struct db *db = fixture_db(dir);
  /* Alone: undone, then kept. */
  assert_int_equal(db_group_begin(db), 0);
  assert_int_equal(db_write(db, insert_group, "a"), 0);
  assert_int_equal(db_write(db, insert_group, "b"), 0);
  err_set(ERR_MEDIATYPE, NULL, "refusé exprès");
  assert_int_equal(db_group_end(db, 0), 0);
  assert_string_equal(err_msg(), "refusé exprès"); /* the caller's error is kept */
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting"), 0);
  assert_int_equal(db_group_begin(db), 0);
  assert_int_equal(db_write(db, insert_group, "a"), 0);
  assert_int_equal(db_write(db, insert_group, "b"), 0);
  /* A failing write inside the group undoes itself only. */
  assert_int_equal(db_write(db, insert_group, "a"), ERR_CONFLICT);
  assert_int_equal(db_group_end(db, 1), 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting WHERE key IN ('a', 'b')"), 2);
  /* Inside a batch: the group goes, the batch's own write stays. */
  assert_int_equal(db_batch_begin(db), 0);
  assert_int_equal(db_write(db, insert_group, "c"), 0);
  assert_int_equal(db_group_begin(db), 0);
  assert_int_equal(db_write(db, insert_group, "d"), 0);
  assert_int_equal(db_write(db, insert_group, "e"), 0);
  assert_int_equal(db_group_end(db, 0), 0);
  assert_int_equal(db_group_begin(db), 0);
  assert_int_equal(db_write(db, insert_group, "f"), 0);
  assert_int_equal(db_group_end(db, 1), 0);
  assert_int_equal(db_batch_commit(db), 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting WHERE key IN ('c', 'f')"), 2);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM setting WHERE key IN ('d', 'e')"), 0);
  assert_false(db_in_tx(db));
  db_close(db);
  fixture_rmdir(dir);
}

static void statement_cache_survives_many_statements(void **state) {
  (void)state;
  char dir[256];
  struct db *db = fixture_db(dir);
  for (int i = 0; i < 300; i++) {
    char sql[64];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT %d", i);
    assert_int_equal(db_prepare(&st, db, sql), 0);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), i);
    db_done(st);
  }
  db_close(db);
  fixture_rmdir(dir);
}

static void journal_is_append_only(void **state) {
  (void)state;
  char dir[256];
  struct db *db = fixture_db(dir);
  struct user sys;
  user_system(&sys, "test");
  assert_int_equal(db_begin(db), 0);
  json_t *data = json_pack("{s:s}", "k", "v");
  assert_int_equal(journal_append(db, &sys, 0, "test.event", data), 0);
  json_decref(data);
  assert_int_equal(db_commit(db), 0);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM event WHERE type = 'test.event' AND actor = 'test'"), 1);
  assert_int_equal(db_exec(db, "UPDATE event SET type = 'x'"), ERR_CONFLICT);
  assert_int_equal(db_exec(db, "DELETE FROM event"), ERR_CONFLICT);
  assert_int_equal(fixture_int(db, "SELECT count(*) FROM event"), 1);
  json_t *list;
  assert_int_equal(journal_list(&list, db, 0, 0, 10), 0);
  assert_int_equal(json_array_size(list), 1);
  assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(list, 0), "data"), "k")), "v");
  json_decref(list);
  db_close(db);
  fixture_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(migrations_reach_current_version),
      cmocka_unit_test(migration_files_are_numbered_and_commented),
      cmocka_unit_test(newer_schema_is_refused),
      cmocka_unit_test(missing_base_without_migrate_is_refused),
      cmocka_unit_test(write_rolls_back_on_error),
      cmocka_unit_test(group_keeps_or_undoes_all),
      cmocka_unit_test(statement_cache_survives_many_statements),
      cmocka_unit_test(journal_is_append_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
