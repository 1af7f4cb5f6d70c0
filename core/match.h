/* match — which offers suit a request, ranked and explained (DESIGN.md,
 * "Matching"). Every active offer goes through the gates, in order:
 *   1. perimeter: the collectivity lies in the offer's perimeter (an EPCI
 *      lies in it when one of its communes does);
 *   2. audience: its kind is one the offer is for;
 *   3. membership: it adheres to the org (itself or through its EPCI) when
 *      the offer requires it;
 *   4. eligibility: the offer's FEEL-lite expression over the collectivity
 *      (population, kind, code, name, epci, departement, member_of) is true;
 *   5. routing rules: no published rule excludes the org.
 * Each eligible offer is scored out of 100 from five components in [0, 1],
 * kept in the answer with French reasons: theme overlap (35), text
 * relevance against the offer (25) and against the requests the org
 * accepted before (15) (FTS5 bm25), load (open parts against capacity, 15),
 * continuity (open or past work with the collectivity, or membership, 10).
 * An eligible offer that shares no theme and no word with the request is
 * left out as unrelated.
 * The routing rules (rules/orientation.rules in the workflows repository)
 * may name the lead and contributors; otherwise the best offer leads.
 *
 * The catalogue is kept in memory per connection and reloaded when its
 * version changes, so that one match costs a few indexed reads. */
#ifndef APPUI_MATCH_H
#define APPUI_MATCH_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

/* Weights of the components, summing to 100. */
#define MATCH_W_THEME 35
#define MATCH_W_TEXT 25
#define MATCH_W_HISTORY 15
#define MATCH_W_LOAD 15
#define MATCH_W_CONTINUITY 10

/* Name of the ruleset matching applies. */
#define MATCH_RULESET "orientation"

/* A request, real or hypothetical (dry run). Strings borrowed. */
struct match_query {
  const char *collectivity;    /* code (INSEE or SIREN) */
  const char *const *themes;   /* theme codes, at least one */
  int n_themes;
  const char *text;            /* title and description, may be NULL */
  int64_t request;             /* the request, 0 for a dry run */
  const char *ref;             /* its reference, NULL for a dry run */
  double budget;               /* euros, < 0 when unknown (rule variables) */
  const char *offer;           /* offer chosen by the requester (slug), may be NULL */
};

enum {
  MATCH_EXPLAIN = 1  /* also list the excluded offers that share a theme, and the rules' verdicts */
};

/* Ranks the offers for `q` at time `now`: the `limit` best eligible ones
 * (1..200; 0 means 10). *out (new reference) is {collectivity, themes,
 * offers:[{rank, offer, org, score, components:{theme, text, history, load,
 * continuity}, reasons:[…]}], eligible, excluded_counts:{perimeter,
 * audience, membership, eligibility, rule, unrelated}, proposal:{lead, contributors,
 * source}, summary} plus, with MATCH_EXPLAIN, excluded:[{offer, org, gate,
 * reason}] and rules. When nothing is eligible, `summary` says why in
 * French. Returns 0, ERR_INVALID (bad theme, no theme), ERR_NOTFOUND
 * (collectivity) or a storage error. Reads only. */
int match_run(json_t **out, struct db *db, const struct match_query *q, int flags, int limit, int64_t now);

/* Checks an offer's eligibility expression `text`: it parses (else the
 * column and the usual mistake), and reads only the variables the gates
 * provide (population, kind, code, name, epci, departement, member_of).
 * Returns 0 or ERR_INVALID (field "eligibility"). */
int match_check_eligibility(const char *text);

/* match_run() for request `ref` as `actor` may see it (perm.h). Returns
 * what match_run() returns, or ERR_NOTFOUND / ERR_FORBIDDEN. */
int match_request(json_t **out, struct db *db, const struct user *actor, const char *ref, int flags, int limit,
                  int64_t now);

/* match_run() for request `request` (id), for the platform (dispatch). */
int match_request_id(json_t **out, struct db *db, int64_t request, int flags, int limit, int64_t now);

#endif
