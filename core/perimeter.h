/* perimeter — sets of communes offers are given on: a commune, an EPCI, a
 * département, or an ad-hoc list (a syndicat's members…). Written as a
 * specification "kind:ref" ("departement:31", "epci:243100518",
 * "commune:31555", "adhoc:sivom-saves"). Containment is answered from
 * indexes (primary keys), never by a scan. */
#ifndef APPUI_PERIMETER_H
#define APPUI_PERIMETER_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

/* Finds the perimeter written `spec`, creating the row of a commune, EPCI or
 * département perimeter the first time (its target must exist); an ad-hoc
 * perimeter must have been created. Call inside a write transaction.
 * Returns 0 and its id, ERR_INVALID (bad spec), ERR_NOTFOUND (target
 * unknown), or a storage error. Errors name the field `field`. */
int perimeter_resolve(int64_t *id, struct db *db, const char *spec, const char *field);

/* Creates the ad-hoc perimeter `slug` named `name` over the communes `codes`
 * (count n ≥ 1, each must exist) and journals `perimeter.created`.
 * Returns 0 and its id, ERR_INVALID, ERR_NOTFOUND, ERR_CONFLICT (slug taken)
 * or a storage error. */
int perimeter_create(int64_t *id, struct db *db, const struct user *actor, const char *slug,
                     const char *name, const char *const *codes, int n);

/* Sets *inside to 1 if the commune `commune` lies in perimeter `id`, else 0.
 * Returns 0 or a storage error (ERR_NOTFOUND if the perimeter is unknown). */
int perimeter_contains(int *inside, struct db *db, int64_t id, const char *commune);

/* The perimeter as JSON {spec, kind, ref, name} (new reference), or NULL
 * with an error code in *rc. */
json_t *perimeter_to_json(struct db *db, int64_t id, int *rc);

/* All perimeters as a JSON array (new reference) with their commune counts.
 * Returns 0 or a storage error. */
int perimeter_list(json_t **out, struct db *db);

#endif
