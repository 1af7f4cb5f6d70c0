/* Tests of core/part.c: the dispatch of a request across orgs — every move
 * allowed (with its state, time stamps and journal line) and every move
 * refused from each wrong state; reasons; one part per org and one lead;
 * the permission rule (coordinators, heads of their own org, agents on
 * the parts assigned to them, never requesters); assignment, handover to
 * another org and bulk reassignment (all or nothing); the tally that says
 * when the last open part closes; the org_load and org_collectivity
 * counters kept by triggers; queues and lists.
 *
 * Every refusal is checked for its code, field and French message, and
 * that it changed nothing: inside the caller's transaction, before any
 * rollback (REFUSED_TX), or around the whole call (assert_refused).
 *
 * The group setup builds one base (Haute-Garonne, three orgs with an offer
 * each, accounts); each test works on its own copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "part.h"
#include "request.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { U_COORD, U_MAIRE, U_HEAD_ATD, U_AGENT_ATD, U_AGENT2_ATD, U_HEAD_CAUE, U_AGENT_CAUE, N_USERS };

static struct {
  char template_dir[256], dir[256];
  struct db *template, *db;
  struct user admin, u[N_USERS];
  int64_t atd31, caue31, routes, now;
} g;

#define COORD (&g.u[U_COORD])
#define MAIRE (&g.u[U_MAIRE])
#define HEAD_ATD (&g.u[U_HEAD_ATD])
#define AGENT_ATD (&g.u[U_AGENT_ATD])
#define AGENT2_ATD (&g.u[U_AGENT2_ATD])
#define HEAD_CAUE (&g.u[U_HEAD_CAUE])
#define AGENT_CAUE (&g.u[U_AGENT_CAUE])

static const char *const voirie[] = {"voirie"};

static const char *const emails[N_USERS] = {
    "coordination@appui.example", "maire@agassac.example", "chef@atd31.example", "agent@atd31.example",
    "agent2@atd31.example",       "chef@caue31.example",   "agent@caue31.example"};

static int group_setup(void **state) {
  (void)state;
  struct db *db = g.template = fixture_db(g.template_dir);
  fixture_territory(db);
  user_system(&g.admin, "test");
  struct catalog_org_new o = {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1};
  if (catalog_org_add(&g.atd31, db, &g.admin, &o)) return -1;
  o.slug = "caue31", o.name = "CAUE 31";
  if (catalog_org_add(&g.caue31, db, &g.admin, &o)) return -1;
  o.slug = "routes", o.name = "Direction des routes", o.kind = "direction";
  if (catalog_org_add(&g.routes, db, &g.admin, &o)) return -1;
  static const char *const offers[][3] = {{"atd-voirie", "atd31", "Conseil en voirie"},
                                          {"caue-conseil", "caue31", "Conseil architectural"},
                                          {"routes-voirie", "routes", "Routes départementales"}};
  for (size_t i = 0; i < 3; i++) {
    int64_t id;
    struct catalog_offer_new f = {.slug = offers[i][0], .org = offers[i][1], .kind = "conseil", .title = offers[i][2],
                                  .themes = voirie, .n_themes = 1, .sla_ack = -1, .sla_take = -1, .sla_resolve = -1};
    if (catalog_offer_add(&id, db, &g.admin, &f)) return -1;
  }
  struct user_new users[N_USERS] = {
      {emails[U_COORD], "Coordination", "coordinator", NULL, NULL, NULL},
      {emails[U_MAIRE], "Maire d'Agassac", "requester", "31001", NULL, NULL},
      {emails[U_HEAD_ATD], "Cheffe ATD", "head", NULL, "atd31", NULL},
      {emails[U_AGENT_ATD], "Agent ATD", "agent", NULL, "atd31", NULL},
      {emails[U_AGENT2_ATD], "Second agent ATD", "agent", NULL, "atd31", NULL},
      {emails[U_HEAD_CAUE], "Chef CAUE", "head", NULL, "caue31", NULL},
      {emails[U_AGENT_CAUE], "Agent CAUE", "agent", NULL, "caue31", NULL},
  };
  for (int i = 0; i < N_USERS; i++) {
    int64_t id;
    if (user_add(&id, db, &g.admin, &users[i]) || user_get_by_email(&g.u[i], db, emails[i])) return -1;
  }
  g.now = clock_paris_to_utc(2026, 5, 22, 10, 0, 0, 0);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(g.template);
  fixture_rmdir(g.template_dir);
  return 0;
}

static int setup(void **state) {
  (void)state;
  g.db = fixture_clone(g.template, g.dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

/* ---------------------------------------------------------------- helpers */

/* Files a request for `coll` at g.now; its id. `ref` may be NULL. */
static int64_t file_req(const char *coll, char *ref) {
  struct request_new n = {coll, "Réfection du chemin de la Côte", "Chemin raviné par les orages.", voirie, 1, NULL,
                          -1, NULL};
  char r[REQUEST_REF_SIZE];
  int64_t id = 0;
  assert_int_equal(db_begin(g.db), 0);
  if (request_file_tx(ref ? ref : r, &id, g.db, COORD, &n, g.now)) fail_msg("request_file_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
  return id;
}

/* Runs one call in a transaction of its own: commits on success, rolls
 * back on error; the call's result. */
static void tx_begin(void) {
  assert_int_equal(db_begin(g.db), 0);
  err_clear();
}

static int tx_end(int rc) {
  if (rc) db_rollback(g.db);
  else assert_int_equal(db_commit(g.db), 0);
  return rc;
}

#define IN_TX(call) (tx_begin(), tx_end(call))

static int propose_as(const struct user *u, int64_t id, const char *org, const char *offer, const char *role,
                      int64_t at) {
  return IN_TX(part_propose_tx(NULL, g.db, u, id, org, offer, role, at));
}

static int move_as(const struct user *u, struct part_tally *t, int64_t id, const char *org, enum part_op op,
                   const char *reason, int64_t at) {
  return IN_TX(part_move_tx(t, g.db, u, id, org, op, reason, at));
}

static int assign_as(const struct user *u, int64_t id, const char *org, const char *agent) {
  return IN_TX(part_assign_tx(g.db, u, id, org, agent, g.now));
}

static int handover_as(const struct user *u, int64_t id, const char *org, const char *to, const char *offer) {
  return IN_TX(part_handover_tx(g.db, u, id, org, to, offer, g.now));
}

static void ok(int rc) {
  if (rc) fail_msg("refusé : %d (%s) %s", rc, err_name(rc), err_msg());
}

/* Checks that `call`, run inside a transaction, is refused with `code`,
 * `field` (unless NULL) and a message containing `needle` (unless NULL),
 * and wrote nothing before returning (digest inside the transaction). */
#define REFUSED_TX(call, code, field, needle)                                                               \
  do {                                                                                                      \
    char b_[65], a_[65];                                                                                    \
    const char *f_ = (field), *n_ = (needle);                                                               \
    assert_int_equal(db_begin(g.db), 0);                                                                    \
    fixture_digest(g.db, b_);                                                                               \
    err_clear();                                                                                            \
    int rc_ = (call);                                                                                       \
    fixture_digest(g.db, a_);                                                                               \
    if (rc_) db_rollback(g.db);                                                                             \
    else assert_int_equal(db_commit(g.db), 0);                                                              \
    if (rc_ != (code))                                                                                      \
      fail_msg("%s: %d (%s) au lieu de %d : %s", #call, rc_, err_name(rc_), (code), err_msg());             \
    if (f_ && strcmp(err_field(), f_) != 0)                                                                 \
      fail_msg("%s: champ « %s » au lieu de « %s » (%s)", #call, err_field(), f_, err_msg());              \
    if (n_ && !strstr(err_msg(), n_)) fail_msg("%s: message sans « %s » : %s", #call, n_, err_msg());       \
    if (strcmp(b_, a_) != 0) fail_msg("%s: refusé mais la base a changé", #call);                          \
  } while (0)

/* Text of a one-row query (static buffer), "NULL" for NULL, "" for no row. */
static const char *text_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *text_of(const char *fmt, ...) {
  static char out[4][512];
  static int k;
  char sql[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  char *o = out[k++ % 4];
  o[0] = 0;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db_sqlite(g.db), sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db_sqlite(g.db)));
  if (sqlite3_step(st) == SQLITE_ROW)
    snprintf(o, 512, "%s", sqlite3_column_type(st, 0) == SQLITE_NULL ? "NULL" : (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return o;
}

static int64_t int_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t int_of(const char *fmt, ...) {
  char sql[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return fixture_int(g.db, sql);
}

/* A column of the part of `org` on request `id`. */
static const char *part_col(int64_t id, const char *org, const char *col) {
  return text_of("SELECT p.%s FROM part p JOIN org g ON g.id = p.org WHERE p.request = %lld AND g.slug = '%s'", col,
                 (long long)id, org);
}

static const char *state_of(int64_t id, const char *org) { return part_col(id, org, "state"); }

static int64_t parts_of(int64_t id) { return int_of("SELECT count(*) FROM part WHERE request = %lld", (long long)id); }

/* Events of `type` on request `id`. */
static int64_t events(int64_t id, const char *type) {
  return int_of("SELECT count(*) FROM event WHERE request = %lld AND type = '%s'", (long long)id, type);
}

/* The data of the last event of `type` on request `id`, field `path`. */
static const char *event_data(int64_t id, const char *type, const char *path) {
  return text_of("SELECT json_extract(data, '%s') FROM event WHERE request = %lld AND type = '%s' ORDER BY id DESC "
                 "LIMIT 1",
                 path, (long long)id, type);
}

static const char *event_col(int64_t id, const char *type, const char *col) {
  return text_of("SELECT %s FROM event WHERE request = %lld AND type = '%s' ORDER BY id DESC LIMIT 1", col,
                 (long long)id, type);
}

/* org_load.open of `org` ("" when no row). */
static const char *load_of(const char *org) {
  return text_of("SELECT l.open FROM org_load l JOIN org g ON g.id = l.org WHERE g.slug = '%s'", org);
}

/* "open/total" of org_collectivity for `coll` and `org` ("" when no row). */
static const char *coll_of(const char *coll, const char *org) {
  return text_of("SELECT c.open || '/' || c.total FROM org_collectivity c JOIN org g ON g.id = c.org "
                 "WHERE c.collectivity = '%s' AND g.slug = '%s'",
                 coll, org);
}

/* A request whose atd31 part (lead) stands in `state`, moved there through
 * the API by the coordination. */
static int64_t part_in(const char *state) {
  int64_t id = file_req("31001", NULL);
  ok(propose_as(COORD, id, "atd31", "atd-voirie", "lead", g.now));
  if (!strcmp(state, "proposed")) return id;
  if (!strcmp(state, "declined")) {
    ok(move_as(COORD, NULL, id, "atd31", PART_DECLINE, "Hors de nos missions", g.now));
    return id;
  }
  if (!strcmp(state, "cancelled")) {
    ok(move_as(COORD, NULL, id, "atd31", PART_CANCEL, "Demande retirée", g.now));
    return id;
  }
  ok(move_as(COORD, NULL, id, "atd31", PART_ACCEPT, NULL, g.now));
  if (!strcmp(state, "accepted")) return id;
  ok(move_as(COORD, NULL, id, "atd31", PART_START, NULL, g.now));
  if (!strcmp(state, "in_progress")) return id;
  ok(move_as(COORD, NULL, id, "atd31", PART_DONE, NULL, g.now));
  assert_string_equal(state, "done");
  return id;
}

/* ---------------------------------------------------------------- names */

static void names_and_labels(void **state) {
  (void)state;
  static const char *const names[] = {"accept", "decline", "start", "done", "cancel"};
  for (int i = 0; i < 5; i++) {
    enum part_op op = PART_CANCEL;
    assert_string_equal(part_op_name((enum part_op)i), names[i]);
    assert_int_equal(part_op_parse(&op, names[i]), 0);
    assert_int_equal(op, i);
  }
  enum part_op op = PART_START;
  err_clear();
  assert_int_equal(part_op_parse(&op, "finish"), ERR_INVALID);
  assert_string_equal(err_field(), "op");
  assert_non_null(strstr(err_msg(), "« finish »"));
  assert_int_equal(part_op_parse(&op, NULL), ERR_INVALID);
  assert_int_equal(part_op_parse(&op, "ACCEPT"), ERR_INVALID);
  assert_int_equal(op, PART_START);
  assert_string_equal(part_state_label("proposed"), "Proposée");
  assert_string_equal(part_state_label("accepted"), "Acceptée");
  assert_string_equal(part_state_label("declined"), "Déclinée");
  assert_string_equal(part_state_label("in_progress"), "En cours");
  assert_string_equal(part_state_label("done"), "Terminée");
  assert_string_equal(part_state_label("cancelled"), "Annulée");
  assert_null(part_state_label("open"));
  assert_null(part_state_label(NULL));
  assert_string_equal(part_role_label("lead"), "Pilote");
  assert_string_equal(part_role_label("contributor"), "Contributeur");
  assert_null(part_role_label("pilote"));
  assert_null(part_role_label(NULL));
}

/* ---------------------------------------------------------------- moves */

static void accept_start_done(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t id = file_req("31001", ref);
  const int64_t t0 = g.now + 1000, t1 = g.now + 2000, t2 = g.now + 3000, t3 = g.now + 4000;
  int64_t pid = 0;
  ok(IN_TX(part_propose_tx(&pid, g.db, COORD, id, "atd31", "atd-voirie", "lead", t0)));
  assert_true(pid > 0);
  assert_int_equal(int_of("SELECT count(*) FROM part WHERE id = %lld AND request = %lld AND org = %lld AND role = 'lead' "
                          "AND state = 'proposed' AND offer = (SELECT id FROM offer WHERE slug = 'atd-voirie') "
                          "AND agent IS NULL AND reason IS NULL AND created_at = %lld AND updated_at = %lld "
                          "AND accepted_at IS NULL AND ended_at IS NULL",
                          (long long)pid, (long long)id, (long long)g.atd31, (long long)t0, (long long)t0),
                   1);
  assert_int_equal(events(id, "part.proposed"), 1);
  assert_string_equal(event_data(id, "part.proposed", "$.org"), "atd31");
  assert_string_equal(event_data(id, "part.proposed", "$.ref"), ref);
  assert_string_equal(event_data(id, "part.proposed", "$.role"), "lead");
  assert_string_equal(event_data(id, "part.proposed", "$.offer"), "atd-voirie");
  assert_string_equal(event_col(id, "part.proposed", "actor"), emails[U_COORD]);
  assert_int_equal(atoll(event_col(id, "part.proposed", "at")), t0);

  struct part_tally t;
  memset(&t, 0xff, sizeof t);
  ok(move_as(HEAD_ATD, &t, id, "atd31", PART_ACCEPT, NULL, t1));
  assert_string_equal(state_of(id, "atd31"), "accepted");
  assert_int_equal(atoll(part_col(id, "atd31", "accepted_at")), t1);
  assert_int_equal(atoll(part_col(id, "atd31", "updated_at")), t1);
  assert_string_equal(part_col(id, "atd31", "ended_at"), "NULL");
  assert_int_equal(t.open, 1);
  assert_int_equal(t.done + t.declined + t.cancelled + t.settled, 0);
  assert_int_equal(events(id, "part.accepted"), 1);
  assert_string_equal(event_data(id, "part.accepted", "$.from"), "proposed");
  assert_string_equal(event_data(id, "part.accepted", "$.to"), "accepted");
  assert_string_equal(event_data(id, "part.accepted", "$.org"), "atd31");
  assert_string_equal(event_data(id, "part.accepted", "$.reason"), "NULL");
  assert_string_equal(event_col(id, "part.accepted", "actor"), emails[U_HEAD_ATD]);
  assert_int_equal(atoll(event_col(id, "part.accepted", "actor_user")), HEAD_ATD->id);
  assert_int_equal(atoll(event_col(id, "part.accepted", "at")), t1);
  assert_int_equal(int_of("SELECT updated_at FROM request WHERE id = %lld", (long long)id), t1);

  ok(move_as(HEAD_ATD, &t, id, "atd31", PART_START, NULL, t2));
  assert_string_equal(state_of(id, "atd31"), "in_progress");
  assert_int_equal(atoll(part_col(id, "atd31", "accepted_at")), t1);
  assert_string_equal(part_col(id, "atd31", "ended_at"), "NULL");
  assert_int_equal(t.open, 1);
  assert_int_equal(t.settled, 0);
  assert_string_equal(event_data(id, "part.started", "$.from"), "accepted");
  assert_string_equal(event_data(id, "part.started", "$.to"), "in_progress");

  ok(move_as(HEAD_ATD, &t, id, "atd31", PART_DONE, "ignoré", t3));
  assert_string_equal(state_of(id, "atd31"), "done");
  assert_int_equal(atoll(part_col(id, "atd31", "ended_at")), t3);
  assert_string_equal(part_col(id, "atd31", "reason"), "NULL"); /* no reason kept for done */
  assert_int_equal(t.open, 0);
  assert_int_equal(t.done, 1);
  assert_int_equal(t.settled, 1);
  assert_string_equal(event_data(id, "part.done", "$.from"), "in_progress");
  assert_string_equal(event_data(id, "part.done", "$.to"), "done");
  assert_int_equal(int_of("SELECT count(*) FROM event WHERE request = %lld AND type LIKE 'part.%%'", (long long)id), 4);
  assert_int_equal(int_of("SELECT updated_at FROM request WHERE id = %lld", (long long)id), t3);
  /* A move dated before the last change does not turn the request back. */
  int64_t other = file_req("31001", NULL);
  ok(propose_as(COORD, other, "caue31", NULL, "lead", t3));
  ok(move_as(COORD, NULL, other, "caue31", PART_ACCEPT, NULL, t0));
  assert_int_equal(int_of("SELECT updated_at FROM request WHERE id = %lld", (long long)other), t3);
}

static void decline_and_cancel_with_reason(void **state) {
  (void)state;
  const int64_t t1 = g.now + 60000;
  struct part_tally t;
  /* Declined. */
  int64_t id = part_in("proposed");
  ok(move_as(HEAD_ATD, &t, id, "atd31", PART_DECLINE, "Hors de nos missions", t1));
  assert_string_equal(state_of(id, "atd31"), "declined");
  assert_string_equal(part_col(id, "atd31", "reason"), "Hors de nos missions");
  assert_int_equal(atoll(part_col(id, "atd31", "ended_at")), t1);
  assert_string_equal(part_col(id, "atd31", "accepted_at"), "NULL");
  assert_int_equal(t.open, 0);
  assert_int_equal(t.declined, 1);
  assert_int_equal(t.settled, 1);
  assert_string_equal(event_data(id, "part.declined", "$.reason"), "Hors de nos missions");
  assert_string_equal(event_data(id, "part.declined", "$.from"), "proposed");
  assert_string_equal(event_data(id, "part.declined", "$.to"), "declined");
  /* Cancelled from each open state. */
  static const char *const from[] = {"proposed", "accepted", "in_progress"};
  for (int i = 0; i < 3; i++) {
    id = part_in(from[i]);
    ok(move_as(COORD, &t, id, "atd31", PART_CANCEL, "La commune a renoncé", t1));
    assert_string_equal(state_of(id, "atd31"), "cancelled");
    assert_string_equal(part_col(id, "atd31", "reason"), "La commune a renoncé");
    assert_int_equal(atoll(part_col(id, "atd31", "ended_at")), t1);
    assert_int_equal(t.cancelled, 1);
    assert_int_equal(t.open, 0);
    assert_int_equal(t.settled, 1);
    assert_int_equal(events(id, "part.cancelled"), 1);
    assert_string_equal(event_data(id, "part.cancelled", "$.from"), from[i]);
    assert_string_equal(event_data(id, "part.cancelled", "$.to"), "cancelled");
    assert_string_equal(event_data(id, "part.cancelled", "$.reason"), "La commune a renoncé");
  }
  /* A reason of exactly 1000 characters is accepted. */
  static char longest[1001];
  memset(longest, 'm', 1000);
  id = part_in("proposed");
  ok(move_as(COORD, NULL, id, "atd31", PART_DECLINE, longest, t1));
  assert_int_equal(int_of("SELECT length(reason) FROM part WHERE request = %lld", (long long)id), 1000);
  assert_string_equal(state_of(id, "atd31"), "declined");
}

static void moves_refused_from_wrong_states(void **state) {
  (void)state;
  static const char *const states[] = {"proposed", "accepted", "declined", "in_progress", "done", "cancelled"};
  static const char *const allowed[] = {
      [PART_ACCEPT] = "« Proposée »",
      [PART_DECLINE] = "« Proposée »",
      [PART_START] = "« Acceptée »",
      [PART_DONE] = "« En cours »",
      [PART_CANCEL] = "« Proposée » ou « Acceptée » ou « En cours »",
  };
  static const char *const from[] = {
      [PART_ACCEPT] = "proposed",
      [PART_DECLINE] = "proposed",
      [PART_START] = "accepted",
      [PART_DONE] = "in_progress",
      [PART_CANCEL] = "proposed accepted in_progress",
  };
  int refused = 0;
  for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
    int64_t id = part_in(states[s]);
    for (int op = 0; op < 5; op++) {
      if (strstr(from[op], states[s])) continue;
      char needle[256];
      snprintf(needle, sizeof needle, "la mise en relation de « atd31 » est « %s » : « %s » n'est possible que depuis "
                                      "l'état %s",
               part_state_label(states[s]), part_op_name((enum part_op)op), allowed[op]);
      /* Even for the coordination, with a reason. */
      REFUSED_TX(part_move_tx(NULL, g.db, COORD, id, "atd31", (enum part_op)op, "Motif", g.now), ERR_CONFLICT, "state",
                 needle);
      REFUSED_TX(part_move_tx(NULL, g.db, HEAD_ATD, id, "atd31", (enum part_op)op, "Motif", g.now), ERR_CONFLICT,
                 "state", needle);
      assert_string_equal(state_of(id, "atd31"), states[s]);
      refused++;
    }
  }
  assert_int_equal(refused, 6 * 5 - 7);
}

static void decline_and_cancel_need_a_reason(void **state) {
  (void)state;
  int64_t id = part_in("accepted");
  int64_t proposed = part_in("proposed");
  static char too_long[1002];
  memset(too_long, 'x', 1001);
  static const struct {
    const char *reason, *needle;
  } bad[] = {
      {NULL, "obligatoire"}, {"", "obligatoire"}, {"  \t ", "vide"}, {too_long, "1001 caractères, 1000 au plus"},
      {"Hors de nos missions \xe9t\xe9", "UTF-8"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    REFUSED_TX(part_move_tx(NULL, g.db, COORD, proposed, "atd31", PART_DECLINE, bad[i].reason, g.now), ERR_INVALID,
               "reason", bad[i].needle);
    REFUSED_TX(part_move_tx(NULL, g.db, COORD, id, "atd31", PART_CANCEL, bad[i].reason, g.now), ERR_INVALID,
               "reason", bad[i].needle);
  }
  REFUSED_TX(part_move_tx(NULL, g.db, HEAD_ATD, proposed, "atd31", PART_DECLINE, NULL, g.now), ERR_INVALID, "reason",
             "un motif est obligatoire pour décliner une mise en relation");
  REFUSED_TX(part_move_tx(NULL, g.db, COORD, id, "atd31", PART_CANCEL, "", g.now), ERR_INVALID, "reason",
             "un motif est obligatoire pour annuler une mise en relation");
  assert_string_equal(state_of(proposed, "atd31"), "proposed");
  assert_string_equal(state_of(id, "atd31"), "accepted");
}

/* ---------------------------------------------------------------- proposals */

static void one_part_per_org_and_one_lead(void **state) {
  (void)state;
  int64_t id = file_req("31001", NULL);
  ok(propose_as(COORD, id, "atd31", "atd-voirie", "lead", g.now));
  /* The same org again, in any role. */
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", NULL, "contributor", g.now), ERR_CONFLICT, "org",
             "« atd31 » a déjà une mise en relation sur cette demande (Proposée)");
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", "atd-voirie", "lead", g.now), ERR_CONFLICT, "org",
             "atd31");
  /* A second lead. */
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "caue31", "caue-conseil", "lead", g.now), ERR_CONFLICT, "role",
             "la demande a déjà une structure pilote : proposez « caue31 » comme contributeur");
  ok(propose_as(COORD, id, "caue31", "caue-conseil", "contributor", g.now));
  assert_int_equal(parts_of(id), 2);
  /* An accepted or finished lead still counts; so does a finished part. */
  ok(move_as(COORD, NULL, id, "atd31", PART_ACCEPT, NULL, g.now));
  ok(move_as(COORD, NULL, id, "atd31", PART_START, NULL, g.now));
  ok(move_as(COORD, NULL, id, "atd31", PART_DONE, NULL, g.now));
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "routes", NULL, "lead", g.now), ERR_CONFLICT, "role", "pilote");
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", NULL, "contributor", g.now), ERR_CONFLICT, "org",
             "(Terminée)");

  /* A declined lead leaves room for another lead, and may be proposed
   * again itself: same part, back to proposed, reason and times cleared. */
  int64_t r = file_req("31001", NULL);
  int64_t pid = 0;
  ok(IN_TX(part_propose_tx(&pid, g.db, COORD, r, "atd31", "atd-voirie", "lead", g.now)));
  ok(assign_as(HEAD_ATD, r, "atd31", emails[U_AGENT_ATD]));
  ok(move_as(HEAD_ATD, NULL, r, "atd31", PART_DECLINE, "Pas le bon service", g.now + 1));
  ok(propose_as(COORD, r, "caue31", NULL, "lead", g.now + 2));
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, r, "atd31", NULL, "lead", g.now + 3), ERR_CONFLICT, "role", "pilote");
  int64_t again = 0;
  ok(IN_TX(part_propose_tx(&again, g.db, COORD, r, "atd31", NULL, "contributor", g.now + 3)));
  assert_int_equal(again, pid);
  assert_int_equal(parts_of(r), 2);
  assert_string_equal(state_of(r, "atd31"), "proposed");
  assert_string_equal(part_col(r, "atd31", "role"), "contributor");
  assert_string_equal(part_col(r, "atd31", "offer"), "NULL");
  assert_string_equal(part_col(r, "atd31", "agent"), "NULL");
  assert_string_equal(part_col(r, "atd31", "reason"), "NULL");
  assert_string_equal(part_col(r, "atd31", "ended_at"), "NULL");
  assert_int_equal(atoll(part_col(r, "atd31", "updated_at")), g.now + 3);
  assert_int_equal(events(r, "part.proposed"), 3);
  assert_string_equal(event_data(r, "part.proposed", "$.role"), "contributor");
  /* A cancelled part too. */
  ok(move_as(COORD, NULL, r, "caue31", PART_CANCEL, "Erreur d'orientation", g.now + 4));
  ok(propose_as(COORD, r, "caue31", "caue-conseil", "lead", g.now + 5));
  assert_string_equal(state_of(r, "caue31"), "proposed");
  assert_string_equal(part_col(r, "caue31", "role"), "lead");
}

static void bad_proposals_are_refused(void **state) {
  (void)state;
  int64_t id = file_req("31001", NULL);
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "inconnue", NULL, "lead", g.now), ERR_NOTFOUND, "org",
             "structure inconnue : « inconnue »");
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", "offre-inconnue", "lead", g.now), ERR_NOTFOUND, "offer",
             "offre inconnue : « offre-inconnue »");
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", "caue-conseil", "lead", g.now), ERR_INVALID, "offer",
             "l'offre « caue-conseil » n'est pas une offre de « atd31 »");
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", NULL, "pilote", g.now), ERR_INVALID, "role",
             "rôle inconnu : « pilote »");
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", NULL, NULL, g.now), ERR_INVALID, "role", "rôle inconnu");
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, 2026999999, "atd31", NULL, "lead", g.now), ERR_NOTFOUND, "ref",
             "demande inconnue");
  /* Only the coordination proposes. */
  const struct user *not_coord[] = {MAIRE, HEAD_ATD, AGENT_ATD, HEAD_CAUE};
  for (size_t i = 0; i < sizeof not_coord / sizeof not_coord[0]; i++)
    REFUSED_TX(part_propose_tx(NULL, g.db, not_coord[i], id, "atd31", NULL, "lead", g.now), ERR_FORBIDDEN, NULL,
               "seule la coordination propose");
  /* A withdrawn offer is no longer known. */
  assert_int_equal(db_exec(g.db, "UPDATE offer SET active = 0 WHERE slug = 'atd-voirie'"), 0);
  REFUSED_TX(part_propose_tx(NULL, g.db, COORD, id, "atd31", "atd-voirie", "lead", g.now), ERR_NOTFOUND, "offer",
             "atd-voirie");
  assert_int_equal(parts_of(id), 0);
  /* The platform (an admin) may. */
  ok(propose_as(&g.admin, id, "atd31", NULL, "lead", g.now));
  assert_string_equal(event_col(id, "part.proposed", "actor"), "test");
}

/* ---------------------------------------------------------------- permissions */

static void who_may_move_a_part(void **state) {
  (void)state;
  /* A head of another org, a requester, an agent of another org: nothing. */
  static const char *const states[] = {"proposed", "accepted", "in_progress"};
  for (int s = 0; s < 3; s++) {
    int64_t id = part_in(states[s]);
    for (int op = 0; op < 5; op++) {
      REFUSED_TX(part_move_tx(NULL, g.db, HEAD_CAUE, id, "atd31", (enum part_op)op, "Motif", g.now), ERR_FORBIDDEN,
                 "org", "« atd31 »");
      REFUSED_TX(part_move_tx(NULL, g.db, MAIRE, id, "atd31", (enum part_op)op, "Motif", g.now), ERR_FORBIDDEN, "org",
                 NULL);
      REFUSED_TX(part_move_tx(NULL, g.db, AGENT_CAUE, id, "atd31", (enum part_op)op, "Motif", g.now), ERR_FORBIDDEN,
                 "org", NULL);
      /* An agent of the org to which the part is not assigned neither. */
      REFUSED_TX(part_move_tx(NULL, g.db, AGENT_ATD, id, "atd31", (enum part_op)op, "Motif", g.now), ERR_FORBIDDEN,
                 "org", NULL);
    }
    assert_string_equal(state_of(id, "atd31"), states[s]);
  }

  /* The head of the org does all of it. */
  int64_t id = part_in("proposed");
  ok(move_as(HEAD_ATD, NULL, id, "atd31", PART_ACCEPT, NULL, g.now));
  ok(move_as(HEAD_ATD, NULL, id, "atd31", PART_START, NULL, g.now));
  ok(move_as(HEAD_ATD, NULL, id, "atd31", PART_DONE, NULL, g.now));
  id = part_in("proposed");
  ok(move_as(HEAD_ATD, NULL, id, "atd31", PART_DECLINE, "Pas pour nous", g.now));
  id = part_in("in_progress");
  ok(move_as(HEAD_ATD, NULL, id, "atd31", PART_CANCEL, "Abandon", g.now));

  /* The assigned agent starts and finishes, nothing else. */
  id = part_in("proposed");
  ok(assign_as(HEAD_ATD, id, "atd31", emails[U_AGENT_ATD]));
  REFUSED_TX(part_move_tx(NULL, g.db, AGENT_ATD, id, "atd31", PART_ACCEPT, NULL, g.now), ERR_FORBIDDEN, "org",
             "seul·e le ou la chef·fe de service de « atd31 » ou la coordination");
  REFUSED_TX(part_move_tx(NULL, g.db, AGENT_ATD, id, "atd31", PART_DECLINE, "Motif", g.now), ERR_FORBIDDEN, "org",
             NULL);
  ok(move_as(HEAD_ATD, NULL, id, "atd31", PART_ACCEPT, NULL, g.now));
  REFUSED_TX(part_move_tx(NULL, g.db, AGENT2_ATD, id, "atd31", PART_START, NULL, g.now), ERR_FORBIDDEN, "org",
             "seul l'agent assigné");
  ok(move_as(AGENT_ATD, NULL, id, "atd31", PART_START, NULL, g.now));
  REFUSED_TX(part_move_tx(NULL, g.db, AGENT_ATD, id, "atd31", PART_CANCEL, "Motif", g.now), ERR_FORBIDDEN, "org",
             NULL);
  ok(move_as(AGENT_ATD, NULL, id, "atd31", PART_DONE, NULL, g.now));
  assert_string_equal(event_col(id, "part.done", "actor"), emails[U_AGENT_ATD]);
  assert_string_equal(state_of(id, "atd31"), "done");

  /* A requester never, even on its own collectivity's request. */
  id = part_in("accepted");
  REFUSED_TX(part_move_tx(NULL, g.db, MAIRE, id, "atd31", PART_START, NULL, g.now), ERR_FORBIDDEN, "org", NULL);

  /* The coordination and the platform do everything. */
  ok(move_as(COORD, NULL, id, "atd31", PART_START, NULL, g.now));
  ok(move_as(&g.admin, NULL, id, "atd31", PART_DONE, NULL, g.now));

  /* No part of that org, or no such org. */
  REFUSED_TX(part_move_tx(NULL, g.db, COORD, id, "routes", PART_ACCEPT, NULL, g.now), ERR_NOTFOUND, "org",
             "« routes » n'a pas de mise en relation sur cette demande");
  REFUSED_TX(part_move_tx(NULL, g.db, COORD, id, "inconnue", PART_ACCEPT, NULL, g.now), ERR_NOTFOUND, "org",
             "inconnue");

  /* part_org_for_head: the same rule for acting as head. */
  int64_t org = 0;
  assert_int_equal(part_org_for_head(&org, g.db, HEAD_ATD, "atd31"), 0);
  assert_int_equal(org, g.atd31);
  assert_int_equal(part_org_for_head(&org, g.db, COORD, "caue31"), 0);
  assert_int_equal(org, g.caue31);
  assert_refused(g.db, part_org_for_head(&org, g.db, HEAD_CAUE, "atd31"), ERR_FORBIDDEN, "org", "« atd31 »");
  assert_refused(g.db, part_org_for_head(&org, g.db, AGENT_ATD, "atd31"), ERR_FORBIDDEN, "org", NULL);
  assert_refused(g.db, part_org_for_head(&org, g.db, COORD, "inconnue"), ERR_NOTFOUND, "org", NULL);
}

/* ---------------------------------------------------------------- assign */

static void assigning_an_agent(void **state) {
  (void)state;
  int64_t id = part_in("proposed");
  ok(assign_as(HEAD_ATD, id, "atd31", emails[U_AGENT_ATD]));
  assert_int_equal(atoll(part_col(id, "atd31", "agent")), AGENT_ATD->id);
  assert_int_equal(events(id, "part.assigned"), 1);
  assert_string_equal(event_data(id, "part.assigned", "$.agent"), emails[U_AGENT_ATD]);
  assert_string_equal(event_data(id, "part.assigned", "$.org"), "atd31");
  assert_string_equal(event_col(id, "part.assigned", "actor"), emails[U_HEAD_ATD]);
  /* Another agent of the org, the head itself; the coordination too. */
  ok(assign_as(COORD, id, "atd31", emails[U_AGENT2_ATD]));
  assert_int_equal(atoll(part_col(id, "atd31", "agent")), AGENT2_ATD->id);
  ok(assign_as(HEAD_ATD, id, "atd31", emails[U_HEAD_ATD]));
  assert_int_equal(atoll(part_col(id, "atd31", "agent")), HEAD_ATD->id);
  /* E-mails are matched without case. */
  ok(assign_as(HEAD_ATD, id, "atd31", "AGENT@ATD31.example"));
  assert_int_equal(atoll(part_col(id, "atd31", "agent")), AGENT_ATD->id);

  /* Not of that org, not an agent, unknown. */
  REFUSED_TX(part_assign_tx(g.db, HEAD_ATD, id, "atd31", emails[U_AGENT_CAUE], g.now), ERR_INVALID, "agent",
             "« agent@caue31.example » n'est pas un agent de « atd31 »");
  REFUSED_TX(part_assign_tx(g.db, COORD, id, "atd31", emails[U_HEAD_CAUE], g.now), ERR_INVALID, "agent",
             "n'est pas un agent de « atd31 »");
  REFUSED_TX(part_assign_tx(g.db, HEAD_ATD, id, "atd31", emails[U_MAIRE], g.now), ERR_INVALID, "agent",
             "n'est pas un agent");
  REFUSED_TX(part_assign_tx(g.db, HEAD_ATD, id, "atd31", emails[U_COORD], g.now), ERR_INVALID, "agent", NULL);
  REFUSED_TX(part_assign_tx(g.db, HEAD_ATD, id, "atd31", "personne@atd31.example", g.now), ERR_NOTFOUND, "agent",
             "compte inconnu : « personne@atd31.example »");
  /* Who may assign: the org's head and the coordination only. */
  REFUSED_TX(part_assign_tx(g.db, HEAD_CAUE, id, "atd31", emails[U_AGENT_ATD], g.now), ERR_FORBIDDEN, "org",
             "« atd31 »");
  REFUSED_TX(part_assign_tx(g.db, AGENT_ATD, id, "atd31", emails[U_AGENT2_ATD], g.now), ERR_FORBIDDEN, "org", NULL);
  REFUSED_TX(part_assign_tx(g.db, MAIRE, id, "atd31", emails[U_AGENT_ATD], g.now), ERR_FORBIDDEN, "org", NULL);
  /* No part of that org. */
  REFUSED_TX(part_assign_tx(g.db, COORD, id, "caue31", emails[U_AGENT_CAUE], g.now), ERR_NOTFOUND, "org", NULL);
  assert_int_equal(atoll(part_col(id, "atd31", "agent")), AGENT_ATD->id);
  assert_int_equal(events(id, "part.assigned"), 4);

  /* Nobody. */
  ok(assign_as(HEAD_ATD, id, "atd31", NULL));
  assert_string_equal(part_col(id, "atd31", "agent"), "NULL");
  assert_int_equal(events(id, "part.assigned"), 5);
  assert_string_equal(event_data(id, "part.assigned", "$.agent"), "NULL");

  /* On accepted and in-progress parts too; not on closed ones. */
  ok(assign_as(HEAD_ATD, part_in("in_progress"), "atd31", emails[U_AGENT_ATD]));
  static const char *const closed[] = {"declined", "done", "cancelled"};
  for (int i = 0; i < 3; i++) {
    int64_t c = part_in(closed[i]);
    char needle[128];
    snprintf(needle, sizeof needle, "est « %s » : on n'y assigne plus personne", part_state_label(closed[i]));
    REFUSED_TX(part_assign_tx(g.db, HEAD_ATD, c, "atd31", emails[U_AGENT_ATD], g.now), ERR_CONFLICT, "state", needle);
  }
}

/* ---------------------------------------------------------------- handover */

static void handing_over_to_another_org(void **state) {
  (void)state;
  int64_t id = part_in("accepted");
  ok(assign_as(HEAD_ATD, id, "atd31", emails[U_AGENT_ATD]));
  int64_t pid = atoll(part_col(id, "atd31", "id"));
  assert_string_equal(load_of("atd31"), "1");
  assert_string_equal(coll_of("31001", "atd31"), "1/1");
  ok(handover_as(HEAD_ATD, id, "atd31", "caue31", NULL));
  /* The same part, now caue31's: proposed again, same role, no agent, no
   * offer, no acceptance. */
  assert_string_equal(part_col(id, "atd31", "id"), "");
  assert_int_equal(atoll(part_col(id, "caue31", "id")), pid);
  assert_string_equal(state_of(id, "caue31"), "proposed");
  assert_string_equal(part_col(id, "caue31", "role"), "lead");
  assert_string_equal(part_col(id, "caue31", "agent"), "NULL");
  assert_string_equal(part_col(id, "caue31", "offer"), "NULL");
  assert_string_equal(part_col(id, "caue31", "accepted_at"), "NULL");
  assert_int_equal(parts_of(id), 1);
  assert_int_equal(events(id, "part.handed_over"), 1);
  assert_string_equal(event_data(id, "part.handed_over", "$.org"), "atd31");
  assert_string_equal(event_data(id, "part.handed_over", "$.to"), "caue31");
  assert_string_equal(event_data(id, "part.handed_over", "$.from_state"), "accepted");
  assert_string_equal(event_col(id, "part.handed_over", "actor"), emails[U_HEAD_ATD]);
  /* The counters follow: atd31 no longer works on it at all. */
  assert_string_equal(load_of("atd31"), "0");
  assert_string_equal(load_of("caue31"), "1");
  assert_string_equal(coll_of("31001", "atd31"), "0/0");
  assert_string_equal(coll_of("31001", "caue31"), "1/1");
  /* Now atd31's head has no say; caue31's head has, and may hand it on
   * with an offer of the receiving org. */
  REFUSED_TX(part_move_tx(NULL, g.db, HEAD_ATD, id, "caue31", PART_ACCEPT, NULL, g.now), ERR_FORBIDDEN, "org", NULL);
  REFUSED_TX(part_handover_tx(g.db, HEAD_ATD, id, "caue31", "atd31", NULL, g.now), ERR_FORBIDDEN, "org", "caue31");
  REFUSED_TX(part_handover_tx(g.db, HEAD_CAUE, id, "caue31", "routes", "atd-voirie", g.now), ERR_INVALID, "offer",
             "l'offre « atd-voirie » n'est pas une offre de « routes »");
  ok(handover_as(HEAD_CAUE, id, "caue31", "routes", "routes-voirie"));
  assert_string_equal(state_of(id, "routes"), "proposed");
  assert_int_equal(atoll(part_col(id, "routes", "offer")), int_of("SELECT id FROM offer WHERE slug = 'routes-voirie'"));
  assert_string_equal(event_data(id, "part.handed_over", "$.offer"), "routes-voirie");
  assert_string_equal(event_data(id, "part.handed_over", "$.from_state"), "proposed");
  assert_string_equal(load_of("caue31"), "0");
  assert_string_equal(load_of("routes"), "1");

  /* To an org already on the request, to itself, from a closed part. */
  ok(propose_as(COORD, id, "atd31", NULL, "contributor", g.now));
  REFUSED_TX(part_handover_tx(g.db, COORD, id, "routes", "atd31", NULL, g.now), ERR_CONFLICT, "to",
             "« atd31 » a déjà une mise en relation sur cette demande");
  REFUSED_TX(part_handover_tx(g.db, COORD, id, "routes", "routes", NULL, g.now), ERR_CONFLICT, "to",
             "la mise en relation est déjà chez « routes »");
  ok(move_as(COORD, NULL, id, "atd31", PART_DECLINE, "Non", g.now));
  REFUSED_TX(part_handover_tx(g.db, COORD, id, "routes", "atd31", NULL, g.now), ERR_CONFLICT, "to", "atd31");
  REFUSED_TX(part_handover_tx(g.db, COORD, id, "atd31", "caue31", NULL, g.now), ERR_CONFLICT, "state",
             "est « Déclinée » : elle ne se passe plus");
  REFUSED_TX(part_handover_tx(g.db, COORD, id, "routes", "inconnue", NULL, g.now), ERR_NOTFOUND, "to", "inconnue");
  REFUSED_TX(part_handover_tx(g.db, COORD, id, "routes", "caue31", "offre-inconnue", g.now), ERR_NOTFOUND, "offer",
             NULL);
  REFUSED_TX(part_handover_tx(g.db, AGENT_CAUE, id, "routes", "caue31", NULL, g.now), ERR_FORBIDDEN, "org", NULL);
  REFUSED_TX(part_handover_tx(g.db, MAIRE, id, "routes", "caue31", NULL, g.now), ERR_FORBIDDEN, "org", NULL);
  int64_t done = part_in("done");
  REFUSED_TX(part_handover_tx(g.db, HEAD_ATD, done, "atd31", "caue31", NULL, g.now), ERR_CONFLICT, "state",
             "Terminée");
  assert_int_equal(events(id, "part.handed_over"), 2);
}

/* ---------------------------------------------------------------- bulk */

static void bulk_reassignment(void **state) {
  (void)state;
  /* agent@atd31 holds four parts: proposed, accepted, in progress, done;
   * agent@caue31 one. */
  static const char *const states[] = {"proposed", "accepted", "in_progress", "done"};
  int64_t ids[4];
  for (int i = 0; i < 4; i++) {
    ids[i] = part_in(i == 3 ? "in_progress" : states[i]);
    ok(assign_as(HEAD_ATD, ids[i], "atd31", emails[U_AGENT_ATD]));
  }
  ok(move_as(AGENT_ATD, NULL, ids[3], "atd31", PART_DONE, NULL, g.now));
  int64_t caue = file_req("31555", NULL);
  ok(propose_as(COORD, caue, "caue31", NULL, "lead", g.now));
  ok(assign_as(HEAD_CAUE, caue, "caue31", emails[U_AGENT_CAUE]));
  int64_t assigned = int_of("SELECT count(*) FROM event WHERE type = 'part.assigned'");

  /* Refusals, nothing moved. */
  int moved = -1;
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, HEAD_ATD, emails[U_AGENT_ATD], emails[U_AGENT_CAUE]),
                 ERR_INVALID, "agent", "n'est pas un agent de « atd31 »");
  assert_int_equal(moved, 0);
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, COORD, emails[U_AGENT_ATD], emails[U_MAIRE]), ERR_INVALID,
                 "agent", NULL);
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, HEAD_CAUE, emails[U_AGENT_ATD], emails[U_AGENT2_ATD]),
                 ERR_FORBIDDEN, "from", "réassigner");
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, AGENT_ATD, emails[U_AGENT_ATD], emails[U_AGENT2_ATD]),
                 ERR_FORBIDDEN, "from", NULL);
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, MAIRE, emails[U_AGENT_ATD], emails[U_AGENT2_ATD]),
                 ERR_FORBIDDEN, "from", NULL);
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, COORD, "personne@atd31.example", emails[U_AGENT2_ATD]),
                 ERR_NOTFOUND, "from", "personne@atd31.example");
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, COORD, emails[U_AGENT_ATD], "personne@atd31.example"),
                 ERR_NOTFOUND, "agent", "personne@atd31.example");
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, COORD, emails[U_MAIRE], emails[U_AGENT2_ATD]), ERR_INVALID,
                 "from", "n'est pas un agent");
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, COORD, emails[U_AGENT_ATD], emails[U_AGENT_ATD]), ERR_INVALID,
                 "to", "même compte");
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, COORD, NULL, emails[U_AGENT2_ATD]), ERR_INVALID, "from",
                 "indiquez l'agent");
  assert_refused(g.db, part_bulk_reassign(&moved, g.db, COORD, "", emails[U_AGENT2_ATD]), ERR_INVALID, "from", NULL);

  /* All or nothing: the journal failing on the second part undoes the first. */
  assert_int_equal(db_exec(g.db, "CREATE TEMP TRIGGER second_fails BEFORE INSERT ON main.event "
                                 "WHEN new.type = 'part.assigned' AND json_extract(new.data, '$.bulk') "
                                 "AND (SELECT count(*) FROM main.event WHERE type = 'part.assigned' "
                                 "     AND json_extract(data, '$.bulk')) >= 1 "
                                 "BEGIN SELECT RAISE(ABORT, 'journal indisponible'); END"),
                   0);
  char before[65], after[65];
  fixture_digest(g.db, before);
  moved = -1;
  assert_int_not_equal(part_bulk_reassign(&moved, g.db, HEAD_ATD, emails[U_AGENT_ATD], emails[U_AGENT2_ATD]), 0);
  assert_int_equal(moved, 0);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  assert_int_equal(db_exec(g.db, "DROP TRIGGER second_fails"), 0);

  /* By the org's head: the three open parts move, the finished one stays. */
  assert_int_equal(part_bulk_reassign(&moved, g.db, HEAD_ATD, emails[U_AGENT_ATD], emails[U_AGENT2_ATD]), 0);
  assert_int_equal(moved, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(atoll(part_col(ids[i], "atd31", "agent")), AGENT2_ATD->id);
    assert_string_equal(state_of(ids[i], "atd31"), states[i]);
    assert_int_equal(events(ids[i], "part.assigned"), 2);
    assert_string_equal(event_data(ids[i], "part.assigned", "$.agent"), emails[U_AGENT2_ATD]);
    assert_string_equal(event_data(ids[i], "part.assigned", "$.previous"), emails[U_AGENT_ATD]);
    assert_string_equal(event_data(ids[i], "part.assigned", "$.bulk"), "1");
    assert_string_equal(event_data(ids[i], "part.assigned", "$.org"), "atd31");
    assert_string_equal(event_col(ids[i], "part.assigned", "actor"), emails[U_HEAD_ATD]);
  }
  assert_int_equal(atoll(part_col(ids[3], "atd31", "agent")), AGENT_ATD->id);
  assert_int_equal(events(ids[3], "part.assigned"), 1);
  assert_int_equal(atoll(part_col(caue, "caue31", "agent")), AGENT_CAUE->id);
  assert_int_equal(int_of("SELECT count(*) FROM event WHERE type = 'part.assigned'"), assigned + 3);
  /* The new agent may now start what was accepted. */
  ok(move_as(AGENT2_ATD, NULL, ids[1], "atd31", PART_START, NULL, g.now));
  REFUSED_TX(part_move_tx(NULL, g.db, AGENT_ATD, ids[2], "atd31", PART_DONE, NULL, g.now), ERR_FORBIDDEN, "org", NULL);

  /* Nothing left to move; then to nobody, by the coordination. */
  assert_int_equal(part_bulk_reassign(&moved, g.db, COORD, emails[U_AGENT_ATD], emails[U_AGENT2_ATD]), 0);
  assert_int_equal(moved, 0);
  assert_int_equal(part_bulk_reassign(&moved, g.db, COORD, emails[U_AGENT2_ATD], NULL), 0);
  assert_int_equal(moved, 3);
  for (int i = 0; i < 3; i++) assert_string_equal(part_col(ids[i], "atd31", "agent"), "NULL");
  assert_string_equal(event_data(ids[0], "part.assigned", "$.agent"), "NULL");
  assert_string_equal(event_data(ids[0], "part.assigned", "$.previous"), emails[U_AGENT2_ATD]);
}

/* ---------------------------------------------------------------- tally, counters */

static void tally_settles_on_the_last_open_part(void **state) {
  (void)state;
  int64_t id = file_req("31001", NULL);
  ok(propose_as(COORD, id, "atd31", NULL, "lead", g.now));
  ok(propose_as(COORD, id, "caue31", NULL, "contributor", g.now));
  ok(propose_as(COORD, id, "routes", NULL, "contributor", g.now));
  struct part_tally t;
  ok(move_as(COORD, &t, id, "atd31", PART_ACCEPT, NULL, g.now));
  assert_int_equal(t.open, 3);
  assert_int_equal(t.settled, 0);
  ok(move_as(COORD, &t, id, "caue31", PART_DECLINE, "Non", g.now));
  assert_int_equal(t.open, 2);
  assert_int_equal(t.declined, 1);
  assert_int_equal(t.settled, 0);
  ok(move_as(COORD, &t, id, "routes", PART_CANCEL, "Inutile", g.now));
  assert_int_equal(t.open, 1);
  assert_int_equal(t.cancelled, 1);
  assert_int_equal(t.settled, 0);
  ok(move_as(COORD, &t, id, "atd31", PART_START, NULL, g.now));
  assert_int_equal(t.open, 1);
  assert_int_equal(t.settled, 0);
  ok(move_as(COORD, &t, id, "atd31", PART_DONE, NULL, g.now));
  assert_int_equal(t.open, 0);
  assert_int_equal(t.done, 1);
  assert_int_equal(t.declined, 1);
  assert_int_equal(t.cancelled, 1);
  assert_int_equal(t.settled, 1);
  /* Opened again (caue31 proposed anew) and closed again: settled again. */
  ok(propose_as(COORD, id, "caue31", NULL, "contributor", g.now));
  ok(move_as(COORD, &t, id, "caue31", PART_CANCEL, "Finalement non", g.now));
  assert_int_equal(t.open, 0);
  assert_int_equal(t.cancelled, 2);
  assert_int_equal(t.declined, 0);
  assert_int_equal(t.settled, 1);
  /* The tally only counts this request's parts. */
  int64_t other = part_in("proposed");
  ok(move_as(COORD, &t, other, "atd31", PART_ACCEPT, NULL, g.now));
  assert_int_equal(t.open, 1);
  assert_int_equal(t.done, 0);
}

static void counters_follow_the_moves(void **state) {
  (void)state;
  /* Nothing yet. */
  assert_string_equal(load_of("atd31"), "");
  assert_string_equal(coll_of("31001", "atd31"), "");
  int64_t a = file_req("31001", NULL), b = file_req("31001", NULL), c = file_req("31555", NULL);
  ok(propose_as(COORD, a, "atd31", NULL, "lead", g.now));
  assert_string_equal(load_of("atd31"), "1");
  assert_string_equal(coll_of("31001", "atd31"), "1/1");
  ok(propose_as(COORD, b, "atd31", NULL, "lead", g.now));
  ok(propose_as(COORD, c, "atd31", NULL, "lead", g.now));
  assert_string_equal(load_of("atd31"), "3");
  assert_string_equal(coll_of("31001", "atd31"), "2/2");
  assert_string_equal(coll_of("31555", "atd31"), "1/1");
  /* Open to open: unchanged. */
  ok(move_as(COORD, NULL, a, "atd31", PART_ACCEPT, NULL, g.now));
  ok(move_as(COORD, NULL, a, "atd31", PART_START, NULL, g.now));
  assert_string_equal(load_of("atd31"), "3");
  assert_string_equal(coll_of("31001", "atd31"), "2/2");
  /* Done: no longer open, still worked with. */
  ok(move_as(COORD, NULL, a, "atd31", PART_DONE, NULL, g.now));
  assert_string_equal(load_of("atd31"), "2");
  assert_string_equal(coll_of("31001", "atd31"), "1/2");
  /* Declined: neither. */
  ok(move_as(COORD, NULL, b, "atd31", PART_DECLINE, "Non", g.now));
  assert_string_equal(load_of("atd31"), "1");
  assert_string_equal(coll_of("31001", "atd31"), "0/1");
  /* Proposed again. */
  ok(propose_as(COORD, b, "atd31", NULL, "lead", g.now));
  assert_string_equal(load_of("atd31"), "2");
  assert_string_equal(coll_of("31001", "atd31"), "1/2");
  /* Cancelled: not open, but it was work with the collectivity. */
  ok(move_as(COORD, NULL, b, "atd31", PART_CANCEL, "Abandon", g.now));
  assert_string_equal(load_of("atd31"), "1");
  assert_string_equal(coll_of("31001", "atd31"), "0/2");
  /* Handed over. */
  ok(handover_as(COORD, c, "atd31", "routes", NULL));
  assert_string_equal(load_of("atd31"), "0");
  assert_string_equal(load_of("routes"), "1");
  assert_string_equal(coll_of("31555", "atd31"), "0/0");
  assert_string_equal(coll_of("31555", "routes"), "1/1");
  /* Assigning moves nothing. */
  ok(assign_as(COORD, c, "routes", NULL));
  assert_string_equal(load_of("routes"), "1");
  /* The counters equal a count of the parts. */
  assert_int_equal(int_of("SELECT count(*) FROM org_load l WHERE open <> (SELECT count(*) FROM part p WHERE p.org = "
                          "l.org AND p.state IN ('proposed', 'accepted', 'in_progress'))"),
                   0);
  assert_int_equal(int_of("SELECT count(*) FROM org_collectivity c WHERE total <> (SELECT count(*) FROM part p JOIN "
                          "request r ON r.id = p.request WHERE p.org = c.org AND r.collectivity = c.collectivity AND "
                          "p.state <> 'declined')"),
                   0);
}

/* ---------------------------------------------------------------- queue, list */

static void queues(void **state) {
  (void)state;
  char r1[REQUEST_REF_SIZE], r2[REQUEST_REF_SIZE], r3[REQUEST_REF_SIZE];
  int64_t a = file_req("31001", r1), b = file_req("31555", r2), c = file_req("31069", r3);
  ok(propose_as(COORD, a, "atd31", NULL, "lead", g.now));
  ok(propose_as(COORD, b, "atd31", "atd-voirie", "contributor", g.now));
  ok(propose_as(COORD, b, "caue31", NULL, "lead", g.now));
  ok(propose_as(COORD, c, "atd31", NULL, "lead", g.now));
  ok(move_as(COORD, NULL, b, "atd31", PART_ACCEPT, NULL, g.now));
  ok(assign_as(COORD, b, "atd31", emails[U_AGENT_ATD]));
  ok(move_as(COORD, NULL, c, "atd31", PART_DECLINE, "Non", g.now));
  json_t *q = NULL;
  /* The head's own org, open parts, newest first. */
  assert_int_equal(part_queue(&q, g.db, HEAD_ATD, NULL, NULL, 0), 0);
  assert_int_equal(json_array_size(q), 2);
  json_t *first = json_array_get(q, 0);
  assert_string_equal(json_string_value(json_object_get(first, "ref")), r2);
  assert_string_equal(json_string_value(json_object_get(first, "title")), "Réfection du chemin de la Côte");
  assert_string_equal(json_string_value(json_object_get(json_object_get(first, "collectivity"), "code")), "31555");
  assert_string_equal(json_string_value(json_object_get(json_object_get(first, "collectivity"), "name")), "Toulouse");
  json_t *p = json_object_get(first, "part");
  assert_string_equal(json_string_value(json_object_get(p, "state")), "accepted");
  assert_string_equal(json_string_value(json_object_get(p, "state_label")), "Acceptée");
  assert_string_equal(json_string_value(json_object_get(p, "role")), "contributor");
  assert_string_equal(json_string_value(json_object_get(p, "role_label")), "Contributeur");
  assert_string_equal(json_string_value(json_object_get(json_object_get(p, "agent"), "email")), emails[U_AGENT_ATD]);
  assert_string_equal(json_string_value(json_object_get(json_object_get(p, "offer"), "slug")), "atd-voirie");
  assert_string_equal(json_string_value(json_object_get(json_array_get(q, 1), "ref")), r1);
  json_decref(q);
  /* A state, a limit, another org for the coordination. */
  assert_int_equal(part_queue(&q, g.db, HEAD_ATD, "atd31", "declined", 0), 0);
  assert_int_equal(json_array_size(q), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(q, 0), "ref")), r3);
  assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(q, 0), "part"), "reason")),
                      "Non");
  json_decref(q);
  assert_int_equal(part_queue(&q, g.db, HEAD_ATD, NULL, NULL, 1), 0);
  assert_int_equal(json_array_size(q), 1);
  json_decref(q);
  assert_int_equal(part_queue(&q, g.db, COORD, "caue31", NULL, 500), 0);
  assert_int_equal(json_array_size(q), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(q, 0), "ref")), r2);
  json_decref(q);
  /* An agent sees its org's queue. */
  assert_int_equal(part_queue(&q, g.db, AGENT_ATD, NULL, "accepted", 0), 0);
  assert_int_equal(json_array_size(q), 1);
  json_decref(q);
  assert_int_equal(part_queue(&q, g.db, COORD, "routes", NULL, 0), 0);
  assert_int_equal(json_array_size(q), 0);
  json_decref(q);
  /* Refused. */
  q = NULL;
  assert_refused(g.db, part_queue(&q, g.db, HEAD_CAUE, "atd31", NULL, 0), ERR_FORBIDDEN, "org", "sa propre structure");
  assert_refused(g.db, part_queue(&q, g.db, AGENT_CAUE, "atd31", NULL, 0), ERR_FORBIDDEN, "org", NULL);
  assert_refused(g.db, part_queue(&q, g.db, MAIRE, "atd31", NULL, 0), ERR_FORBIDDEN, "org", NULL);
  assert_refused(g.db, part_queue(&q, g.db, MAIRE, NULL, NULL, 0), ERR_INVALID, "org", "indiquez la structure");
  assert_refused(g.db, part_queue(&q, g.db, COORD, NULL, NULL, 0), ERR_INVALID, "org", NULL);
  assert_refused(g.db, part_queue(&q, g.db, COORD, "inconnue", NULL, 0), ERR_NOTFOUND, "org", "inconnue");
  assert_refused(g.db, part_queue(&q, g.db, HEAD_ATD, NULL, "open", 0), ERR_INVALID, "state", "état inconnu : « open »");
  assert_refused(g.db, part_queue(&q, g.db, HEAD_ATD, NULL, NULL, 501), ERR_INVALID, "limit", "500");
  assert_null(q);
}

static void list_with_labels(void **state) {
  (void)state;
  int64_t id = file_req("31001", NULL);
  const int64_t at = clock_paris_to_utc(2026, 5, 26, 9, 30, 0, 0);
  ok(propose_as(COORD, id, "caue31", "caue-conseil", "contributor", g.now));
  ok(propose_as(COORD, id, "atd31", "atd-voirie", "lead", g.now));
  ok(propose_as(COORD, id, "routes", NULL, "contributor", g.now));
  ok(move_as(COORD, NULL, id, "atd31", PART_ACCEPT, NULL, at));
  ok(assign_as(COORD, id, "atd31", emails[U_AGENT_ATD]));
  ok(move_as(COORD, NULL, id, "routes", PART_DECLINE, "Pas de route départementale", at));
  json_t *l = NULL;
  assert_int_equal(part_list(&l, g.db, id), 0);
  assert_int_equal(json_array_size(l), 3);
  /* The lead first, then the contributors in proposal order. */
  json_t *lead = json_array_get(l, 0), *caue = json_array_get(l, 1), *routes = json_array_get(l, 2);
  assert_string_equal(json_string_value(json_object_get(json_object_get(lead, "org"), "slug")), "atd31");
  assert_string_equal(json_string_value(json_object_get(json_object_get(lead, "org"), "name")), "ATD 31");
  assert_string_equal(json_string_value(json_object_get(lead, "role")), "lead");
  assert_string_equal(json_string_value(json_object_get(lead, "role_label")), "Pilote");
  assert_string_equal(json_string_value(json_object_get(lead, "state")), "accepted");
  assert_string_equal(json_string_value(json_object_get(lead, "state_label")), "Acceptée");
  assert_string_equal(json_string_value(json_object_get(json_object_get(lead, "offer"), "slug")), "atd-voirie");
  assert_string_equal(json_string_value(json_object_get(json_object_get(lead, "offer"), "title")), "Conseil en voirie");
  assert_string_equal(json_string_value(json_object_get(json_object_get(lead, "agent"), "email")), emails[U_AGENT_ATD]);
  assert_string_equal(json_string_value(json_object_get(json_object_get(lead, "agent"), "name")), "Agent ATD");
  assert_string_equal(json_string_value(json_object_get(lead, "accepted_at")), "2026-05-26T09:30:00+02:00");
  assert_string_equal(json_string_value(json_object_get(lead, "created_at")), "2026-05-22T10:00:00+02:00");
  assert_true(json_is_null(json_object_get(lead, "ended_at")));
  assert_true(json_is_null(json_object_get(lead, "reason")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(caue, "org"), "slug")), "caue31");
  assert_string_equal(json_string_value(json_object_get(caue, "role_label")), "Contributeur");
  assert_string_equal(json_string_value(json_object_get(caue, "state_label")), "Proposée");
  assert_true(json_is_null(json_object_get(caue, "agent")));
  assert_true(json_is_null(json_object_get(caue, "accepted_at")));
  assert_string_equal(json_string_value(json_object_get(routes, "state_label")), "Déclinée");
  assert_string_equal(json_string_value(json_object_get(routes, "reason")), "Pas de route départementale");
  assert_string_equal(json_string_value(json_object_get(routes, "ended_at")), "2026-05-26T09:30:00+02:00");
  assert_true(json_is_null(json_object_get(routes, "offer")));
  json_decref(l);
  /* A request without parts; an unknown one. */
  assert_int_equal(part_list(&l, g.db, file_req("31001", NULL)), 0);
  assert_int_equal(json_array_size(l), 0);
  json_decref(l);
  assert_int_equal(part_list(&l, g.db, 2026999999), 0);
  assert_int_equal(json_array_size(l), 0);
  json_decref(l);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(names_and_labels),
      T(accept_start_done),
      T(decline_and_cancel_with_reason),
      T(moves_refused_from_wrong_states),
      T(decline_and_cancel_need_a_reason),
      T(one_part_per_org_and_one_lead),
      T(bad_proposals_are_refused),
      T(who_may_move_a_part),
      T(assigning_an_agent),
      T(handing_over_to_another_org),
      T(bulk_reassignment),
      T(tally_settles_on_the_last_open_part),
      T(counters_follow_the_moves),
      T(queues),
      T(list_with_labels),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
