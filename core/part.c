/* part — dispatch of requests across organisations (see part.h). */
#include "part.h"
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "sla.h"
#include "text.h"
#include "user.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define REASON_MAX 1000

/* States as bits, for the table of allowed moves. */
enum { S_PROPOSED = 1, S_ACCEPTED = 2, S_DECLINED = 4, S_IN_PROGRESS = 8, S_DONE = 16, S_CANCELLED = 32 };
#define S_OPEN (S_PROPOSED | S_ACCEPTED | S_IN_PROGRESS)

static const struct {
  const char *code, *label;
  int bit;
} states[] = {
    {"proposed", "Proposée", S_PROPOSED},   {"accepted", "Acceptée", S_ACCEPTED},
    {"declined", "Déclinée", S_DECLINED},   {"in_progress", "En cours", S_IN_PROGRESS},
    {"done", "Terminée", S_DONE},           {"cancelled", "Annulée", S_CANCELLED},
};

/* One row per operation: its name, the states it leaves from, the state it
 * reaches, its journal event, whether a reason is required, and whether
 * the assigned agent may do it. */
static const struct {
  const char *name;
  int from;
  const char *to, *event;
  int needs_reason, by_agent;
} ops[] = {
    [PART_ACCEPT] = {"accept", S_PROPOSED, "accepted", "part.accepted", 0, 0},
    [PART_DECLINE] = {"decline", S_PROPOSED, "declined", "part.declined", 1, 0},
    [PART_START] = {"start", S_ACCEPTED, "in_progress", "part.started", 0, 1},
    [PART_DONE] = {"done", S_IN_PROGRESS, "done", "part.done", 0, 1},
    [PART_CANCEL] = {"cancel", S_OPEN, "cancelled", "part.cancelled", 1, 0},
};

const char *part_op_name(enum part_op op) { return ops[op].name; }

int part_op_parse(enum part_op *out, const char *name) {
  for (size_t i = 0; name && i < sizeof ops / sizeof ops[0]; i++)
    if (!strcmp(ops[i].name, name)) {
      *out = (enum part_op)i;
      return 0;
    }
  return err_set(ERR_INVALID, "op", "opération inconnue : « %s » (accept, decline, start, done ou cancel)",
                 name ? name : "");
}

static int state_bit(const char *code) {
  for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
    if (!strcmp(states[i].code, code)) return states[i].bit;
  return 0;
}

const char *part_state_label(const char *state) {
  for (size_t i = 0; state && i < sizeof states / sizeof states[0]; i++)
    if (!strcmp(states[i].code, state)) return states[i].label;
  return NULL;
}

const char *part_role_label(const char *role) {
  if (!role) return NULL;
  if (!strcmp(role, "lead")) return "Pilote";
  if (!strcmp(role, "contributor")) return "Contributeur";
  return NULL;
}

/* The states allowed for `bits`, in French, for messages ("proposée ou
 * acceptée"). */
static void states_text(char *out, size_t size, int bits) {
  out[0] = 0;
  size_t n = 0;
  for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
    if (bits & states[i].bit) {
      const char *sep = !n ? "" : " ou ";
      n += (size_t)snprintf(out + strlen(out), size - strlen(out), "%s« %s »", sep, states[i].label);
      if (strlen(out) + 1 >= size) break;
    }
}

int part_org_for_head(int64_t *org, struct db *db, const struct user *actor, const char *slug) {
  int rc = catalog_org_id(org, db, slug, "org");
  if (rc) return rc;
  if (user_coordinates(actor) || (actor->role == ROLE_HEAD && actor->org == *org)) return 0;
  return err_set(ERR_FORBIDDEN, "org", "seul·e le ou la chef·fe de service de « %s » ou la coordination peut agir "
                                       "sur ses mises en relation",
                 slug);
}

/* A part as read for a move. */
struct part {
  int64_t id, org, agent, offer;
  char ref[16], org_slug[64], state[16], role[16];
};

/* Reads the part of org `slug` on request `request`. */
static int part_get(struct part *p, struct db *db, int64_t request, const char *slug) {
  sqlite3_stmt *st;
  int64_t org;
  int rc = catalog_org_id(&org, db, slug, "org");
  if (rc) return rc;
  if ((rc = db_prepare(&st, db, "SELECT p.id, p.org, coalesce(p.agent, 0), coalesce(p.offer, 0), p.state, p.role, "
                                "r.ref FROM part p JOIN request r ON r.id = p.request "
                                "WHERE p.request = ? AND p.org = ?")))
    return rc;
  sqlite3_bind_int64(st, 1, request);
  sqlite3_bind_int64(st, 2, org);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(st, 0);
    p->org = sqlite3_column_int64(st, 1);
    p->agent = sqlite3_column_int64(st, 2);
    p->offer = sqlite3_column_int64(st, 3);
    snprintf(p->state, sizeof p->state, "%s", db_col_text(st, 4));
    snprintf(p->role, sizeof p->role, "%s", db_col_text(st, 5));
    snprintf(p->ref, sizeof p->ref, "%s", db_col_text(st, 6));
    snprintf(p->org_slug, sizeof p->org_slug, "%s", slug);
  } else if (s == SQLITE_DONE) {
    rc = err_set(ERR_NOTFOUND, "org", "« %s » n'a pas de mise en relation sur cette demande", slug);
  } else {
    rc = db_fail(db, s, "lecture d'une mise en relation");
  }
  db_done(st);
  return rc;
}

/* Journals `type` for part `p` with `data` (stolen) plus org and ref. */
static int part_journal(struct db *db, const struct user *actor, int64_t request, const struct part *p,
                        const char *type, json_t *data, int64_t now) {
  if (!data) data = json_object();
  json_object_set_new(data, "org", json_string(p->org_slug));
  json_object_set_new(data, "ref", json_string(p->ref));
  int rc = journal_append_at(db, actor, request, type, data, now);
  json_decref(data);
  return rc;
}

static int touch_request(struct db *db, int64_t request, int64_t now) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "UPDATE request SET updated_at = max(updated_at, ?) WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int64(st, 2, request);
  int s = sqlite3_step(st);
  db_done(st);
  return s == SQLITE_DONE ? 0 : db_fail(db, s, "mise à jour de la demande");
}

static int check_reason(const char *reason, const char *what) {
  if (!reason || !*reason)
    return err_set(ERR_INVALID, "reason", "un motif est obligatoire pour %s une mise en relation", what);
  return text_check_field(reason, "reason", "motif", REASON_MAX);
}

int part_propose_tx(int64_t *id, struct db *db, const struct user *actor, int64_t request, const char *org,
                    const char *offer, const char *role, int64_t now) {
  if (!user_coordinates(actor))
    return err_set(ERR_FORBIDDEN, NULL, "seule la coordination propose une mise en relation");
  if (!role || (strcmp(role, "lead") != 0 && strcmp(role, "contributor") != 0))
    return err_set(ERR_INVALID, "role", "rôle inconnu : « %s » (lead ou contributor)", role ? role : "");
  int64_t org_id, offer_id = 0, existing = 0;
  int rc = catalog_org_id(&org_id, db, org, "org");
  if (rc) return rc;
  sqlite3_stmt *st;
  if (offer) {
    if ((rc = catalog_offer_id(&offer_id, db, offer, "offer"))) return rc;
    int64_t owner = 0;
    if ((rc = db_prepare(&st, db, "SELECT org FROM offer WHERE id = ?"))) return rc;
    sqlite3_bind_int64(st, 1, offer_id);
    if (sqlite3_step(st) == SQLITE_ROW) owner = sqlite3_column_int64(st, 0);
    db_done(st);
    if (owner != org_id)
      return err_set(ERR_INVALID, "offer", "l'offre « %s » n'est pas une offre de « %s »", offer, org);
  }
  /* One part per org; one lead per request. */
  char state[16] = "";
  int leads = 0;
  if ((rc = db_prepare(&st, db, "SELECT (SELECT id FROM part WHERE request = ?1 AND org = ?2), "
                                "(SELECT state FROM part WHERE request = ?1 AND org = ?2), "
                                "(SELECT count(*) FROM part WHERE request = ?1 AND role = 'lead' AND org <> ?2 "
                                " AND state IN ('proposed', 'accepted', 'in_progress', 'done')), "
                                "EXISTS (SELECT 1 FROM request WHERE id = ?1)")))
    return rc;
  sqlite3_bind_int64(st, 1, request);
  sqlite3_bind_int64(st, 2, org_id);
  int found = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    existing = sqlite3_column_int64(st, 0);
    if (db_col_text(st, 1)) snprintf(state, sizeof state, "%s", db_col_text(st, 1));
    leads = sqlite3_column_int(st, 2);
    found = sqlite3_column_int(st, 3);
  }
  db_done(st);
  if (!found) return err_set(ERR_NOTFOUND, "ref", "demande inconnue");
  if (existing && (state_bit(state) & S_OPEN || !strcmp(state, "done")))
    return err_set(ERR_CONFLICT, "org", "« %s » a déjà une mise en relation sur cette demande (%s)", org,
                   part_state_label(state));
  if (!strcmp(role, "lead") && leads)
    return err_set(ERR_CONFLICT, "role", "la demande a déjà une structure pilote : proposez « %s » comme "
                                         "contributeur ou passez la main",
                   org);
  if (existing)
    rc = db_prepare(&st, db, "UPDATE part SET role = ?3, offer = ?4, state = 'proposed', agent = NULL, reason = NULL, "
                             "accepted_at = NULL, ended_at = NULL, updated_at = ?5 WHERE request = ?1 AND org = ?2");
  else
    rc = db_prepare(&st, db, "INSERT INTO part (request, org, role, offer, created_at, updated_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  sqlite3_bind_int64(st, 2, org_id);
  db_bind_text(st, 3, role);
  if (offer_id) sqlite3_bind_int64(st, 4, offer_id);
  sqlite3_bind_int64(st, 5, now);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement de la mise en relation");
  struct part p;
  if ((rc = part_get(&p, db, request, org))) return rc;
  rc = part_journal(db, actor, request, &p, "part.proposed", json_pack("{s:s, s:s?}", "role", role, "offer", offer),
                    now);
  if (!rc && offer_id && !strcmp(role, "lead")) rc = sla_adopt_tx(db, request, offer_id);
  if (!rc) rc = sla_met_tx(db, request, SLA_ACK, now);
  if (!rc) rc = touch_request(db, request, now);
  if (!rc && id) *id = p.id;
  return rc;
}

int part_tally(struct part_tally *t, struct db *db, int64_t request) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT count(*) FILTER (WHERE state IN ('proposed', 'accepted', 'in_progress')), "
                               "count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'declined'), "
                               "count(*) FILTER (WHERE state = 'cancelled') FROM part WHERE request = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  memset(t, 0, sizeof *t);
  if (sqlite3_step(st) == SQLITE_ROW) {
    t->open = sqlite3_column_int(st, 0);
    t->done = sqlite3_column_int(st, 1);
    t->declined = sqlite3_column_int(st, 2);
    t->cancelled = sqlite3_column_int(st, 3);
  }
  db_done(st);
  return 0;
}

int part_move_tx(struct part_tally *tally, struct db *db, const struct user *actor, int64_t request, const char *org,
                 enum part_op op, const char *reason, int64_t now) {
  struct part p;
  int rc = part_get(&p, db, request, org);
  if (rc) return rc;
  int mine = actor->role == ROLE_AGENT && actor->id && actor->id == p.agent && actor->org == p.org;
  if (!user_coordinates(actor) && !(actor->role == ROLE_HEAD && actor->org == p.org) && !(ops[op].by_agent && mine))
    return err_set(ERR_FORBIDDEN, "org",
                   ops[op].by_agent ? "seul l'agent assigné, le ou la chef·fe de service de « %s » ou la coordination "
                                      "peut faire cela"
                                    : "seul·e le ou la chef·fe de service de « %s » ou la coordination peut faire cela",
                   org);
  if (!(state_bit(p.state) & ops[op].from)) {
    char allowed[160];
    states_text(allowed, sizeof allowed, ops[op].from);
    return err_set(ERR_CONFLICT, "state", "la mise en relation de « %s » est « %s » : « %s » n'est possible que "
                                          "depuis l'état %s",
                   org, part_state_label(p.state), ops[op].name, allowed);
  }
  if (ops[op].needs_reason && (rc = check_reason(reason, op == PART_DECLINE ? "décliner" : "annuler"))) return rc;
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "UPDATE part SET state = ?2, reason = coalesce(?3, reason), updated_at = ?4, "
                                "accepted_at = CASE WHEN ?2 = 'accepted' THEN ?4 ELSE accepted_at END, "
                                "ended_at = CASE WHEN ?2 IN ('done', 'declined', 'cancelled') THEN ?4 END "
                                "WHERE id = ?1")))
    return rc;
  sqlite3_bind_int64(st, 1, p.id);
  db_bind_text(st, 2, ops[op].to);
  if (ops[op].needs_reason) db_bind_text(st, 3, reason);
  sqlite3_bind_int64(st, 4, now);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "changement d'état de la mise en relation");
  rc = part_journal(db, actor, request, &p, ops[op].event,
                    json_pack("{s:s, s:s, s:s?}", "from", p.state, "to", ops[op].to, "reason",
                              ops[op].needs_reason ? reason : NULL),
                    now);
  if (!rc && op == PART_ACCEPT) rc = sla_met_tx(db, request, SLA_TAKE, now);
  if (!rc) rc = touch_request(db, request, now);
  struct part_tally t;
  if (!rc) rc = part_tally(&t, db, request);
  if (!rc) {
    t.settled = t.open == 0 && (state_bit(p.state) & S_OPEN);
    if (tally) *tally = t;
  }
  return rc;
}

/* Checks that `email` is an agent or head of org `org`; its id in *id. */
static int agent_of(int64_t *id, struct db *db, const char *email, int64_t org, const char *org_slug) {
  struct user u;
  int rc = user_get_by_email(&u, db, email);
  if (rc == ERR_NOTFOUND) return err_set(ERR_NOTFOUND, "agent", "compte inconnu : « %s »", email);
  if (rc) return rc;
  if ((u.role != ROLE_AGENT && u.role != ROLE_HEAD) || u.org != org)
    return err_set(ERR_INVALID, "agent", "« %s » n'est pas un agent de « %s »", email, org_slug);
  *id = u.id;
  return 0;
}

int part_assign_tx(struct db *db, const struct user *actor, int64_t request, const char *org, const char *agent,
                   int64_t now) {
  struct part p;
  int64_t org_id, agent_id = 0;
  int rc = part_org_for_head(&org_id, db, actor, org);
  if (!rc) rc = part_get(&p, db, request, org);
  if (!rc && agent) rc = agent_of(&agent_id, db, agent, p.org, org);
  if (rc) return rc;
  if (!(state_bit(p.state) & S_OPEN))
    return err_set(ERR_CONFLICT, "state", "la mise en relation de « %s » est « %s » : on n'y assigne plus personne",
                   org, part_state_label(p.state));
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "UPDATE part SET agent = ?2, updated_at = ?3 WHERE id = ?1"))) return rc;
  sqlite3_bind_int64(st, 1, p.id);
  if (agent_id) sqlite3_bind_int64(st, 2, agent_id);
  sqlite3_bind_int64(st, 3, now);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "assignation");
  rc = part_journal(db, actor, request, &p, "part.assigned", json_pack("{s:s?}", "agent", agent), now);
  return rc ? rc : touch_request(db, request, now);
}

int part_handover_tx(struct db *db, const struct user *actor, int64_t request, const char *org, const char *to,
                     const char *offer, int64_t now) {
  struct part p;
  int64_t org_id, to_id, offer_id = 0, owner = 0;
  int rc = part_org_for_head(&org_id, db, actor, org);
  if (!rc) rc = part_get(&p, db, request, org);
  if (!rc) rc = catalog_org_id(&to_id, db, to, "to");
  if (!rc && offer) rc = catalog_offer_id(&offer_id, db, offer, "offer");
  if (rc) return rc;
  sqlite3_stmt *st;
  if (offer_id) {
    if ((rc = db_prepare(&st, db, "SELECT org FROM offer WHERE id = ?"))) return rc;
    sqlite3_bind_int64(st, 1, offer_id);
    if (sqlite3_step(st) == SQLITE_ROW) owner = sqlite3_column_int64(st, 0);
    db_done(st);
    if (owner != to_id) return err_set(ERR_INVALID, "offer", "l'offre « %s » n'est pas une offre de « %s »", offer, to);
  }
  if (to_id == p.org) return err_set(ERR_CONFLICT, "to", "la mise en relation est déjà chez « %s »", to);
  if (!(state_bit(p.state) & S_OPEN))
    return err_set(ERR_CONFLICT, "state", "la mise en relation de « %s » est « %s » : elle ne se passe plus", org,
                   part_state_label(p.state));
  int64_t taken = 0;
  if ((rc = db_prepare(&st, db, "SELECT count(*) FROM part WHERE request = ? AND org = ?"))) return rc;
  sqlite3_bind_int64(st, 1, request);
  sqlite3_bind_int64(st, 2, to_id);
  taken = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  db_done(st);
  if (taken) return err_set(ERR_CONFLICT, "to", "« %s » a déjà une mise en relation sur cette demande", to);
  if ((rc = db_prepare(&st, db, "UPDATE part SET org = ?2, offer = ?3, state = 'proposed', agent = NULL, "
                                "accepted_at = NULL, updated_at = ?4 WHERE id = ?1")))
    return rc;
  sqlite3_bind_int64(st, 1, p.id);
  sqlite3_bind_int64(st, 2, to_id);
  if (offer_id) sqlite3_bind_int64(st, 3, offer_id);
  sqlite3_bind_int64(st, 4, now);
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "passage de main");
  rc = part_journal(db, actor, request, &p, "part.handed_over",
                    json_pack("{s:s, s:s, s:s?}", "to", to, "from_state", p.state, "offer", offer), now);
  return rc ? rc : touch_request(db, request, now);
}

struct bulk {
  const struct user *actor;
  const char *from, *to;
  int moved;
};

static int bulk_tx(struct db *db, void *arg) {
  struct bulk *b = arg;
  struct user from;
  b->moved = 0;
  int64_t to_id = 0;
  int rc = user_get_by_email(&from, db, b->from);
  if (rc == ERR_NOTFOUND) return err_set(ERR_NOTFOUND, "from", "compte inconnu : « %s »", b->from);
  if (rc) return rc;
  if (from.role != ROLE_AGENT && from.role != ROLE_HEAD)
    return err_set(ERR_INVALID, "from", "« %s » n'est pas un agent d'une structure", b->from);
  if (!user_coordinates(b->actor) && !(b->actor->role == ROLE_HEAD && b->actor->org == from.org))
    return err_set(ERR_FORBIDDEN, "from", "seul·e le ou la chef·fe de service de « %s » ou la coordination peut "
                                          "réassigner ses dossiers",
                   from.org_slug);
  if (b->to && (rc = agent_of(&to_id, db, b->to, from.org, from.org_slug))) return rc;
  if (to_id == from.id) return err_set(ERR_INVALID, "to", "l'agent de départ et d'arrivée sont le même compte");
  int64_t now = clock_now_ms();
  /* Every open part of `from`, each with its journal line. */
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT p.id, p.request, r.ref, g.slug FROM part p JOIN request r ON r.id = p.request "
                                "JOIN org g ON g.id = p.org WHERE p.agent = ? "
                                "AND p.state IN ('proposed', 'accepted', 'in_progress') ORDER BY p.id")))
    return rc;
  sqlite3_bind_int64(st, 1, from.id);
  json_t *parts = json_array();
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(parts, json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                                           "request", (json_int_t)sqlite3_column_int64(st, 1), "ref",
                                           db_col_text(st, 2), "org", db_col_text(st, 3)));
  db_done(st);
  size_t i;
  json_t *it;
  json_array_foreach(parts, i, it) {
    if ((rc = db_prepare(&st, db, "UPDATE part SET agent = ?2, updated_at = ?3 WHERE id = ?1"))) break;
    sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(it, "id")));
    if (to_id) sqlite3_bind_int64(st, 2, to_id);
    sqlite3_bind_int64(st, 3, now);
    int s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) {
      rc = db_fail(db, s, "réassignation");
      break;
    }
    struct part p = {0};
    snprintf(p.ref, sizeof p.ref, "%s", json_string_value(json_object_get(it, "ref")));
    snprintf(p.org_slug, sizeof p.org_slug, "%s", json_string_value(json_object_get(it, "org")));
    int64_t request = json_integer_value(json_object_get(it, "request"));
    if ((rc = part_journal(db, b->actor, request, &p, "part.assigned",
                           json_pack("{s:s?, s:s, s:b}", "agent", b->to, "previous", b->from, "bulk", 1), now)))
      break;
    if ((rc = touch_request(db, request, now))) break;
    b->moved++;
  }
  json_decref(parts);
  return rc;
}

int part_bulk_reassign(int *moved, struct db *db, const struct user *actor, const char *from, const char *to) {
  if (!from || !*from) return err_set(ERR_INVALID, "from", "indiquez l'agent dont les dossiers sont à réassigner");
  struct bulk b = {actor, from, to && *to ? to : NULL, 0};
  int rc = db_write(db, bulk_tx, &b);
  if (moved) *moved = rc ? 0 : b.moved;
  return rc;
}

/* One part as JSON, over aliases p (part), g (org), f (offer), a (agent). */
#define PART_JSON_SQL                                                                                        \
  "json_object('org', json_object('slug', g.slug, 'name', g.name), "                                        \
  "'offer', CASE WHEN f.id IS NULL THEN NULL ELSE json_object('slug', f.slug, 'title', f.title) END, "      \
  "'role', p.role, 'state', p.state, 'agent', CASE WHEN a.id IS NULL THEN NULL "                            \
  "ELSE json_object('email', a.email, 'name', a.name) END, 'reason', p.reason, "                            \
  "'created_at', appui_time(p.created_at), 'accepted_at', appui_time(p.accepted_at), "                      \
  "'ended_at', appui_time(p.ended_at))"

/* Adds the French labels of role and state to every object of `parts`. */
static void add_labels(json_t *parts) {
  size_t i;
  json_t *it;
  json_array_foreach(parts, i, it) {
    json_object_set_new(it, "role_label", json_string(part_role_label(json_string_value(json_object_get(it, "role")))));
    const char *l = part_state_label(json_string_value(json_object_get(it, "state")));
    json_object_set_new(it, "state_label", l ? json_string(l) : json_null());
  }
}

/* Runs `st` (one JSON text column per row) into a new array in *out. */
static int rows_json(json_t **out, struct db *db, sqlite3_stmt *st) {
  json_t *a = json_array();
  int s, rc = 0;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *o = json_loads(db_col_text(st, 0), 0, NULL);
    if (o) json_array_append_new(a, o);
  }
  if (s != SQLITE_DONE) rc = db_fail(db, s, "lecture des mises en relation");
  db_done(st);
  if (rc) json_decref(a);
  else *out = a;
  return rc;
}

int part_list(json_t **out, struct db *db, int64_t request) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT " PART_JSON_SQL " FROM part p JOIN org g ON g.id = p.org "
                               "LEFT JOIN offer f ON f.id = p.offer LEFT JOIN user a ON a.id = p.agent "
                               "WHERE p.request = ? ORDER BY p.role DESC, p.id");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, request);
  if (!(rc = rows_json(out, db, st))) add_labels(*out);
  return rc;
}

int part_queue(json_t **out, struct db *db, const struct user *actor, const char *org, const char *state,
               int limit) {
  int64_t org_id = actor->org;
  int rc = 0;
  if (org) rc = catalog_org_id(&org_id, db, org, "org");
  else if (!org_id) rc = err_set(ERR_INVALID, "org", "indiquez la structure dont vous voulez la file");
  if (rc) return rc;
  if (!user_coordinates(actor) && actor->org != org_id)
    return err_set(ERR_FORBIDDEN, "org", "on ne voit que la file de sa propre structure");
  if (state && !state_bit(state))
    return err_set(ERR_INVALID, "state", "état inconnu : « %s » (proposed, accepted, declined, in_progress, done, "
                                         "cancelled)",
                   state);
  if (limit <= 0) limit = 50;
  if (limit > 500) return err_set(ERR_INVALID, "limit", "500 lignes au plus par page");
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "SELECT json_object('ref', r.ref, 'title', r.title, 'collectivity', "
                                "json_object('code', c.code, 'name', c.name), 'status', r.status, 'part', " PART_JSON_SQL
                                ", 'due_at', appui_time(r.due_at)) "
                                "FROM part p JOIN request r ON r.id = p.request JOIN collectivity c ON c.code = r.collectivity "
                                "JOIN org g ON g.id = p.org LEFT JOIN offer f ON f.id = p.offer "
                                "LEFT JOIN user a ON a.id = p.agent WHERE p.org = ?1 AND (?2 IS NULL AND p.state IN "
                                "('proposed', 'accepted', 'in_progress') OR p.state = ?2) ORDER BY p.id DESC LIMIT ?3")))
    return rc;
  sqlite3_bind_int64(st, 1, org_id);
  db_bind_text(st, 2, state);
  sqlite3_bind_int(st, 3, limit);
  if ((rc = rows_json(out, db, st))) return rc;
  size_t i;
  json_t *it;
  json_array_foreach(*out, i, it) {
    json_t *one = json_array();
    json_array_append(one, json_object_get(it, "part"));
    add_labels(one);
    json_decref(one);
  }
  return 0;
}
