/* db — the SQLite store: opening with the project's pragmas, numbered
 * migrations embedded from core/schema/, a per-connection cache of
 * prepared statements, and write transactions serialised by a process-wide
 * lock (one writer at a time, see shared/measured-here.md).
 *
 * One `struct db` is one connection, used by one thread at a time. */
#ifndef APPUI_DB_H
#define APPUI_DB_H
#include <sqlite3.h>
#include <stdint.h>

struct db;

enum {
  DB_MIGRATE = 1,  /* create the file if needed and apply pending migrations */
  DB_READONLY = 2  /* open read-only (no migration, no writes) */
};

/* Opens the database file `path`. With DB_MIGRATE, creates it and brings its
 * schema up to date, each migration in its own transaction; without, refuses
 * a database whose schema is not the current one. Returns 0 and a new
 * connection in *out (free with db_close()), or an error code. */
int db_open(struct db **out, const char *path, int flags);

/* Closes the connection and finalizes cached statements. NULL is a no-op. */
void db_close(struct db *db);

/* Every connection also knows the SQL function appui_time(ms): the UTC epoch
 * milliseconds `ms` as RFC 3339 in Europe/Paris time (clock_format()), NULL
 * for NULL, so queries can produce finished JSON. */

/* The underlying handle (owned by `db`). */
sqlite3 *db_sqlite(struct db *db);

/* The schema version this program expects (number of the last migration). */
int db_schema_version(void);

/* Prepares `sql` or takes it from the connection's cache. The statement stays
 * owned by the connection: give it back with db_done() (which resets it and
 * clears its bindings), never finalize it. Returns 0 or ERR_DB. */
int db_prepare(sqlite3_stmt **out, struct db *db, const char *sql);

/* Same as db_prepare() for a text with static storage (a literal or a
 * static const array), found again by its address without reading it: for
 * hot paths with long queries. Never pass a buffer that may change. */
int db_prepare_static(sqlite3_stmt **out, struct db *db, const char *sql);

/* Resets a statement from db_prepare() for its next use. NULL is a no-op. */
void db_done(sqlite3_stmt *st);

/* Runs SQL text without results (may hold several statements).
 * Returns 0 or an error code. */
int db_exec(struct db *db, const char *sql);

/* Begins a write transaction: takes the process-wide write lock, then
 * BEGIN IMMEDIATE. Returns 0 (the caller must then db_commit() or
 * db_rollback()) or an error code (nothing held). */
int db_begin(struct db *db);

/* Commits the transaction begun by db_begin() and releases the lock.
 * On failure the transaction is rolled back and the lock released. */
int db_commit(struct db *db);

/* Rolls back the transaction begun by db_begin(), if any, and releases the
 * lock. Safe to call when no transaction is open. */
void db_rollback(struct db *db);

/* Begins a read transaction (BEGIN DEFERRED): the statements that follow,
 * until db_read_end(), see one snapshot and share one WAL read lock instead
 * of taking one each. No write may happen inside. Returns 0 or an error. */
int db_read_begin(struct db *db);

/* Ends the read transaction of db_read_begin(); a no-op when none is open. */
void db_read_end(struct db *db);

/* Group commit: opens one write transaction (BEGIN IMMEDIATE, without the
 * process-wide lock) in which the writes of several callers follow each
 * other; meanwhile db_begin()/db_commit()/db_rollback() on this connection
 * become a savepoint, its release and its rollback, so each caller's work
 * stays all-or-nothing. The caller of db_batch_begin() serialises the users
 * of the connection and ends the batch with db_batch_commit(). Returns 0 or
 * an error. */
int db_batch_begin(struct db *db);

/* Commits the batch (everything its callers wrote becomes durable at once).
 * On failure everything of the batch is rolled back. Returns 0 or an
 * error. */
int db_batch_commit(struct db *db);

/* Makes the writes that follow on this connection (db_write, db_begin…)
 * one all-or-nothing unit until db_group_end(): several operations that
 * each write in their own transaction (filing a request, then attaching its
 * document) either all stay or all go. Inside a batch it is a savepoint;
 * otherwise a batch of its own (holding the process-wide write lock). Not
 * nested; no db_begin() may be open. Returns 0 or an error. */
int db_group_begin(struct db *db);

/* Ends the group: keeps its writes when `ok`, undoes them all otherwise.
 * Returns 0, or the error of keeping them (then nothing is kept). Leaves the
 * thread's error message alone when `ok` is 0. */
int db_group_end(struct db *db, int ok);

/* 1 while a transaction begun by db_begin() is open on this connection. */
int db_in_tx(struct db *db);

/* Runs fn(db, arg) inside a write transaction, committing if it returns 0
 * and rolling back otherwise; retries a few times when the database is busy.
 * Returns fn's result or the transaction's error. */
int db_write(struct db *db, int (*fn)(struct db *db, void *arg), void *arg);

/* Records the connection's last SQLite error for result code `rc` while
 * doing `what` and returns the matching error code (ERR_BUSY, ERR_CONFLICT
 * for constraints, ERR_IO, else ERR_DB). */
int db_fail(struct db *db, int rc, const char *what);

/* Binds a string, or NULL when `s` is NULL. Returns the SQLite code. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Column `i` as text, or NULL when the value is NULL. Owned by SQLite,
 * valid until the next step or reset. */
const char *db_col_text(sqlite3_stmt *st, int i);

/* Column `i` as a newly allocated string (free()), NULL when NULL. */
char *db_col_strdup(sqlite3_stmt *st, int i);

/* Runs a one-row query `sql` with one text parameter `param` and returns
 * its first column as an integer in *out. Returns 0, ERR_NOTFOUND when no
 * row, or an error code. */
int db_int_for(int64_t *out, struct db *db, const char *sql, const char *param);

/* Per-connection data of other modules (caches rebuilt from the store),
 * one slot per module, freed with its function at db_close(). */
enum { DB_SLOT_MATCH, DB_SLOT_BOARD, DB_SLOTS };
/* The data in `slot`, or NULL. */
void *db_slot(struct db *db, int slot);
/* Puts `data` in `slot`, freeing what was there with its function. */
void db_slot_set(struct db *db, int slot, void *data, void (*free_fn)(void *));
#endif
