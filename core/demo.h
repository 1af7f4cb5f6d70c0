/* demo — the demonstration data set: Haute-Garonne from the referential,
 * the département's directions and satellite bodies with their offers,
 * memberships, one account per role and a few dozen requests. Created once
 * (recorded in setting 'demo.created_at'); running it again does nothing. */
#ifndef APPUI_DEMO_H
#define APPUI_DEMO_H
#include "territory.h"
#include <stdint.h>

struct db;
struct progress;

#define DEMO_ACCOUNTS_MAX 16

struct demo_result {
  int created;             /* 1 if this call created the data, 0 if it existed */
  int n_accounts;          /* accounts created by this call */
  struct {
    char email[128], role[16], password[32];
  } accounts[DEMO_ACCOUNTS_MAX];   /* with their generated passwords (shown once) */
  int64_t orgs, offers, memberships, requests;
  struct territory_stats territory;
};

/* Directory of the referential next to the sources (the npm package
 * installed by `make`). Static. */
const char *demo_referential_default(void);

/* The demo's routing rules (core/rule.h format, static, `*len` bytes), to
 * publish once the demo catalogue exists; NULL if absent. */
const char *demo_rules(size_t *len);

/* Creates the demo data set if absent, reading the referential from
 * `referential` (NULL: demo_referential_default()). Returns 0 and what was
 * done in *out, or an error (what was created before it stays, and a new
 * run completes it). */
int demo_create(struct demo_result *out, struct db *db, const char *referential,
                const struct progress *progress);

#endif
