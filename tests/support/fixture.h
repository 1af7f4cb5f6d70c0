/* fixture — helpers shared by the test suites: temporary data directories,
 * fresh databases, the real referential, and a digest of a whole database to
 * prove that a refused operation changed nothing. */
#ifndef APPUI_FIXTURE_H
#define APPUI_FIXTURE_H
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

#endif
