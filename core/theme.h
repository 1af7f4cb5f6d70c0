/* theme — the fixed taxonomy of themes (voirie, eau-assainissement…),
 * seeded by migration 0002 and read from the store. */
#ifndef APPUI_THEME_H
#define APPUI_THEME_H
#include <jansson.h>

struct db;

/* Checks that every code of `codes` (count n) is a theme and that none is
 * repeated. Returns 0, ERR_INVALID naming `field` (listing the valid
 * themes), or a storage error. */
int theme_check(struct db *db, const char *const *codes, int n, const char *field);

/* The themes as a JSON array of {code, label} in display order (new
 * reference). Returns 0 or a storage error. */
int theme_list(json_t **out, struct db *db);

/* The themes as an object {code: label} in *labels (new reference) and,
 * when `list` is not NULL, the theme_list() array in *list (new
 * reference). Returns 0 or a storage error. */
int theme_labels(json_t **labels, json_t **list, struct db *db);

#endif
