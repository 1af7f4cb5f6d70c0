/* territory — the French administrative referential: départements,
 * communes and EPCI, imported from the JSON files of the npm package
 * @etalab/decoupage-administratif (real INSEE data), and the collectivities
 * that file requests. */
#ifndef APPUI_TERRITORY_H
#define APPUI_TERRITORY_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;
struct progress;

struct territory_stats {
  int64_t departements; /* départements imported */
  int64_t communes;     /* communes read for the chosen départements */
  int64_t epcis;        /* EPCI read with a member in them */
  int64_t inserted;     /* collectivities added */
  int64_t updated;      /* collectivities whose data changed */
};

/* Imports the départements `codes` (count `n`; n == 0 means all of France)
 * from the directory `dir` holding departements.json, communes.json and
 * epci.json. Only current communes (type commune-actuelle) are kept, with
 * their population, postal codes and EPCI; EPCI are kept when one of their
 * members is. Re-running is idempotent. Runs in one transaction and journals
 * `territory.imported`. Returns 0 and counts in *stats, ERR_IO (file
 * missing), ERR_MALFORMED (file not as expected, names it), ERR_INVALID
 * (unknown département) or a storage error; nothing is changed on error. */
int territory_import(struct territory_stats *stats, struct db *db, const struct user *actor,
                     const char *dir, const char *const *codes, int n,
                     const struct progress *progress);

/* The collectivity with this code (commune INSEE code or SIREN) as a JSON
 * object (new reference): code, kind, name, population, departement, and for
 * a commune its EPCI and postal codes, for an EPCI its members. Returns 0,
 * ERR_NOTFOUND or a storage error. */
int territory_show(json_t **out, struct db *db, const char *code);

/* Kind of the collectivity with this code ("commune", "epci"…) copied into
 * `kind` (16 bytes). Returns 0, ERR_NOTFOUND (field "collectivity") or a
 * storage error. */
int territory_kind(char kind[16], struct db *db, const char *code);

/* The code of the one commune or EPCI named `name` (case ignored) into
 * `code`, for forms where a collectivity is typed by its name. Returns 0,
 * ERR_NOTFOUND (none, field "commune"), ERR_INVALID (several: the message
 * lists them, with their codes, so that one is chosen by its code) or a
 * storage error. */
int territory_code_of_name(char code[16], struct db *db, const char *name);

/* Every EPCI of the referential as a JSON array (new reference) of
 * {code (SIREN), name}, by name (for the filters of the board). Returns 0
 * or a storage error. */
int territory_epcis(json_t **out, struct db *db);

#endif
