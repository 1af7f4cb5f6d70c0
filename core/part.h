/* part — dispatch of a request across organisations: one part per org,
 * lead or contributor, moving proposed → accepted | declined (reason
 * required) → in_progress → done, or cancelled (reason required) from any
 * open state; an agent of the org may be assigned; a part may be handed
 * over to another org (back to proposed) and an agent's open parts moved
 * in bulk. Every move is one journal line (`part.*`) in the same
 * transaction, and goes through the permission rule:
 *   - coordinators and admins (and the platform) do everything;
 *   - a head acts on its own org's parts only (accept, decline, assign,
 *     hand over, start, finish, bulk reassign of its agents);
 *   - an agent starts and finishes the parts assigned to it;
 *   - requesters never act on parts.
 * Parts are named by their request reference and org slug. */
#ifndef APPUI_PART_H
#define APPUI_PART_H
#include <jansson.h>
#include <stdint.h>

struct db;
struct user;

/* The moves of a part. */
enum part_op {
  PART_ACCEPT,   /* proposed → accepted */
  PART_DECLINE,  /* proposed → declined, with a reason */
  PART_START,    /* accepted → in_progress */
  PART_DONE,     /* in_progress → done */
  PART_CANCEL    /* proposed | accepted | in_progress → cancelled, with a reason */
};

/* Where the parts of a request stand after a move. */
struct part_tally {
  int open;       /* proposed, accepted or in progress */
  int done, declined, cancelled;
  int settled;    /* 1 when this move closed the last open part */
};

/* Name of an operation for commands and the API ("accept"…), and back.
 * part_op_parse returns 0 or ERR_INVALID (field "op"). */
const char *part_op_name(enum part_op op);
int part_op_parse(enum part_op *out, const char *name);

/* French label of a state ("Proposée"…) or role ("Pilote"…); static, NULL
 * when unknown. */
const char *part_state_label(const char *state);
const char *part_role_label(const char *role);

/* Proposes org `org` (slug) on request `request` as `role` ("lead" or
 * "contributor"), answering with offer `offer` (slug, optional; it must be
 * the org's), inside the caller's transaction at `now`. There is at most
 * one lead; an org has at most one part per request (a declined or
 * cancelled one is proposed again). The request's deadlines take the
 * offer's targets if it had none, and count as acknowledged. Coordinators
 * and admins only. Returns 0 and the part id, ERR_INVALID, ERR_NOTFOUND
 * (org, offer), ERR_CONFLICT (already there, or a second lead),
 * ERR_FORBIDDEN or a storage error. */
int part_propose_tx(int64_t *id, struct db *db, const struct user *actor, int64_t request, const char *org,
                    const char *offer, const char *role, int64_t now);

/* Applies `op` to the part of org `org` on request `request` inside the
 * caller's transaction; `reason` is required by decline and cancel
 * (1..1000 characters), ignored otherwise. *tally (may be NULL) tells where
 * the request's parts stand after it. Returns 0, ERR_INVALID (no reason),
 * ERR_NOTFOUND (no such part), ERR_CONFLICT (move not allowed from the
 * current state, message naming both), ERR_FORBIDDEN or a storage error. */
int part_move_tx(struct part_tally *tally, struct db *db, const struct user *actor, int64_t request, const char *org,
                 enum part_op op, const char *reason, int64_t now);

/* Where the parts of request `request` stand (settled is 0). Returns 0 or a
 * storage error. */
int part_tally(struct part_tally *t, struct db *db, int64_t request);

/* Assigns the agent `agent` (e-mail; an agent or head of the part's org),
 * or nobody when NULL, to an open part. Head of the org, coordinator,
 * admin. Returns 0, ERR_NOTFOUND, ERR_INVALID (not of that org), ERR_CONFLICT
 * (part closed), ERR_FORBIDDEN or a storage error. */
int part_assign_tx(struct db *db, const struct user *actor, int64_t request, const char *org, const char *agent,
                   int64_t now);

/* Hands the open part of org `org` over to org `to` (slug): same role, back
 * to proposed, no agent, offer cleared unless `offer` names one of `to`'s.
 * Head of `org`, coordinator, admin. Returns 0, ERR_NOTFOUND, ERR_CONFLICT
 * (`to` already has a part, part closed, same org), ERR_FORBIDDEN or a
 * storage error. */
int part_handover_tx(struct db *db, const struct user *actor, int64_t request, const char *org, const char *to,
                     const char *offer, int64_t now);

/* Moves every open part assigned to agent `from` (e-mail) to agent `to`
 * (e-mail, same org) or to nobody (NULL), in one transaction: an agent
 * leaves or is away. *moved counts the parts. Head of the agent's org,
 * coordinator, admin. Returns 0, ERR_NOTFOUND, ERR_INVALID, ERR_FORBIDDEN
 * or a storage error; nothing moves on error. */
int part_bulk_reassign(int *moved, struct db *db, const struct user *actor, const char *from, const char *to);

/* The parts of request `request` as a JSON array (new reference) of
 * {org:{slug,name}, offer, role, role_label, state, state_label, agent,
 * reason, created_at, accepted_at, ended_at}. Returns 0 or a storage
 * error. The caller checks that the actor may read the request. */
int part_list(json_t **out, struct db *db, int64_t request);

/* The queue of org `org` (slug; NULL: the actor's own org): its parts in
 * `state` (NULL: open ones), newest first, at most `limit` (1..500), as a
 * JSON array of {ref, title, collectivity:{code, name}, status, part:{the
 * object of part_list()}, due_at}. Members of the org, coordinators, admins. Returns 0,
 * ERR_NOTFOUND, ERR_INVALID, ERR_FORBIDDEN or a storage error. */
int part_queue(json_t **out, struct db *db, const struct user *actor, const char *org, const char *state,
               int limit);

/* The id of org `slug` when `actor` may act for it as head: coordinators and
 * admins for any org, a head for its own. Returns 0, ERR_NOTFOUND or
 * ERR_FORBIDDEN. */
int part_org_for_head(int64_t *org, struct db *db, const struct user *actor, const char *slug);

#endif
