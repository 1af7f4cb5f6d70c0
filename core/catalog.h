/* catalog — the organisations that give support (orgs), their offers, and
 * the memberships of collectivities to orgs. Orgs and offers are named by
 * their slug outside the store. */
#ifndef APPUI_CATALOG_H
#define APPUI_CATALOG_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

/* What is needed to create an org. Strings are borrowed; optional ones NULL. */
struct catalog_org_new {
  const char *slug, *name;
  const char *kind;    /* direction, service, satellite, mission, partner */
  const char *parent;  /* slug of the enclosing org, optional */
  const char *email, *phone; /* contact, optional */
  int capacity;        /* open parts it can hold; < 0 for the default (20) */
};

/* What is needed to create an offer. */
struct catalog_offer_new {
  const char *slug, *org, *kind, *title, *summary;
  const char *const *themes;   /* at least one theme code */
  int n_themes;
  const char *const *audience; /* collectivity kinds; none means communes and EPCI */
  int n_audience;
  const char *perimeter;       /* perimeter spec ("departement:31"), NULL = everywhere */
  const char *eligibility;     /* FEEL-lite expression kept as text, NULL = none */
  int requires_membership;     /* 1: only members of the org may ask */
  int sla_ack, sla_take, sla_resolve; /* business days, < 0 when not set */
  const char *process;         /* BPMN process id, NULL = "demande-appui" */
};

/* Creates an org and journals `org.created`. Admin only. Returns 0 and its
 * id, ERR_INVALID (field named), ERR_NOTFOUND (parent), ERR_CONFLICT (slug
 * taken), ERR_FORBIDDEN or a storage error. */
int catalog_org_add(int64_t *id, struct db *db, const struct user *actor,
                    const struct catalog_org_new *n);

/* Id of the org `slug`. Returns 0, ERR_NOTFOUND (field `field`) or a storage
 * error. */
int catalog_org_id(int64_t *id, struct db *db, const char *slug, const char *field);

/* All orgs as a JSON array, or one org (with its offers) as an object.
 * New references. Return 0, ERR_NOTFOUND or a storage error. */
int catalog_org_list(json_t **out, struct db *db);
int catalog_org_show(json_t **out, struct db *db, const char *slug);

/* Creates an offer and journals `offer.created`. Admin only. Returns 0 and
 * its id, ERR_INVALID, ERR_NOTFOUND (org, perimeter), ERR_CONFLICT,
 * ERR_FORBIDDEN or a storage error. */
int catalog_offer_add(int64_t *id, struct db *db, const struct user *actor,
                      const struct catalog_offer_new *n);

/* Id of the active offer `slug`. Returns 0, ERR_NOTFOUND (field `field`) or
 * a storage error. */
int catalog_offer_id(int64_t *id, struct db *db, const char *slug, const char *field);

/* Active offers as a JSON array, optionally only those with theme `theme`
 * and/or of org `org` (NULL for any); or one offer as an object. */
int catalog_offer_list(json_t **out, struct db *db, const char *theme, const char *org);
int catalog_offer_show(json_t **out, struct db *db, const char *slug);

/* Records that collectivity `code` adheres to org `org` from `start` (until
 * `end`, optional; dates YYYY-MM-DD) and journals `membership.added`.
 * Admin or coordinator. Returns 0 and its id, ERR_INVALID, ERR_NOTFOUND,
 * ERR_CONFLICT (overlapping membership) or a storage error. */
int catalog_membership_add(int64_t *id, struct db *db, const struct user *actor, const char *code,
                           const char *org, const char *start, const char *end);

/* Memberships of collectivity `code` or of org `org` (one of them NULL) as a
 * JSON array. Returns 0 or a storage error. */
int catalog_membership_list(json_t **out, struct db *db, const char *code, const char *org);

/* French labels of org and offer kinds ("Satellite", "Conseil"…), static;
 * NULL for an unknown kind. */
const char *catalog_org_kind_label(const char *kind);
const char *catalog_offer_kind_label(const char *kind);

#endif
