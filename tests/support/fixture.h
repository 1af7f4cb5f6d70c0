/* fixture — helpers shared by the test suites: temporary data directories,
 * fresh databases, the real referential, and a digest of a whole database to
 * prove that a refused operation changed nothing. */
#ifndef APPUI_FIXTURE_H
#define APPUI_FIXTURE_H
#include <stddef.h>
#include <stdint.h>

struct db;

/* Creates a new empty temporary directory (under TMPDIR or /tmp) and writes
 * its path into `out` (at least 256 bytes). Aborts the test program on
 * failure. */
void fixture_dir(char *out);

/* Removes a directory made by fixture_dir() and everything in it. */
void fixture_rmdir(const char *dir);

/* Opens a new migrated database `appui.db` in a new temporary directory,
 * whose path goes to `dir` (256 bytes). Aborts on failure. */
struct db *fixture_db(char *dir);

/* The directory of the @etalab/decoupage-administratif JSON files. */
const char *fixture_referential(void);

/* Imports Haute-Garonne (31) into `db`. Aborts on failure. */
void fixture_territory(struct db *db);

/* The integer result of a one-row query (aborts on error). */
int64_t fixture_int(struct db *db, const char *sql);

/* Hex SHA-256 of the whole content of the database (every table, every row,
 * in a stable order) into `out` (65 bytes): equal digests mean nothing
 * changed. */
void fixture_digest(struct db *db, char out[65]);

/* Same as fixture_digest() without the table `skip` (e.g. "event", to
 * compare everything but the journal). */
void fixture_digest_except(struct db *db, const char *skip, char out[65]);

/* A copy of database `src` (VACUUM INTO) opened as `appui.db` in a new
 * temporary directory, whose path goes to `dir` (256 bytes): a fresh base
 * with the same content for each test, without re-importing. Aborts on
 * failure. */
struct db *fixture_clone(struct db *src, char *dir);

/* Asserts, inside a cmocka test (include cmocka.h and err.h first), that
 * `call` is refused with error `code`, naming `field` (unless NULL), with a
 * message containing `needle` (unless NULL), and that the whole database
 * `db` is unchanged (fixture_digest). */
#define assert_refused(db, call, code, field, needle)                                              \
  do {                                                                                             \
    char before_[65], after_[65];                                                                  \
    const char *field_ = (field), *needle_ = (needle);                                             \
    fixture_digest((db), before_);                                                                 \
    err_clear();                                                                                   \
    int rc_ = (call);                                                                              \
    fixture_digest((db), after_);                                                                  \
    if (rc_ != (code))                                                                             \
      fail_msg("%s: %d (%s) au lieu de %d (%s) : %s", #call, rc_, err_name(rc_), (code),           \
               err_name(code), err_msg());                                                         \
    if (!err_msg()[0]) fail_msg("%s: refus sans message", #call);                                  \
    if (field_ && strcmp(err_field(), field_) != 0)                                                \
      fail_msg("%s: champ « %s » au lieu de « %s » (%s)", #call, err_field(), field_, err_msg());  \
    if (needle_ && !strstr(err_msg(), needle_))                                                    \
      fail_msg("%s: message sans « %s » : %s", #call, needle_, err_msg());                         \
    if (strcmp(before_, after_) != 0) fail_msg("%s: refusé mais la base a changé", #call);         \
  } while (0)

/* What a command printed: standard output and standard error. */
struct fixture_output {
  char out[1 << 20];
  char err[1 << 16];
};

/* Runs the program `bin` with `--data data` then `args` (NULL-terminated),
 * `input` (may be NULL) on its standard input; fills *o. Returns its exit
 * status (128 if it did not exit). */
int fixture_run(struct fixture_output *o, const char *bin, const char *data, const char *input,
                const char *const *args);

/* Runs a shell command, its first `size`-1 bytes of output into `out`.
 * Returns the status of pclose(). */
int fixture_sh(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The whole file `path` (malloc'ed, NUL-terminated) and its length in
 * *len. Aborts the test program if it cannot be read. */
char *fixture_read(const char *path, size_t *len);

#endif
