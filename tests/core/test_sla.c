/* Tests of core/sla.c: the deadlines of a request counted in French
 * business days from its filing time (exact instants, Whit Monday and
 * week-ends included), the pause while the request waits for the
 * requester (the paused business time pushes the unmet deadlines), what
 * meets a target (a status change, a part accepted, a public answer from
 * a service, closure), the states sla_show() reports at chosen instants,
 * the overdue sweep (one journal line per target, never twice), and the
 * adoption of targets by a request filed without an offer.
 *
 * The group setup builds one base (Haute-Garonne, two orgs, offers with
 * and without targets, accounts); each test works on its own copy. Times
 * are Europe/Paris wall-clock instants written with clock_paris_to_utc(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "message.h"
#include "part.h"
#include "request.h"
#include "sla.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL

static struct {
  char template_dir[256], dir[256];
  struct db *template, *db;
  struct user admin, coord, maire, agent, head;
} g;

static const char *const voirie[] = {"voirie"};

/* A Paris wall-clock instant. */
static int64_t paris(int y, int mo, int d, int h, int mi) { return clock_paris_to_utc(y, mo, d, h, mi, 0, 0); }

static int add_offer(struct db *db, const char *slug, const char *org, int ack, int take, int resolve) {
  int64_t id;
  struct catalog_offer_new f = {.slug = slug, .org = org, .kind = "conseil", .title = "Conseil en voirie",
                                .themes = voirie, .n_themes = 1, .sla_ack = ack, .sla_take = take,
                                .sla_resolve = resolve};
  return catalog_offer_add(&id, db, &g.admin, &f);
}

static int group_setup(void **state) {
  (void)state;
  struct db *db = g.template = fixture_db(g.template_dir);
  fixture_territory(db);
  user_system(&g.admin, "test");
  int64_t id;
  struct catalog_org_new o = {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1};
  if (catalog_org_add(&id, db, &g.admin, &o)) return -1;
  o.slug = "caue31", o.name = "CAUE 31";
  if (catalog_org_add(&id, db, &g.admin, &o)) return -1;
  if (add_offer(db, "cadre", "atd31", 2, 10, 90) || add_offer(db, "express", "atd31", 1, 3, 5) ||
      add_offer(db, "sans-delai", "atd31", -1, -1, -1) || add_offer(db, "caue-conseil", "caue31", 5, 15, 60) ||
      add_offer(db, "accuse-seul", "caue31", 3, -1, -1))
    return -1;
  struct user_new users[] = {
      {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL},
      {"maire@agassac.example", "Maire d'Agassac", "requester", "31001", NULL, NULL},
      {"agent@atd31.example", "Agent ATD", "agent", NULL, "atd31", NULL},
      {"chef@atd31.example", "Chef ATD", "head", NULL, "atd31", NULL},
  };
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
    if (user_add(&id, db, &g.admin, &users[i])) return -1;
  if (user_get_by_email(&g.coord, db, "coordination@appui.example") ||
      user_get_by_email(&g.maire, db, "maire@agassac.example") ||
      user_get_by_email(&g.agent, db, "agent@atd31.example") || user_get_by_email(&g.head, db, "chef@atd31.example"))
    return -1;
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

/* Files a request for Agassac with offer `offer` (may be NULL) at `now`;
 * returns its id. */
static int64_t file_at(const char *offer, int64_t now) {
  struct request_new n = {"31001", "Réfection du chemin de la Côte", "Chemin raviné par les orages.", voirie, 1,
                          offer, -1, NULL};
  char ref[REQUEST_REF_SIZE];
  int64_t id = 0;
  assert_int_equal(db_begin(g.db), 0);
  if (request_file_tx(ref, &id, g.db, &g.coord, &n, now)) fail_msg("request_file_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
  return id;
}

static void status_at(int64_t id, const char *status, int64_t now) {
  assert_int_equal(db_begin(g.db), 0);
  if (sla_status_tx(g.db, id, status, now)) fail_msg("sla_status_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
}

static void propose_at(int64_t id, const char *org, const char *offer, const char *role, int64_t now) {
  assert_int_equal(db_begin(g.db), 0);
  if (part_propose_tx(NULL, g.db, &g.coord, id, org, offer, role, now)) fail_msg("part_propose_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
}

static void move_at(int64_t id, const char *org, enum part_op op, int64_t now) {
  assert_int_equal(db_begin(g.db), 0);
  if (part_move_tx(NULL, g.db, &g.coord, id, org, op, "motif", now)) fail_msg("part_move_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
}

static void post_at(int64_t id, const struct user *u, const char *visibility, int64_t now) {
  assert_int_equal(db_begin(g.db), 0);
  if (message_post_tx(NULL, g.db, u, id, visibility, "Bonjour, nous revenons vers vous.", now))
    fail_msg("message_post_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
}

/* A column of table sla (or `expr` over it) for request `id`; -1 for NULL. */
static int64_t sla_col(int64_t id, const char *expr) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT coalesce(%s, -1) FROM sla WHERE request = %lld", expr, (long long)id);
  return fixture_int(g.db, sql);
}

static int64_t request_due(int64_t id) {
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT coalesce(due_at, -1) FROM request WHERE id = %lld", (long long)id);
  return fixture_int(g.db, sql);
}

static int64_t count_events(const char *type) {
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM event WHERE type = '%s'", type);
  return fixture_int(g.db, sql);
}

static int sweep_at(int64_t now, int limit) {
  int n = -1;
  if (sla_sweep(&n, g.db, &g.admin, now, limit)) fail_msg("sla_sweep: %s", err_msg());
  return n;
}

/* sla_show() at `now`, its target `t` state checked against `state`. */
static json_t *show(int64_t id, int64_t now) {
  json_t *o = NULL;
  if (sla_show(&o, g.db, id, now)) fail_msg("sla_show: %s", err_msg());
  assert_non_null(o);
  return o;
}

static json_t *target(json_t *o, int t) { return json_array_get(json_object_get(o, "targets"), (size_t)t); }

static const char *tstr(json_t *o, int t, const char *key) {
  return json_string_value(json_object_get(target(o, t), key));
}

static void expect_states(int64_t id, int64_t now, const char *ack, const char *take, const char *resolve) {
  json_t *o = show(id, now);
  const char *want[3] = {ack, take, resolve};
  for (int t = 0; t < 3; t++)
    if (strcmp(tstr(o, t, "state"), want[t]) != 0)
      fail_msg("cible %d : état « %s », attendu « %s »", t, tstr(o, t, "state"), want[t]);
  json_decref(o);
}

/* ---------------------------------------------------------------- */

static void deadlines_count_business_days_from_filing(void **state) {
  (void)state;
  /* Friday 22 May 2026 10:00, the Friday before Whit Monday (25 May). */
  const int64_t filed = paris(2026, 5, 22, 10, 0);
  int64_t id = file_at("cadre", filed);
  assert_int_equal(sla_col(id, "ack_days"), 2);
  assert_int_equal(sla_col(id, "take_days"), 10);
  assert_int_equal(sla_col(id, "resolve_days"), 90);
  /* Two business days: Tuesday 26 and Wednesday 27 (Monday is a holiday). */
  assert_int_equal(sla_col(id, "ack_due"), paris(2026, 5, 27, 10, 0));
  /* Ten: Tue 26 … Fri 29, Mon 1 … Fri 5 June, Mon 8 June. */
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 8, 10, 0));
  /* Ninety, with 14 July on a Tuesday (15 August is a Saturday). */
  assert_int_equal(sla_col(id, "resolve_due"), paris(2026, 9, 29, 10, 0));
  for (int t = 0; t < 3; t++) {
    static const char *const cols[] = {"ack_due", "take_due", "resolve_due"};
    static const int days[] = {2, 10, 90};
    int64_t due = 0;
    assert_int_equal(calendar_due(&due, filed, days[t]), 0);
    assert_int_equal(sla_col(id, cols[t]), due);
  }
  /* Nothing met yet; the earliest deadline is on the request and the sweep
   * looks at it. */
  assert_int_equal(sla_col(id, "acked_at"), -1);
  assert_int_equal(sla_col(id, "taken_at"), -1);
  assert_int_equal(sla_col(id, "resolved_at"), -1);
  assert_int_equal(sla_col(id, "due_at"), paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "escalate_at"), paris(2026, 5, 27, 10, 0));
  assert_int_equal(request_due(id), paris(2026, 5, 27, 10, 0));
  json_t *o = show(id, filed);
  assert_int_equal(json_integer_value(json_object_get(target(o, 0), "days")), 2);
  assert_string_equal(tstr(o, 0, "due_at"), "2026-05-27T10:00:00+02:00");
  assert_string_equal(tstr(o, 1, "due_at"), "2026-06-08T10:00:00+02:00");
  assert_string_equal(tstr(o, 2, "due_at"), "2026-09-29T10:00:00+02:00");
  assert_string_equal(tstr(o, 0, "target"), "ack");
  assert_string_equal(tstr(o, 1, "target"), "take");
  assert_string_equal(tstr(o, 2, "target"), "resolve");
  assert_string_equal(tstr(o, 0, "label"), "Accusé de réception");
  assert_string_equal(tstr(o, 1, "label"), "Prise en charge");
  assert_string_equal(tstr(o, 2, "label"), "Résolution");
  assert_true(json_is_null(json_object_get(target(o, 0), "met_at")));
  json_decref(o);

  /* One business day from that Friday 10:00 is Tuesday 10:00. */
  id = file_at("express", filed);
  assert_int_equal(sla_col(id, "ack_due"), paris(2026, 5, 26, 10, 0));
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 5, 28, 10, 0));
  assert_int_equal(sla_col(id, "resolve_due"), paris(2026, 6, 1, 10, 0));
  assert_int_equal(request_due(id), paris(2026, 5, 26, 10, 0));
  /* Filed on the Saturday: counted from Tuesday 00:00, so one day ends on
   * Wednesday 00:00. */
  id = file_at("express", paris(2026, 5, 23, 15, 30));
  assert_int_equal(sla_col(id, "ack_due"), paris(2026, 5, 27, 0, 0));
  /* Filed in winter time (+01:00): a Thursday 17:45 before the Armistice
   * holiday (Wednesday 11 November). */
  id = file_at("express", paris(2026, 11, 5, 17, 45));
  assert_int_equal(sla_col(id, "ack_due"), paris(2026, 11, 6, 17, 45));
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 11, 10, 17, 45));
  assert_int_equal(sla_col(id, "resolve_due"), paris(2026, 11, 13, 17, 45));

  /* Without an offer, or with an offer without targets: no deadline. */
  id = file_at(NULL, filed);
  assert_int_equal(sla_col(id, "ack_days"), -1);
  assert_int_equal(sla_col(id, "ack_due"), -1);
  assert_int_equal(sla_col(id, "due_at"), -1);
  assert_int_equal(request_due(id), -1);
  id = file_at("sans-delai", filed);
  assert_int_equal(sla_col(id, "coalesce(ack_due, take_due, resolve_due, due_at, escalate_at)"), -1);
  assert_int_equal(request_due(id), -1);
}

static void waiting_pauses_and_resuming_pushes_deadlines(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  /* Waiting for the requester from Wednesday 27 May 09:00: that answer
   * acknowledges, the clock stops, no deadline runs. */
  const int64_t pause = paris(2026, 5, 27, 9, 0);
  status_at(id, "waiting", pause);
  assert_int_equal(sla_col(id, "acked_at"), pause);
  assert_int_equal(sla_col(id, "paused_since"), pause);
  assert_int_equal(sla_col(id, "due_at"), -1);
  assert_int_equal(sla_col(id, "escalate_at"), -1);
  assert_int_equal(request_due(id), -1);
  /* The deadlines themselves do not move while paused. */
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 8, 10, 0));
  /* Waiting again (by its label) changes nothing. */
  char before[65], after[65];
  fixture_digest(g.db, before);
  status_at(id, "En attente de la collectivité", paris(2026, 5, 28, 9, 0));
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  json_t *o = show(id, paris(2026, 6, 20, 12, 0)); /* long after the take deadline: paused, not late */
  assert_true(json_is_true(json_object_get(o, "paused")));
  assert_true(json_is_false(json_object_get(o, "late")));
  assert_string_equal(tstr(o, 0, "state"), "met");
  assert_string_equal(tstr(o, 1, "state"), "paused");
  assert_string_equal(tstr(o, 1, "state_label"), "Suspendu (en attente de la collectivité)");
  assert_string_equal(tstr(o, 2, "state"), "paused");
  json_decref(o);
  /* The sweep does not see a paused request. */
  assert_int_equal(sweep_at(paris(2026, 6, 20, 12, 0), 0), 0);
  assert_int_equal(count_events("sla.overdue"), 0);

  /* Back in progress Monday 1 June 15:00: paused Wed 15 h + Thu 24 h + Fri
   * 24 h + Mon 15 h = 78 business hours, added to the unmet deadlines. */
  const int64_t resume = paris(2026, 6, 1, 15, 0);
  status_at(id, "in_progress", resume);
  assert_int_equal(sla_col(id, "paused_since"), -1);
  assert_int_equal(sla_col(id, "paused_ms"), 78 * HOUR_MS);
  assert_int_equal(sla_col(id, "ack_due"), paris(2026, 5, 27, 10, 0)); /* met: unchanged */
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 11, 16, 0));
  assert_int_equal(sla_col(id, "resolve_due"), paris(2026, 10, 2, 16, 0));
  assert_int_equal(sla_col(id, "due_at"), paris(2026, 6, 11, 16, 0));
  assert_int_equal(request_due(id), paris(2026, 6, 11, 16, 0));
  o = show(id, resume);
  assert_int_equal(json_integer_value(json_object_get(o, "paused_business_ms")), 78 * HOUR_MS);
  assert_true(json_is_false(json_object_get(o, "paused")));
  assert_string_equal(tstr(o, 1, "state"), "running");
  json_decref(o);

  /* A second pause adds up: Friday 5 June 10:00 to Monday 8 June 10:00 is
   * 14 + 10 = 24 business hours; a process's own label resumes too. */
  status_at(id, "waiting", paris(2026, 6, 5, 10, 0));
  status_at(id, "En instruction", paris(2026, 6, 8, 10, 0));
  assert_int_equal(sla_col(id, "paused_ms"), 102 * HOUR_MS);
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 12, 16, 0));
  assert_int_equal(request_due(id), paris(2026, 6, 12, 16, 0));

  /* A pause over a week-end only counts nothing. */
  status_at(id, "waiting", paris(2026, 6, 13, 9, 0));
  status_at(id, "in_progress", paris(2026, 6, 14, 18, 0));
  assert_int_equal(sla_col(id, "paused_ms"), 102 * HOUR_MS);
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 12, 16, 0));
}

static void status_change_through_the_request(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  const int64_t at = paris(2026, 5, 26, 11, 0);
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(request_set_status_tx(g.db, &g.coord, id, "waiting", NULL, at), 0);
  assert_int_equal(db_commit(g.db), 0);
  assert_int_equal(sla_col(id, "paused_since"), at);
  assert_int_equal(sla_col(id, "acked_at"), at);
  assert_int_equal(request_due(id), -1);
  assert_int_equal(count_events("request.status_changed"), 1);
}

static void first_status_does_not_acknowledge(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  char before[65], after[65];
  fixture_digest(g.db, before);
  status_at(id, "filed", paris(2026, 5, 22, 11, 0));
  status_at(id, "Déposée", paris(2026, 5, 22, 11, 0));
  fixture_digest(g.db, after);
  assert_string_equal(before, after);
  status_at(id, "dispatched", paris(2026, 5, 22, 12, 0));
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 22, 12, 0));
  assert_int_equal(sla_col(id, "taken_at"), -1);
  assert_int_equal(request_due(id), paris(2026, 6, 8, 10, 0)); /* now the take deadline */
  /* Only the first time counts. */
  status_at(id, "qualifying", paris(2026, 5, 26, 12, 0));
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 22, 12, 0));
  /* A status change on a request without deadlines row is no error. */
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(sla_status_tx(g.db, 2026999999, "closed", paris(2026, 5, 22, 12, 0)), 0);
  db_rollback(g.db);
}

static void closing_resolves_every_target(void **state) {
  (void)state;
  const int64_t filed = paris(2026, 5, 22, 10, 0);
  int64_t id = file_at("cadre", filed);
  /* Closed Thursday 28 May 09:00: after the acknowledgement deadline
   * (Wednesday 10:00), before the others. */
  const int64_t closed = paris(2026, 5, 28, 9, 0);
  status_at(id, "closed", closed);
  assert_int_equal(sla_col(id, "acked_at"), closed);
  assert_int_equal(sla_col(id, "taken_at"), closed);
  assert_int_equal(sla_col(id, "resolved_at"), closed);
  assert_int_equal(sla_col(id, "due_at"), -1);
  assert_int_equal(sla_col(id, "escalate_at"), -1);
  assert_int_equal(request_due(id), -1);
  json_t *o = show(id, paris(2027, 1, 4, 12, 0));
  assert_string_equal(tstr(o, 0, "state"), "met_late");
  assert_string_equal(tstr(o, 0, "state_label"), "Tenu en retard");
  assert_string_equal(tstr(o, 1, "state"), "met");
  assert_string_equal(tstr(o, 1, "state_label"), "Tenu");
  assert_string_equal(tstr(o, 2, "state"), "met");
  assert_string_equal(tstr(o, 0, "met_at"), "2026-05-28T09:00:00+02:00");
  assert_true(json_is_false(json_object_get(o, "late")));
  json_decref(o);
  assert_int_equal(sweep_at(paris(2027, 1, 4, 12, 0), 0), 0);

  /* Cancelled by its label, while paused: the pause ends (deadlines pushed
   * by Tuesday 26 10:00 → Wednesday 27 10:00, 24 h) and everything is met. */
  id = file_at("cadre", filed);
  status_at(id, "waiting", paris(2026, 5, 26, 10, 0));
  status_at(id, "Annulée", paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "paused_since"), -1);
  assert_int_equal(sla_col(id, "paused_ms"), 24 * HOUR_MS);
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 9, 10, 0));
  assert_int_equal(sla_col(id, "resolved_at"), paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "taken_at"), paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 26, 10, 0));
  assert_int_equal(request_due(id), -1);
  expect_states(id, paris(2027, 1, 4, 12, 0), "met", "met", "met");
}

static void accepting_a_part_takes_charge(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  /* Proposing an org acknowledges. */
  const int64_t proposed = paris(2026, 5, 26, 9, 0);
  propose_at(id, "atd31", "cadre", "lead", proposed);
  assert_int_equal(sla_col(id, "acked_at"), proposed);
  assert_int_equal(sla_col(id, "taken_at"), -1);
  assert_int_equal(request_due(id), paris(2026, 6, 8, 10, 0));
  /* Accepting takes charge; the next deadline is the resolution. */
  const int64_t accepted = paris(2026, 6, 2, 14, 0);
  move_at(id, "atd31", PART_ACCEPT, accepted);
  assert_int_equal(sla_col(id, "taken_at"), accepted);
  assert_int_equal(sla_col(id, "acked_at"), proposed);
  assert_int_equal(sla_col(id, "due_at"), paris(2026, 9, 29, 10, 0));
  assert_int_equal(request_due(id), paris(2026, 9, 29, 10, 0));
  expect_states(id, accepted, "met", "met", "running");
  /* Starting and finishing a part do not resolve the request. */
  move_at(id, "atd31", PART_START, accepted + HOUR_MS);
  move_at(id, "atd31", PART_DONE, accepted + 2 * HOUR_MS);
  assert_int_equal(sla_col(id, "resolved_at"), -1);

  /* Accepted straight away (a coordinator's proposal) after the take
   * deadline: acknowledged and taken at once, late. */
  id = file_at("express", paris(2026, 5, 22, 10, 0));
  propose_at(id, "atd31", "express", "lead", paris(2026, 5, 29, 10, 0));
  move_at(id, "atd31", PART_ACCEPT, paris(2026, 5, 29, 11, 0));
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 29, 10, 0));
  assert_int_equal(sla_col(id, "taken_at"), paris(2026, 5, 29, 11, 0));
  expect_states(id, paris(2026, 5, 29, 12, 0), "met_late", "met_late", "soon"); /* due Monday 10:00 */
  /* A second org accepting later does not move the time of taking charge. */
  propose_at(id, "caue31", NULL, "contributor", paris(2026, 5, 29, 13, 0));
  move_at(id, "caue31", PART_ACCEPT, paris(2026, 5, 29, 14, 0));
  assert_int_equal(sla_col(id, "taken_at"), paris(2026, 5, 29, 11, 0));
}

static void meeting_a_later_target_meets_the_earlier_ones(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  const int64_t t1 = paris(2026, 5, 26, 10, 0), t2 = paris(2026, 5, 27, 10, 0);
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(sla_met_tx(g.db, id, SLA_TAKE, t1), 0);
  assert_int_equal(db_commit(g.db), 0);
  assert_int_equal(sla_col(id, "acked_at"), t1);
  assert_int_equal(sla_col(id, "taken_at"), t1);
  assert_int_equal(sla_col(id, "resolved_at"), -1);
  assert_int_equal(request_due(id), paris(2026, 9, 29, 10, 0));
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(sla_met_tx(g.db, id, SLA_RESOLVE, t2), 0);
  assert_int_equal(sla_met_tx(g.db, id, SLA_ACK, t2), 0); /* already met: unchanged */
  assert_int_equal(db_commit(g.db), 0);
  assert_int_equal(sla_col(id, "acked_at"), t1);
  assert_int_equal(sla_col(id, "taken_at"), t1);
  assert_int_equal(sla_col(id, "resolved_at"), t2);
  assert_int_equal(request_due(id), -1);
  assert_int_equal(sla_col(id, "escalate_at"), -1);
  /* A request without a deadlines row is no error. */
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(sla_met_tx(g.db, 2026999999, SLA_ACK, t2), 0);
  db_rollback(g.db);
}

static void public_answer_by_a_service_acknowledges(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  /* The requester's own message, and an internal note, do not. */
  post_at(id, &g.maire, "public", paris(2026, 5, 22, 11, 0));
  post_at(id, &g.agent, "internal", paris(2026, 5, 22, 12, 0));
  assert_int_equal(sla_col(id, "acked_at"), -1);
  assert_int_equal(request_due(id), paris(2026, 5, 27, 10, 0));
  /* A public answer by an agent does, the first time only. */
  post_at(id, &g.agent, "public", paris(2026, 5, 26, 8, 30));
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 26, 8, 30));
  assert_int_equal(sla_col(id, "taken_at"), -1);
  assert_int_equal(request_due(id), paris(2026, 6, 8, 10, 0));
  post_at(id, &g.head, "public", paris(2026, 5, 26, 9, 30));
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 26, 8, 30));
  expect_states(id, paris(2026, 5, 26, 9, 30), "met", "running", "running");
}

static void show_states_at_chosen_instants(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  json_t *o;
  /* Friday noon: the acknowledgement is due Wednesday; one business day
   * later is Tuesday noon (Whit Monday): running. */
  o = show(id, paris(2026, 5, 22, 12, 0));
  assert_string_equal(tstr(o, 0, "state"), "running");
  assert_string_equal(tstr(o, 0, "state_label"), "Dans les délais");
  assert_true(json_is_false(json_object_get(o, "soon")));
  assert_true(json_is_false(json_object_get(o, "late")));
  assert_true(json_is_false(json_object_get(o, "paused")));
  json_decref(o);
  /* Tuesday 11:00: due within one business day. */
  o = show(id, paris(2026, 5, 26, 11, 0));
  assert_string_equal(tstr(o, 0, "state"), "soon");
  assert_string_equal(tstr(o, 0, "state_label"), "Bientôt en retard");
  assert_string_equal(tstr(o, 1, "state"), "running");
  assert_true(json_is_true(json_object_get(o, "soon")));
  assert_true(json_is_false(json_object_get(o, "late")));
  json_decref(o);
  /* Just before the weekend+holiday boundary: Friday 22 at 10:00 sharp the
   * Wednesday deadline is more than a business day away. */
  expect_states(id, paris(2026, 5, 22, 10, 0), "running", "running", "running");
  /* Wednesday 10:01: late. */
  o = show(id, paris(2026, 5, 27, 10, 1));
  assert_string_equal(tstr(o, 0, "state"), "late");
  assert_string_equal(tstr(o, 0, "state_label"), "En retard");
  assert_true(json_is_true(json_object_get(o, "late")));
  json_decref(o);
  /* Acknowledged late on Wednesday noon, taken in time on Thursday. */
  status_at(id, "dispatched", paris(2026, 5, 27, 12, 0));
  propose_at(id, "atd31", NULL, "lead", paris(2026, 5, 28, 9, 0));
  move_at(id, "atd31", PART_ACCEPT, paris(2026, 5, 28, 10, 0));
  o = show(id, paris(2026, 5, 28, 10, 0));
  assert_string_equal(tstr(o, 0, "state"), "met_late");
  assert_string_equal(tstr(o, 0, "met_at"), "2026-05-27T12:00:00+02:00");
  assert_string_equal(tstr(o, 1, "state"), "met");
  assert_string_equal(tstr(o, 2, "state"), "running");
  assert_true(json_is_false(json_object_get(o, "late")));
  assert_true(json_is_false(json_object_get(o, "soon")));
  json_decref(o);
  /* The resolution deadline approaching, then passed. */
  expect_states(id, paris(2026, 9, 28, 11, 0), "met_late", "met", "soon");
  expect_states(id, paris(2026, 9, 30, 11, 0), "met_late", "met", "late");
  /* Waiting: paused. */
  status_at(id, "waiting", paris(2026, 9, 1, 9, 0));
  o = show(id, paris(2026, 9, 30, 11, 0));
  assert_string_equal(tstr(o, 2, "state"), "paused");
  assert_true(json_is_true(json_object_get(o, "paused")));
  assert_true(json_is_false(json_object_get(o, "late")));
  json_decref(o);

  /* Without targets: "none" everywhere, never late. */
  id = file_at(NULL, paris(2026, 5, 22, 10, 0));
  o = show(id, paris(2030, 1, 1, 12, 0));
  for (int t = 0; t < 3; t++) {
    assert_string_equal(tstr(o, t, "state"), "none");
    assert_string_equal(tstr(o, t, "state_label"), "Pas d'objectif");
    assert_true(json_is_null(json_object_get(target(o, t), "days")));
    assert_true(json_is_null(json_object_get(target(o, t), "due_at")));
  }
  assert_true(json_is_false(json_object_get(o, "late")));
  json_decref(o);
}

static void sweep_journals_each_overdue_target_once(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  int64_t quiet = file_at(NULL, paris(2026, 5, 22, 10, 0));
  /* Before the first deadline: nothing, and nothing changes. */
  char before[65], after[65];
  fixture_digest(g.db, before);
  assert_int_equal(sweep_at(paris(2026, 5, 27, 9, 59), 0), 0);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);

  /* The acknowledgement deadline passed: one line. */
  const int64_t t1 = paris(2026, 5, 27, 10, 1);
  assert_int_equal(sweep_at(t1, 0), 1);
  assert_int_equal(count_events("sla.overdue"), 1);
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'sla.overdue' AND request = %lld AND at = %lld "
           "AND json_extract(data, '$.target') = 'ack' AND json_extract(data, '$.label') = 'Accusé de réception' "
           "AND json_extract(data, '$.due_at') = '2026-05-27T10:00:00+02:00' AND json_extract(data, '$.days') = 2",
           (long long)id, (long long)t1);
  assert_int_equal(fixture_int(g.db, sql), 1);
  assert_int_equal(sla_col(id, "overdue"), 1);
  /* Still the earliest unmet deadline on the board; the next escalation
   * is the take deadline. */
  assert_int_equal(request_due(id), paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "due_at"), paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "escalate_at"), paris(2026, 6, 8, 10, 0));
  /* A second sweep writes nothing. */
  fixture_digest(g.db, before);
  assert_int_equal(sweep_at(t1, 0), 0);
  assert_int_equal(sweep_at(paris(2026, 6, 8, 9, 0), 0), 0);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);

  /* Acknowledged late: the board moves to the take deadline, which then
   * passes. */
  status_at(id, "dispatched", paris(2026, 5, 28, 9, 0));
  assert_int_equal(request_due(id), paris(2026, 6, 8, 10, 0));
  assert_int_equal(sweep_at(paris(2026, 6, 9, 8, 0), 0), 1);
  assert_int_equal(sla_col(id, "overdue"), 3);
  assert_int_equal(sla_col(id, "escalate_at"), paris(2026, 9, 29, 10, 0));
  assert_int_equal(request_due(id), paris(2026, 6, 8, 10, 0));
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM event WHERE type = 'sla.overdue' AND json_extract(data, '$.target') = 'take' "
           "AND json_extract(data, '$.days') = 10 AND request = %lld",
           (long long)id);
  assert_int_equal(fixture_int(g.db, sql), 1);
  /* Then the resolution: nothing left to escalate. */
  assert_int_equal(sweep_at(paris(2026, 12, 1, 8, 0), 0), 1);
  assert_int_equal(sla_col(id, "overdue"), 7);
  assert_int_equal(sla_col(id, "escalate_at"), -1);
  assert_int_equal(sweep_at(paris(2027, 12, 1, 8, 0), 0), 0);
  assert_int_equal(count_events("sla.overdue"), 3);
  /* The request without targets never appeared. */
  snprintf(sql, sizeof sql, "SELECT count(*) FROM event WHERE type = 'sla.overdue' AND request = %lld",
           (long long)quiet);
  assert_int_equal(fixture_int(g.db, sql), 0);
  assert_int_equal(request_due(quiet), -1);
}

static void sweep_several_targets_and_limit(void **state) {
  (void)state;
  int64_t a = file_at("express", paris(2026, 5, 22, 10, 0));
  int64_t b = file_at("express", paris(2026, 5, 22, 11, 0));
  int64_t c = file_at("cadre", paris(2026, 5, 22, 12, 0));
  /* At most one request per sweep: the one whose escalation is the
   * earliest, with all its passed targets. */
  const int64_t now = paris(2026, 7, 1, 12, 0);
  assert_int_equal(sweep_at(now, 1), 3);
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM event WHERE type = 'sla.overdue' AND request = %lld", (long long)a);
  assert_int_equal(fixture_int(g.db, sql), 3);
  assert_int_equal(count_events("sla.overdue"), 3);
  assert_int_equal(sla_col(b, "overdue"), 0);
  /* The rest: b's three targets and c's first two (resolve is in September). */
  assert_int_equal(sweep_at(now, 0), 5);
  assert_int_equal(sla_col(b, "overdue"), 7);
  assert_int_equal(sla_col(c, "overdue"), 3);
  assert_int_equal(sla_col(a, "escalate_at"), -1);
  assert_int_equal(sla_col(c, "escalate_at"), paris(2026, 9, 29, 12, 0));
  assert_int_equal(sweep_at(now, 0), 0);
  assert_int_equal(count_events("sla.overdue"), 8);
}

/* A target is late only once its deadline has passed (sla_show: due < now,
 * and a target met exactly at its deadline is "met"). The sweep must not
 * journal a target as overdue at the very instant it falls due (it did
 * once: the query read "escalate_at <= ?"). */
static void sweep_agrees_with_show_at_the_deadline(void **state) {
  (void)state;
  int64_t id = file_at("cadre", paris(2026, 5, 22, 10, 0));
  const int64_t due = paris(2026, 5, 27, 10, 0);
  expect_states(id, due, "soon", "running", "running");
  assert_int_equal(sweep_at(due, 0), 0);
  assert_int_equal(count_events("sla.overdue"), 0);
  assert_int_equal(sweep_at(due + 1, 0), 1);
}

static void request_without_targets_is_never_late(void **state) {
  (void)state;
  int64_t id = file_at(NULL, paris(2026, 5, 22, 10, 0));
  status_at(id, "dispatched", paris(2026, 5, 22, 11, 0));
  status_at(id, "waiting", paris(2026, 5, 25, 11, 0));
  status_at(id, "in_progress", paris(2026, 8, 25, 11, 0));
  assert_int_equal(sla_col(id, "coalesce(ack_due, take_due, resolve_due, due_at, escalate_at)"), -1);
  assert_int_equal(request_due(id), -1);
  assert_int_equal(sweep_at(paris(2031, 1, 1, 0, 0), 0), 0);
  json_t *o = show(id, paris(2031, 1, 1, 0, 0));
  assert_true(json_is_false(json_object_get(o, "late")));
  assert_true(json_is_false(json_object_get(o, "soon")));
  for (int t = 0; t < 3; t++) assert_string_equal(tstr(o, t, "state"), "none");
  json_decref(o);
}

static void lead_with_an_offer_gives_targets(void **state) {
  (void)state;
  const int64_t filed = paris(2026, 5, 22, 10, 0);
  int64_t id = file_at(NULL, filed);
  /* A contributor's offer gives nothing. */
  propose_at(id, "caue31", "caue-conseil", "contributor", paris(2026, 5, 26, 9, 0));
  assert_int_equal(sla_col(id, "coalesce(ack_days, take_days, resolve_days)"), -1);
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 26, 9, 0));
  /* The lead's offer does, counted from the filing time. */
  propose_at(id, "atd31", "cadre", "lead", paris(2026, 5, 27, 9, 0));
  assert_int_equal(sla_col(id, "ack_days"), 2);
  assert_int_equal(sla_col(id, "take_days"), 10);
  assert_int_equal(sla_col(id, "resolve_days"), 90);
  assert_int_equal(sla_col(id, "ack_due"), paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 8, 10, 0));
  assert_int_equal(sla_col(id, "resolve_due"), paris(2026, 9, 29, 10, 0));
  assert_int_equal(sla_col(id, "acked_at"), paris(2026, 5, 26, 9, 0));
  assert_int_equal(request_due(id), paris(2026, 6, 8, 10, 0));
  assert_int_equal(sla_col(id, "escalate_at"), paris(2026, 6, 8, 10, 0));
  /* Adopting again, or another offer, changes nothing any more. */
  char before[65], after[65];
  fixture_digest(g.db, before);
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(sla_adopt_tx(g.db, id, fixture_int(g.db, "SELECT id FROM offer WHERE slug = 'express'")), 0);
  assert_int_equal(db_commit(g.db), 0);
  fixture_digest(g.db, after);
  assert_string_equal(before, after);

  /* A request filed with an offer keeps its own targets. */
  id = file_at("express", filed);
  propose_at(id, "caue31", "caue-conseil", "lead", paris(2026, 5, 22, 11, 0));
  assert_int_equal(sla_col(id, "ack_days"), 1);
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 5, 28, 10, 0));

  /* So does one whose offer has only some targets: it has targets. */
  id = file_at("accuse-seul", filed);
  propose_at(id, "atd31", "cadre", "lead", paris(2026, 5, 22, 11, 0));
  assert_int_equal(sla_col(id, "ack_days"), 3);
  assert_int_equal(sla_col(id, "coalesce(take_days, resolve_days, take_due, resolve_due)"), -1);
  assert_int_equal(request_due(id), -1); /* acknowledged by the proposal; nothing else runs */

  /* A request filed without an offer, paused before its lead arrives: the
   * pause taken (Tuesday 26 10:00 → Wednesday 27 10:00, 24 h) pushes the
   * adopted deadlines as well. */
  id = file_at(NULL, filed);
  status_at(id, "waiting", paris(2026, 5, 26, 10, 0));
  status_at(id, "qualifying", paris(2026, 5, 27, 10, 0));
  assert_int_equal(sla_col(id, "paused_ms"), 24 * HOUR_MS);
  propose_at(id, "atd31", "cadre", "lead", paris(2026, 5, 27, 11, 0));
  assert_int_equal(sla_col(id, "ack_due"), paris(2026, 5, 28, 10, 0));
  assert_int_equal(sla_col(id, "take_due"), paris(2026, 6, 9, 10, 0));
  assert_int_equal(sla_col(id, "resolve_due"), paris(2026, 9, 30, 10, 0));
  assert_int_equal(request_due(id), paris(2026, 6, 9, 10, 0));

  /* Adopting an offer without targets leaves nothing to count. */
  id = file_at(NULL, filed);
  assert_int_equal(db_begin(g.db), 0);
  assert_int_equal(sla_adopt_tx(g.db, id, fixture_int(g.db, "SELECT id FROM offer WHERE slug = 'sans-delai'")), 0);
  assert_int_equal(db_commit(g.db), 0);
  assert_int_equal(sla_col(id, "coalesce(ack_days, take_days, resolve_days, due_at)"), -1);
}

static void show_of_an_unknown_request_and_labels(void **state) {
  (void)state;
  json_t *o = NULL;
  assert_refused(g.db, sla_show(&o, g.db, 2026999999, paris(2026, 5, 22, 10, 0)), ERR_NOTFOUND, "request",
                 "2026999999");
  assert_null(o);
  assert_string_equal(sla_target_label(SLA_ACK), "Accusé de réception");
  assert_string_equal(sla_target_label(SLA_TAKE), "Prise en charge");
  assert_string_equal(sla_target_label(SLA_RESOLVE), "Résolution");
  /* "Soon" means within one business day: from Friday noon before Whit
   * Monday, Tuesday noon; from a Saturday, Wednesday 00:00. */
  assert_int_equal(sla_soon_limit(paris(2026, 5, 22, 12, 0)), paris(2026, 5, 26, 12, 0));
  assert_int_equal(sla_soon_limit(paris(2026, 5, 23, 12, 0)), paris(2026, 5, 27, 0, 0));
  assert_int_equal(sla_soon_limit(paris(2026, 6, 2, 8, 0)), paris(2026, 6, 3, 8, 0));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(deadlines_count_business_days_from_filing),
      T(waiting_pauses_and_resuming_pushes_deadlines),
      T(status_change_through_the_request),
      T(first_status_does_not_acknowledge),
      T(closing_resolves_every_target),
      T(accepting_a_part_takes_charge),
      T(meeting_a_later_target_meets_the_earlier_ones),
      T(public_answer_by_a_service_acknowledges),
      T(show_states_at_chosen_instants),
      T(sweep_journals_each_overdue_target_once),
      T(sweep_several_targets_and_limit),
      T(sweep_agrees_with_show_at_the_deadline),
      T(request_without_targets_is_never_late),
      T(lead_with_an_offer_gives_targets),
      T(show_of_an_unknown_request_and_labels),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
