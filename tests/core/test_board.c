/* Tests of core/board.c: the counts per status follow every filter but the
 * status (theme, org and the state of its part, agent, collectivity, EPCI,
 * lateness yes / soon / no at a controlled `now`, and their combinations);
 * pages newest first with a cursor that stays stable and complete while
 * requests are filed between pages, whatever index the page starts from;
 * the items' fields; the permission rule (a head sees its org's requests
 * only, a requester is refused); CSV and XLSX exports read back; the
 * statistics of a small data set whose medians and 9th deciles were
 * computed by hand; and every bad filter refused with its field named and
 * nothing changed.
 *
 * The group setup builds one base (Haute-Garonne, three orgs, two offers,
 * accounts); each test works on its own copy and files its requests
 * through request_file_tx / part_propose_tx / part_move_tx at fixed times
 * from Monday 3 March 2025, 09:00 in Paris. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "board.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "fixture.h"
#include "part.h"
#include "request.h"
#include "sla.h"
#include "user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOUR 3600000LL
#define MINUTE 60000LL
#define DAY (24 * HOUR)

static struct {
  char template_dir[256], dir[256];
  struct db *template, *db;
  struct user admin, coord, head_atd, agent_atd, head_caue, maire;
  char epci_agassac[16], epci_agassac_name[128];
  int64_t t0;                      /* Monday 2025-03-03 09:00 Paris */
  int64_t r[8];                    /* ids of the board's requests R1..R7 (r[1]..r[7]) */
  char ref[8][REQUEST_REF_SIZE];
} g;

static const char *const voirie[] = {"voirie"};

static int group_setup(void **state) {
  (void)state;
  struct db *db = g.template = fixture_db(g.template_dir);
  fixture_territory(db);
  user_system(&g.admin, "test");
  int64_t id;
  struct catalog_org_new orgs[] = {
      {"atd31", "ATD 31", "satellite", NULL, NULL, NULL, -1},
      {"caue31", "CAUE 31", "satellite", NULL, NULL, NULL, -1},
      {"dvi31", "Direction de la voirie", "direction", NULL, NULL, NULL, -1},
  };
  for (size_t i = 0; i < sizeof orgs / sizeof orgs[0]; i++)
    if (catalog_org_add(&id, db, &g.admin, &orgs[i])) return -1;
  const char *urba[] = {"urbanisme"};
  struct catalog_offer_new f = {.slug = "atd-voirie", .org = "atd31", .kind = "conseil", .title = "Conseil en voirie",
                                .themes = voirie, .n_themes = 1, .sla_ack = 2, .sla_take = 2, .sla_resolve = 10};
  if (catalog_offer_add(&id, db, &g.admin, &f)) return -1;
  f = (struct catalog_offer_new){.slug = "caue-urba", .org = "caue31", .kind = "conseil", .title = "Conseil urbanisme",
                                 .themes = urba, .n_themes = 1, .sla_ack = -1, .sla_take = -1, .sla_resolve = -1};
  if (catalog_offer_add(&id, db, &g.admin, &f)) return -1;
  struct user_new users[] = {
      {"coordination@appui.example", "Coordination", "coordinator", NULL, NULL, NULL},
      {"chef@atd31.example", "Cheffe ATD", "head", NULL, "atd31", NULL},
      {"agent@atd31.example", "Agent ATD", "agent", NULL, "atd31", NULL},
      {"chef@caue31.example", "Chef CAUE", "head", NULL, "caue31", NULL},
      {"maire@agassac.example", "Maire d'Agassac", "requester", "31001", NULL, NULL},
  };
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
    if (user_add(&id, db, &g.admin, &users[i])) return -1;
  if (user_get_by_email(&g.coord, db, "coordination@appui.example") ||
      user_get_by_email(&g.head_atd, db, "chef@atd31.example") ||
      user_get_by_email(&g.agent_atd, db, "agent@atd31.example") ||
      user_get_by_email(&g.head_caue, db, "chef@caue31.example") ||
      user_get_by_email(&g.maire, db, "maire@agassac.example"))
    return -1;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db_sqlite(db),
                         "SELECT c.epci, e.name FROM collectivity c JOIN collectivity e ON e.code = c.epci "
                         "WHERE c.code = '31001'",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW)
    return -1;
  snprintf(g.epci_agassac, sizeof g.epci_agassac, "%s", (const char *)sqlite3_column_text(st, 0));
  snprintf(g.epci_agassac_name, sizeof g.epci_agassac_name, "%s", (const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  g.t0 = clock_paris_to_utc(2025, 3, 3, 9, 0, 0, 0);
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
  memset(g.r, 0, sizeof g.r);
  memset(g.ref, 0, sizeof g.ref);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  db_close(g.db);
  fixture_rmdir(g.dir);
  return 0;
}

/* ---- building data (inside the caller's transaction) ---- */

static int64_t file_tx(char ref[REQUEST_REF_SIZE], const char *coll, const char *title, const char *const *themes,
                       int n_themes, const char *offer, int64_t at) {
  struct request_new n = {coll, title, "Description de la demande.", themes, n_themes, offer, -1, NULL};
  char r[REQUEST_REF_SIZE];
  int64_t id = 0;
  if (request_file_tx(ref ? ref : r, &id, g.db, &g.coord, &n, at)) fail_msg("request_file_tx: %s", err_msg());
  return id;
}

static void propose(int64_t request, const char *org, const char *role, int64_t at) {
  if (part_propose_tx(NULL, g.db, &g.coord, request, org, NULL, role, at)) fail_msg("part_propose_tx: %s", err_msg());
}

static void move(int64_t request, const char *org, enum part_op op, int64_t at) {
  if (part_move_tx(NULL, g.db, &g.coord, request, org, op, op == PART_DECLINE ? "Hors de nos missions" : NULL, at))
    fail_msg("part_move_tx %s: %s", part_op_name(op), err_msg());
}

static void set_status(int64_t request, const char *status, int64_t at) {
  if (request_set_status_tx(g.db, &g.coord, request, status, NULL, at)) fail_msg("set_status: %s", err_msg());
}

/* The board's requests, filed a minute apart from t0:
 *   R1 Agassac, voirie, offer atd-voirie: atd31 lead accepted, agent
 *      assigned; in_progress; deadline running (resolve).
 *   R2 Agassac, voirie + urbanisme: atd31 lead proposed, caue31
 *      contributor accepted; dispatched; no deadline.
 *   R3 Toulouse, urbanisme, offer caue-urba (no targets): caue31 lead
 *      accepted; status set by a process, "En instruction".
 *   R4 Toulouse, voirie, offer atd-voirie: no part; filed; deadline
 *      running (acknowledge, two business days).
 *   R5 Toulouse Métropole (the EPCI), voirie: atd31 declined; qualifying.
 *   R6 Muret, energie: dvi31 lead done; closed. */
static void build_board(void) {
  const char *voirie_urba[] = {"urbanisme", "voirie"}, *urba[] = {"urbanisme"}, *energie[] = {"energie"};
  int64_t t = g.t0;
  assert_int_equal(db_begin(g.db), 0);
  g.r[1] = file_tx(g.ref[1], "31001", "Chemin de la Côte", voirie, 1, "atd-voirie", t);
  g.r[2] = file_tx(g.ref[2], "31001", "Parking de l'école", voirie_urba, 2, NULL, t + MINUTE);
  g.r[3] = file_tx(g.ref[3], "31555", "Révision du PLU", urba, 1, "caue-urba", t + 2 * MINUTE);
  g.r[4] = file_tx(g.ref[4], "31555", "Trottoirs rue Bayard", voirie, 1, "atd-voirie", t + 3 * MINUTE);
  g.r[5] = file_tx(g.ref[5], "243100518", "Schéma cyclable", voirie, 1, NULL, t + 4 * MINUTE);
  g.r[6] = file_tx(g.ref[6], "31395", "Chaufferie bois", energie, 1, NULL, t + 5 * MINUTE);
  propose(g.r[1], "atd31", "lead", t + HOUR);
  if (part_assign_tx(g.db, &g.coord, g.r[1], "atd31", "agent@atd31.example", t + HOUR))
    fail_msg("part_assign_tx: %s", err_msg());
  move(g.r[1], "atd31", PART_ACCEPT, t + 2 * HOUR);
  set_status(g.r[1], "in_progress", t + 2 * HOUR);
  propose(g.r[2], "atd31", "lead", t + HOUR);
  propose(g.r[2], "caue31", "contributor", t + HOUR);
  move(g.r[2], "caue31", PART_ACCEPT, t + 2 * HOUR);
  set_status(g.r[2], "dispatched", t + HOUR);
  propose(g.r[3], "caue31", "lead", t + HOUR);
  move(g.r[3], "caue31", PART_ACCEPT, t + 2 * HOUR);
  set_status(g.r[3], "En instruction", t + 2 * HOUR);
  propose(g.r[5], "atd31", "lead", t + HOUR);
  move(g.r[5], "atd31", PART_DECLINE, t + 2 * HOUR);
  set_status(g.r[5], "qualifying", t + HOUR);
  propose(g.r[6], "dvi31", "lead", t + HOUR);
  move(g.r[6], "dvi31", PART_ACCEPT, t + 2 * HOUR);
  move(g.r[6], "dvi31", PART_START, t + 3 * HOUR);
  move(g.r[6], "dvi31", PART_DONE, t + DAY);
  set_status(g.r[6], "closed", t + DAY);
  assert_int_equal(db_commit(g.db), 0);
}

static int64_t due_of(int64_t id) {
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT coalesce(due_at, 0) FROM request WHERE id = %lld", (long long)id);
  return fixture_int(g.db, sql);
}

/* ---- reading the board ---- */

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The counts as "status=n status=n…" in column order; checks that total
 * is their sum and that every label is right. */
static void expect_counts(const struct user *u, struct board_filter f, int64_t now, const char *expected) {
  json_t *o = NULL;
  if (board_counts(&o, g.db, u, &f, now)) fail_msg("board_counts: %s", err_msg());
  char got[512] = "";
  json_int_t sum = 0;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(o, "columns"), i, c) {
    char one[96];
    snprintf(one, sizeof one, "%s%s=%lld", i ? " " : "", str(c, "status"),
             (long long)json_integer_value(json_object_get(c, "count")));
    strcat(got, one);
    sum += json_integer_value(json_object_get(c, "count"));
    assert_true(json_integer_value(json_object_get(c, "count")) > 0);
  }
  assert_int_equal(json_integer_value(json_object_get(o, "total")), sum);
  json_decref(o);
  if (strcmp(got, expected) != 0) fail_msg("comptes « %s », attendu « %s »", got, expected);
}

/* One page's refs, comma-separated, into a static buffer; the next
 * cursor into *next (free()) when not NULL. */
static const char *page(const struct user *u, struct board_filter f, int64_t now, char **next) {
  static char out[4096];
  json_t *items;
  char *n = NULL;
  if (board_list(&items, &n, g.db, u, &f, now)) fail_msg("board_list: %s", err_msg());
  out[0] = 0;
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    if (i) strcat(out, ",");
    strcat(out, str(it, "ref"));
  }
  json_decref(items);
  if (next) *next = n;
  else free(n);
  return out;
}

/* "R1,R2…" for the board's requests `which` ("5,2,1"), newest first. */
static const char *refs(const char *which) {
  static char out[256];
  out[0] = 0;
  for (const char *p = which; *p; p++) {
    if (*p < '1' || *p > '7') continue;
    if (out[0]) strcat(out, ",");
    strcat(out, g.ref[*p - '0']);
  }
  return out;
}

static void expect_page(const struct user *u, struct board_filter f, int64_t now, const char *which) {
  f.limit = BOARD_LIST_MAX;
  const char *got = page(u, f, now, NULL);
  char want[256];
  snprintf(want, sizeof want, "%s", refs(which));
  if (strcmp(got, want) != 0) fail_msg("page « %s », attendu « %s » (%s)", got, want, which);
}

/* ---- tests ---- */

static void counts_follow_each_filter(void **state) {
  (void)state;
  build_board();
  const int64_t now = g.t0 + DAY;
  const struct user *c = &g.coord;
  typedef struct board_filter F;
  /* Columns: known codes in lifecycle order, then the process labels. */
  expect_counts(c, (F){0}, now,
                "filed=1 qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1");
  json_t *o;
  assert_int_equal(board_counts(&o, g.db, c, &(F){0}, now), 0);
  json_t *cols = json_object_get(o, "columns");
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 6);
  assert_string_equal(str(json_array_get(cols, 0), "label"), "Déposée");
  assert_string_equal(str(json_array_get(cols, 1), "label"), "En qualification");
  assert_string_equal(str(json_array_get(cols, 4), "label"), "Clôturée");
  assert_string_equal(str(json_array_get(cols, 5), "label"), "En instruction");
  json_decref(o);
  /* The status filter does not change the columns. */
  expect_counts(c, (F){.status = "closed"}, now,
                "filed=1 qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1");
  /* Theme. */
  expect_counts(c, (F){.theme = "urbanisme"}, now, "dispatched=1 En instruction=1");
  expect_counts(c, (F){.theme = "voirie", .status = "filed"}, now, "filed=1 qualifying=1 dispatched=1 in_progress=1");
  expect_counts(c, (F){.theme = "tourisme"}, now, "");
  /* Org: any state of its part, or the state asked. */
  expect_counts(c, (F){.org = "atd31"}, now, "qualifying=1 dispatched=1 in_progress=1");
  expect_counts(c, (F){.org = "atd31", .part_state = "accepted"}, now, "in_progress=1");
  expect_counts(c, (F){.org = "atd31", .part_state = "declined"}, now, "qualifying=1");
  expect_counts(c, (F){.org = "atd31", .part_state = "done"}, now, "");
  expect_counts(c, (F){.org = "caue31"}, now, "dispatched=1 En instruction=1");
  /* Agent. */
  expect_counts(c, (F){.agent = "agent@atd31.example"}, now, "in_progress=1");
  expect_counts(c, (F){.agent = "AGENT@atd31.example", .part_state = "accepted"}, now, "in_progress=1");
  expect_counts(c, (F){.agent = "agent@atd31.example", .part_state = "proposed"}, now, "");
  expect_counts(c, (F){.agent = "chef@caue31.example"}, now, "");
  /* Collectivity and EPCI (the EPCI itself and its communes). */
  expect_counts(c, (F){.collectivity = "31001"}, now, "dispatched=1 in_progress=1");
  expect_counts(c, (F){.collectivity = "31555"}, now, "filed=1 En instruction=1");
  expect_counts(c, (F){.epci = "243100518"}, now, "filed=1 qualifying=1 En instruction=1");
  expect_counts(c, (F){.epci = g.epci_agassac}, now, "dispatched=1 in_progress=1");
  expect_counts(c, (F){.epci = "31001"}, now, "");
  /* Several filters at once, whichever drives. */
  expect_counts(c, (F){.theme = "voirie", .collectivity = "31001", .org = "atd31"}, now, "dispatched=1 in_progress=1");
  expect_counts(c, (F){.theme = "urbanisme", .org = "atd31"}, now, "dispatched=1");
  expect_counts(c, (F){.theme = "urbanisme", .org = "caue31", .epci = "243100518"}, now, "En instruction=1");
  expect_counts(c, (F){.agent = "agent@atd31.example", .theme = "urbanisme"}, now, "");
  expect_counts(c, (F){.org = "atd31", .agent = "agent@atd31.example", .epci = g.epci_agassac}, now, "in_progress=1");
  /* Empty strings are no filter (a form's blank field). */
  expect_counts(c, (F){.theme = "", .org = "", .late = "", .cursor = ""}, now,
                "filed=1 qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1");
}

static void lateness_at_a_controlled_now(void **state) {
  (void)state;
  build_board();
  typedef struct board_filter F;
  const struct user *c = &g.coord;
  /* R4 waits for its acknowledgement: two business days after filing
   * (Monday 09:03 → Wednesday 09:03); R1 runs on its resolve target. */
  const int64_t d4 = due_of(g.r[4]), d1 = due_of(g.r[1]);
  assert_int_equal(d4, clock_paris_to_utc(2025, 3, 5, 9, 3, 0, 0));
  assert_true(d1 > d4 + 5 * DAY);
  assert_int_equal(due_of(g.r[2]), 0);
  assert_int_equal(due_of(g.r[6]), 0);
  /* Long before: nothing late, nothing soon. */
  expect_counts(c, (F){.late = "yes"}, g.t0, "");
  expect_counts(c, (F){.late = "soon"}, g.t0, "");
  expect_counts(c, (F){.late = "no"}, g.t0, "filed=1 qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1");
  /* An hour before R4's deadline: soon (and not late, so "no" keeps it). */
  expect_counts(c, (F){.late = "soon"}, d4 - HOUR, "filed=1");
  expect_counts(c, (F){.late = "yes"}, d4 - HOUR, "");
  expect_counts(c, (F){.late = "no"}, d4 - HOUR,
                "filed=1 qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1");
  /* At the deadline itself it is passed only once now is beyond it. */
  expect_counts(c, (F){.late = "yes"}, d4, "");
  expect_counts(c, (F){.late = "yes"}, d4 + 1, "filed=1");
  /* An hour after: late. */
  expect_counts(c, (F){.late = "yes"}, d4 + HOUR, "filed=1");
  expect_counts(c, (F){.late = "soon"}, d4 + HOUR, "");
  expect_counts(c, (F){.late = "no"}, d4 + HOUR, "qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1");
  expect_counts(c, (F){.late = "yes", .theme = "voirie"}, d4 + HOUR, "filed=1");
  expect_counts(c, (F){.late = "yes", .theme = "urbanisme"}, d4 + HOUR, "");
  expect_counts(c, (F){.late = "yes", .org = "atd31"}, d4 + HOUR, "");
  expect_counts(c, (F){.late = "no", .org = "atd31"}, d4 + HOUR, "qualifying=1 dispatched=1 in_progress=1");
  expect_counts(c, (F){.late = "yes", .epci = "243100518"}, d4 + HOUR, "filed=1");
  /* After R1's deadline too. */
  expect_counts(c, (F){.late = "yes"}, d1 + HOUR, "filed=1 in_progress=1");
  expect_counts(c, (F){.late = "yes", .agent = "agent@atd31.example"}, d1 + HOUR, "in_progress=1");
  expect_counts(c, (F){.late = "soon"}, d1 - HOUR, "in_progress=1");
  /* The same in pages: the filter and each item's flag. */
  expect_page(c, (F){.late = "yes"}, d1 + HOUR, "4,1");
  expect_page(c, (F){.late = "soon"}, d4 - HOUR, "4");
  expect_page(c, (F){.late = "no"}, d4 + HOUR, "6,5,3,2,1");
  expect_page(c, (F){.late = "no"}, d4 - HOUR, "6,5,4,3,2,1");
  const int64_t nows[] = {g.t0, d4 - HOUR, d4 + HOUR};
  const char *flags[] = {"no", "soon", "yes"};
  for (int i = 0; i < 3; i++) {
    json_t *items;
    char *next;
    assert_int_equal(board_list(&items, &next, g.db, c, &(F){.collectivity = "31555"}, nows[i]), 0);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(str(json_array_get(items, 0), "ref"), g.ref[4]);
    assert_string_equal(str(json_array_get(items, 0), "late"), flags[i]);
    assert_string_equal(str(json_array_get(items, 1), "late"), "no"); /* R3: no deadline */
    assert_true(json_is_null(json_object_get(json_array_get(items, 1), "due_at")));
    json_decref(items);
  }
}

static void list_items(void **state) {
  (void)state;
  build_board();
  json_t *items;
  char *next = (char *)1;
  const int64_t now = g.t0 + DAY;
  assert_int_equal(board_list(&items, &next, g.db, &g.coord, &(struct board_filter){0}, now), 0);
  assert_null(next);
  assert_int_equal(json_array_size(items), 6);
  for (int i = 0; i < 6; i++) assert_string_equal(str(json_array_get(items, (size_t)i), "ref"), g.ref[6 - i]);
  /* R1: every field. */
  json_t *r1 = json_array_get(items, 5), *x;
  assert_string_equal(str(r1, "title"), "Chemin de la Côte");
  assert_string_equal(str(r1, "status"), "in_progress");
  assert_string_equal(str(r1, "status_label"), "En cours");
  x = json_object_get(r1, "collectivity");
  assert_string_equal(str(x, "code"), "31001");
  assert_string_equal(str(x, "name"), "Agassac");
  x = json_object_get(r1, "epci");
  assert_string_equal(str(x, "code"), g.epci_agassac);
  assert_string_equal(str(x, "name"), g.epci_agassac_name);
  x = json_object_get(r1, "themes");
  assert_int_equal(json_array_size(x), 1);
  assert_string_equal(json_string_value(json_array_get(x, 0)), "voirie");
  x = json_object_get(r1, "lead");
  assert_string_equal(str(x, "slug"), "atd31");
  assert_string_equal(str(x, "name"), "ATD 31");
  x = json_object_get(r1, "parts");
  assert_int_equal(json_array_size(x), 1);
  assert_string_equal(str(json_array_get(x, 0), "org"), "atd31");
  assert_string_equal(str(json_array_get(x, 0), "role"), "lead");
  assert_string_equal(str(json_array_get(x, 0), "state"), "accepted");
  assert_string_equal(str(json_array_get(x, 0), "agent"), "agent@atd31.example");
  assert_string_equal(str(r1, "filed_at"), "2025-03-03T09:00:00+01:00");
  char due[32];
  clock_format(due_of(g.r[1]), due);
  assert_string_equal(str(r1, "due_at"), due);
  assert_string_equal(str(r1, "late"), "no");
  /* R2: lead first, then the contributor; no deadline; two themes. */
  json_t *r2 = json_array_get(items, 4);
  x = json_object_get(r2, "parts");
  assert_int_equal(json_array_size(x), 2);
  assert_string_equal(str(json_array_get(x, 0), "org"), "atd31");
  assert_string_equal(str(json_array_get(x, 0), "state"), "proposed");
  assert_true(json_is_null(json_object_get(json_array_get(x, 0), "agent")));
  assert_string_equal(str(json_array_get(x, 1), "org"), "caue31");
  assert_string_equal(str(json_array_get(x, 1), "role"), "contributor");
  assert_string_equal(str(json_object_get(r2, "lead"), "slug"), "atd31");
  assert_true(json_is_null(json_object_get(r2, "due_at")));
  assert_int_equal(json_array_size(json_object_get(r2, "themes")), 2);
  /* R3: a process's label is its own label. */
  assert_string_equal(str(json_array_get(items, 3), "status_label"), "En instruction");
  /* R5: filed by the EPCI itself; its lead declined, so no lead. */
  json_t *r5 = json_array_get(items, 1);
  assert_string_equal(str(json_object_get(r5, "epci"), "code"), "243100518");
  assert_string_equal(str(json_object_get(r5, "collectivity"), "code"), "243100518");
  assert_true(json_is_null(json_object_get(r5, "lead")));
  assert_string_equal(str(json_array_get(json_object_get(r5, "parts"), 0), "state"), "declined");
  /* R6: Muret's EPCI. */
  assert_true(json_is_object(json_object_get(json_array_get(items, 0), "epci")));
  json_decref(items);
  /* Filters in pages, the status one included. */
  typedef struct board_filter F;
  expect_page(&g.coord, (F){.status = "closed"}, now, "6");
  expect_page(&g.coord, (F){.status = "En instruction"}, now, "3");
  expect_page(&g.coord, (F){.status = "dispatched", .theme = "voirie"}, now, "2");
  expect_page(&g.coord, (F){.theme = "voirie"}, now, "5,4,2,1");
  expect_page(&g.coord, (F){.org = "atd31"}, now, "5,2,1");
  expect_page(&g.coord, (F){.org = "caue31", .part_state = "accepted"}, now, "3,2");
  expect_page(&g.coord, (F){.agent = "agent@atd31.example"}, now, "1");
  expect_page(&g.coord, (F){.epci = "243100518"}, now, "5,4,3");
  expect_page(&g.coord, (F){.collectivity = "31001", .theme = "urbanisme"}, now, "2");
}

/* Walks every page of `f` (page size `limit`), filing `file_between` new
 * requests after the first page, and writes the refs seen in order. */
static int walk(const struct user *u, struct board_filter f, int64_t now, char refs_seen[][REQUEST_REF_SIZE], int max,
                int file_between) {
  int n = 0, pages = 0;
  char *cursor = NULL;
  do {
    f.cursor = cursor;
    json_t *items;
    char *next = NULL;
    if (board_list(&items, &next, g.db, u, &f, now)) fail_msg("board_list: %s", err_msg());
    assert_true(json_array_size(items) <= (size_t)(f.limit ? f.limit : BOARD_LIST_DEFAULT));
    if (next) assert_int_equal(json_array_size(items), f.limit ? f.limit : BOARD_LIST_DEFAULT);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
      assert_true(n < max);
      snprintf(refs_seen[n++], REQUEST_REF_SIZE, "%s", str(it, "ref"));
    }
    json_decref(items);
    free(cursor);
    cursor = next;
    if (pages++ == 0 && file_between) {
      assert_int_equal(db_begin(g.db), 0);
      for (int k = 0; k < file_between; k++) file_tx(NULL, "31001", "Entre deux pages", voirie, 1, NULL, now);
      assert_int_equal(db_commit(g.db), 0);
    }
    assert_true(pages < 1000);
  } while (cursor);
  return n;
}

/* The refs a walk must give: `sql` selecting refs newest first. */
static int expected_refs(const char *sql, char out[][REQUEST_REF_SIZE], int max) {
  sqlite3_stmt *st;
  int n = 0;
  assert_int_equal(sqlite3_prepare_v2(db_sqlite(g.db), sql, -1, &st, NULL), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW && n < max)
    snprintf(out[n++], REQUEST_REF_SIZE, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return n;
}

static void expect_walk(const struct user *u, struct board_filter f, int64_t now, const char *sql, int file_between) {
  static char seen[256][REQUEST_REF_SIZE], want[256][REQUEST_REF_SIZE];
  int w = expected_refs(sql, want, 256);
  int n = walk(u, f, now, seen, 256, file_between);
  if (n != w) fail_msg("%d demandes vues au lieu de %d (%s)", n, w, sql);
  for (int i = 0; i < n; i++)
    if (strcmp(seen[i], want[i]) != 0) fail_msg("rang %d : %s au lieu de %s (%s)", i, seen[i], want[i], sql);
}

static void pagination_is_stable_and_complete(void **state) {
  (void)state;
  build_board();
  /* 49 more: 55 requests, some of them late, half of them urbanisme. */
  const char *urba[] = {"urbanisme"};
  assert_int_equal(db_begin(g.db), 0);
  for (int i = 0; i < 49; i++) {
    int64_t id = file_tx(NULL, i % 3 ? "31001" : "31555", "Demande en nombre", i % 2 ? voirie : urba, 1,
                         i % 4 ? NULL : "atd-voirie", g.t0 + DAY + i * MINUTE);
    if (i % 5 == 0) propose(id, "atd31", i % 2 ? "lead" : "contributor", g.t0 + DAY + i * MINUTE);
  }
  assert_int_equal(db_commit(g.db), 0);
  const int64_t now = g.t0 + 10 * DAY;
  typedef struct board_filter F;
  /* Most requests are filed: the counts of the whole table take that
   * column as the total minus the others. */
  expect_counts(&g.coord, (F){0}, now, "filed=50 qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1");
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM request WHERE status = 'filed' AND due_at < %lld", (long long)now);
  const int64_t late_filed = fixture_int(g.db, sql);
  assert_true(late_filed > 5 && late_filed < 50);
  char want[160];
  snprintf(want, sizeof want, "filed=%lld qualifying=1 dispatched=1 in_progress=1 closed=1 En instruction=1",
           (long long)(50 - late_filed));
  expect_counts(&g.coord, (F){.late = "no"}, now, want);
  snprintf(want, sizeof want, "filed=%lld", (long long)late_filed);
  expect_counts(&g.coord, (F){.late = "yes"}, now, want);
  /* The default page size is 50. */
  char *next = NULL;
  json_t *items;
  assert_int_equal(board_list(&items, &next, g.db, &g.coord, &(F){0}, now), 0);
  assert_int_equal(json_array_size(items), BOARD_LIST_DEFAULT);
  assert_non_null(next);
  json_decref(items);
  char *cursor = next;
  assert_int_equal(board_list(&items, &next, g.db, &g.coord, &(F){.cursor = cursor, .limit = 0}, now), 0);
  assert_int_equal(json_array_size(items), 5);
  assert_null(next);
  free(cursor);
  json_decref(items);
  /* Every request once, newest first, whatever the page size and the
   * index the pages start from. */
  expect_walk(&g.coord, (F){.limit = 7}, now, "SELECT ref FROM request ORDER BY id DESC", 0);
  expect_walk(&g.coord, (F){.limit = 55}, now, "SELECT ref FROM request ORDER BY id DESC", 0);
  expect_walk(&g.coord, (F){.limit = 1, .collectivity = "31555"}, now,
              "SELECT ref FROM request WHERE collectivity = '31555' ORDER BY id DESC", 0);
  expect_walk(&g.coord, (F){.limit = 4, .theme = "urbanisme"}, now,
              "SELECT r.ref FROM request r JOIN request_theme t ON t.request = r.id AND t.theme = 'urbanisme' "
              "ORDER BY r.id DESC",
              0);
  expect_walk(&g.coord, (F){.limit = 3, .status = "filed"}, now,
              "SELECT ref FROM request WHERE status = 'filed' ORDER BY id DESC", 0);
  expect_walk(&g.coord, (F){.limit = 2, .org = "atd31"}, now,
              "SELECT r.ref FROM request r JOIN part p ON p.request = r.id JOIN org o ON o.id = p.org "
              "AND o.slug = 'atd31' ORDER BY r.id DESC",
              0);
  snprintf(sql, sizeof sql, "SELECT ref FROM request WHERE due_at < %lld ORDER BY id DESC", (long long)now);
  assert_true(fixture_int(g.db, "SELECT count(*) FROM request WHERE due_at IS NOT NULL") > 5);
  expect_walk(&g.coord, (F){.limit = 3, .late = "yes"}, now, sql, 0);
  snprintf(sql, sizeof sql, "SELECT ref FROM request WHERE due_at IS NULL OR due_at >= %lld ORDER BY id DESC",
           (long long)now);
  expect_walk(&g.coord, (F){.limit = 8, .late = "no"}, now, sql, 0);
  snprintf(sql, sizeof sql,
           "SELECT r.ref FROM request r JOIN request_theme t ON t.request = r.id AND t.theme = 'urbanisme' "
           "WHERE r.due_at < %lld AND r.epci = '%s' ORDER BY r.id DESC",
           (long long)now, g.epci_agassac);
  expect_walk(&g.coord, (F){.limit = 2, .late = "yes", .theme = "urbanisme", .epci = g.epci_agassac}, now, sql, 0);
  expect_walk(&g.head_atd, (F){.limit = 4}, now,
              "SELECT r.ref FROM request r JOIN part p ON p.request = r.id AND p.org = "
              "(SELECT id FROM org WHERE slug = 'atd31') ORDER BY r.id DESC",
              0);
  /* Requests filed between pages come after the cursor: the walk gives
   * the requests that existed when it began, each once, in order. */
  expect_walk(&g.coord, (F){.limit = 6}, now, "SELECT ref FROM request ORDER BY id DESC", 4);
  expect_walk(&g.coord, (F){.limit = 5, .theme = "voirie"}, now,
              "SELECT r.ref FROM request r JOIN request_theme t ON t.request = r.id AND t.theme = 'voirie' "
              "ORDER BY r.id DESC",
              3);
  /* A new walk sees them first. */
  char seen[128][REQUEST_REF_SIZE];
  assert_int_equal(walk(&g.coord, (F){.limit = 10}, now, seen, 128, 0), 55 + 7);
  for (int i = 0; i < 62; i++)
    for (int j = 0; j < i; j++) assert_string_not_equal(seen[i], seen[j]);
}

static void permission(void **state) {
  (void)state;
  build_board();
  const int64_t now = g.t0 + DAY;
  typedef struct board_filter F;
  /* A head and an agent see their org's requests, whatever the state of
   * its part; a filter only narrows that view. */
  expect_counts(&g.head_atd, (F){0}, now, "qualifying=1 dispatched=1 in_progress=1");
  expect_counts(&g.agent_atd, (F){0}, now, "qualifying=1 dispatched=1 in_progress=1");
  expect_page(&g.head_atd, (F){0}, now, "5,2,1");
  expect_page(&g.agent_atd, (F){0}, now, "5,2,1");
  expect_counts(&g.head_caue, (F){0}, now, "dispatched=1 En instruction=1");
  expect_page(&g.head_caue, (F){0}, now, "3,2");
  expect_counts(&g.head_atd, (F){.org = "caue31"}, now, "dispatched=1");
  expect_counts(&g.head_atd, (F){.collectivity = "31555"}, now, "");
  expect_counts(&g.head_atd, (F){.theme = "voirie"}, now, "qualifying=1 dispatched=1 in_progress=1");
  expect_counts(&g.head_atd, (F){.epci = "243100518", .late = "no"}, now, "qualifying=1");
  expect_counts(&g.head_caue, (F){.theme = "urbanisme", .agent = "agent@atd31.example"}, now, "");
  expect_page(&g.head_caue, (F){.org = "atd31"}, now, "2");
  /* Its exports and statistics too. */
  struct buf b = BUF_INIT;
  int64_t rows = -1;
  assert_int_equal(board_export(&rows, NULL, &b, EXPORT_CSV, g.db, &g.head_caue, &(F){0}, now, NULL), 0);
  assert_int_equal(rows, 2);
  buf_free(&b);
  json_t *o;
  assert_int_equal(board_stats(&o, g.db, &g.head_atd, &(F){0}, now), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 3);
  json_decref(o);
  /* A requester is refused everything, even on its own requests. */
  o = (json_t *)1;
  json_t *items = (json_t *)1;
  char *next = (char *)1;
  F none = {0};
  assert_refused(g.db, board_counts(&o, g.db, &g.maire, &none, now), ERR_FORBIDDEN, NULL, "réservé aux services");
  assert_null(o);
  assert_refused(g.db, board_list(&items, &next, g.db, &g.maire, &none, now), ERR_FORBIDDEN, NULL,
                 "réservé aux services");
  assert_null(items);
  assert_null(next);
  char path[320];
  snprintf(path, sizeof path, "%s/refus.csv", g.dir);
  assert_refused(g.db, board_export(&rows, path, NULL, EXPORT_CSV, g.db, &g.maire, &none, now, NULL), ERR_FORBIDDEN,
                 NULL, "réservé aux services");
  assert_int_equal(access(path, F_OK), -1);
  o = (json_t *)1;
  assert_refused(g.db, board_stats(&o, g.db, &g.maire, &none, now), ERR_FORBIDDEN, NULL, "réservé aux services");
  assert_null(o);
}

/* The data rows of a CSV export (after the BOM and the header). */
static int csv_lines(const char *csv) {
  int n = 0;
  for (const char *p = csv; (p = strstr(p, "\r\n")) != NULL; p += 2) n++;
  return n;
}

static void export_csv_and_xlsx(void **state) {
  (void)state;
  build_board();
  const char *both[] = {"urbanisme", "voirie"};
  assert_int_equal(db_begin(g.db), 0);
  g.r[7] = file_tx(g.ref[7], "31001", "Route ; \"la Côte\"", both, 2, NULL, g.t0 + 10 * MINUTE);
  assert_int_equal(db_commit(g.db), 0);
  const int64_t d4 = due_of(g.r[4]);
  typedef struct board_filter F;
  char path[320], line[1024];
  size_t n;
  int64_t rows = -1;
  /* CSV of Agassac's requests, written to a file. */
  snprintf(path, sizeof path, "%s/tableau.csv", g.dir);
  assert_int_equal(board_export(&rows, path, NULL, EXPORT_CSV, g.db, &g.coord, &(F){.collectivity = "31001"},
                                g.t0 + DAY, NULL),
                   0);
  assert_int_equal(rows, 3);
  char *csv = fixture_read(path, &n);
  assert_memory_equal(csv, "\xEF\xBB\xBF", 3);
  static const char header[] = "Référence;Déposée le;Collectivité;Code;EPCI;Titre;Thématiques;Statut;"
                               "Structure pilote;Structures;Échéance;En retard\r\n";
  assert_memory_equal(csv + 3, header, sizeof header - 1);
  assert_int_equal(csv_lines(csv), 4);
  /* Newest first: R7 with its ';' and quotes, then R2 and R1. */
  const char *row = csv + 3 + sizeof header - 1;
  snprintf(line, sizeof line, "%s;03/03/2025 09:10;Agassac;31001;%s;\"Route ; \"\"la Côte\"\"\";Voirie, Urbanisme;"
                              "Déposée;;;;non\r\n",
           g.ref[7], g.epci_agassac_name);
  assert_memory_equal(row, line, strlen(line));
  row += strlen(line);
  snprintf(line, sizeof line, "%s;03/03/2025 09:01;Agassac;31001;%s;Parking de l'école;Voirie, Urbanisme;Orientée;"
                              "ATD 31;ATD 31, CAUE 31;;non\r\n",
           g.ref[2], g.epci_agassac_name);
  assert_memory_equal(row, line, strlen(line));
  row += strlen(line);
  assert_memory_equal(row, g.ref[1], strlen(g.ref[1]));
  if (!strstr(row, ";En cours;ATD 31;ATD 31;")) fail_msg("ligne de R1 : %s", row);
  /* The same bytes in memory, after what the buffer held. */
  struct buf b = BUF_INIT;
  buf_puts(&b, "avant");
  assert_int_equal(board_export(&rows, NULL, &b, EXPORT_CSV, g.db, &g.coord, &(F){.collectivity = "31001"},
                                g.t0 + DAY, NULL),
                   0);
  assert_int_equal(b.len, 5 + n);
  assert_memory_equal(b.data + 5, csv, n);
  buf_free(&b);
  free(csv);
  /* Lateness in words, and no paging: cursor and limit are ignored. */
  const char *words[] = {"bientôt", "oui"};
  for (int i = 0; i < 2; i++) {
    struct buf c = BUF_INIT;
    assert_int_equal(board_export(&rows, NULL, &c, EXPORT_CSV, g.db, &g.coord,
                                  &(F){.collectivity = "31555", .limit = 1, .cursor = "99999999999"},
                                  i ? d4 + HOUR : d4 - HOUR, NULL),
                     0);
    assert_int_equal(rows, 2);
    char due[64];
    struct civil cv;
    clock_paris(d4, &cv);
    snprintf(due, sizeof due, ";%02d/%02d/%04d %02d:%02d;%s\r\n", cv.day, cv.month, cv.year, cv.hour, cv.minute,
             words[i]);
    if (!strstr(buf_str(&c), due)) fail_msg("« %s » absent de : %s", due, buf_str(&c));
    buf_free(&c);
  }
  /* Everything: 7 rows. */
  struct buf all = BUF_INIT;
  assert_int_equal(board_export(&rows, NULL, &all, EXPORT_CSV, g.db, &g.coord, &(F){0}, g.t0 + DAY, NULL), 0);
  assert_int_equal(rows, 7);
  assert_int_equal(csv_lines(buf_str(&all)), 8);
  buf_free(&all);

  /* XLSX, read back with unzip. */
  snprintf(path, sizeof path, "%s/tableau.xlsx", g.dir);
  assert_int_equal(board_export(&rows, path, NULL, EXPORT_XLSX, g.db, &g.coord, &(F){.theme = "urbanisme"}, g.t0 + DAY,
                                NULL),
                   0);
  assert_int_equal(rows, 3);
  static char xml[1 << 16];
  assert_int_equal(fixture_sh(xml, sizeof xml, "unzip -p '%s' xl/worksheets/sheet1.xml", path), 0);
  if (!strstr(xml, "<c r=\"A1\" s=\"1\" t=\"inlineStr\"><is><t>Référence</t></is></c>")) fail_msg("A1 : %s", xml);
  if (!strstr(xml, "<c r=\"L1\" s=\"1\" t=\"inlineStr\"><is><t>En retard</t></is></c>")) fail_msg("L1 : %s", xml);
  snprintf(line, sizeof line, "<c r=\"A2\" t=\"inlineStr\"><is><t>%s</t></is></c>", g.ref[7]);
  if (!strstr(xml, line)) fail_msg("A2 : %s", xml);
  if (!strstr(xml, "<c r=\"F2\" t=\"inlineStr\"><is><t>Route ; &quot;la Côte&quot;</t></is></c>") &&
      !strstr(xml, "<c r=\"F2\" t=\"inlineStr\"><is><t>Route ; \"la Côte\"</t></is></c>"))
    fail_msg("F2 : %s", xml);
  snprintf(line, sizeof line, "<c r=\"A4\" t=\"inlineStr\"><is><t>%s</t></is></c>", g.ref[2]);
  if (!strstr(xml, line)) fail_msg("A4 : %s", xml);
  /* Filing time as an Excel date: 03/03/2025 09:00 = 45719 + 9/24. */
  if (!strstr(xml, "<c r=\"B2\" s=\"2\"><v>45719.38194444")) fail_msg("B2 : %s", xml);
  char count[32];
  fixture_sh(count, sizeof count, "unzip -p '%s' xl/worksheets/sheet1.xml | grep -o '<row ' | wc -l", path);
  assert_int_equal(atoi(count), 4);
}

/* ---- statistics ---- */

static double num(json_t *o, const char *key) { return json_number_value(json_object_get(o, key)); }

static void expect_near(double got, double want, const char *what) {
  double d = got > want ? got - want : want - got;
  if (d > 1e-9) fail_msg("%s = %.10g au lieu de %.10g", what, got, want);
}

/* {count, median, p90} */
static void expect_durations(json_t *o, int count, double median, double p90, const char *what) {
  if (json_integer_value(json_object_get(o, "count")) != count)
    fail_msg("%s : %lld durées au lieu de %d", what, (long long)json_integer_value(json_object_get(o, "count")), count);
  if (!count) {
    assert_true(json_is_null(json_object_get(o, "median")));
    assert_true(json_is_null(json_object_get(o, "p90")));
    return;
  }
  expect_near(num(o, "median"), median, what);
  expect_near(num(o, "p90"), p90, what);
}

static void expect_share(json_t *o, int counted, int on_time, double share, const char *what) {
  if (json_integer_value(json_object_get(o, "counted")) != counted ||
      json_integer_value(json_object_get(o, "on_time")) != on_time)
    fail_msg("%s : %lld / %lld au lieu de %d / %d", what, (long long)json_integer_value(json_object_get(o, "on_time")),
             (long long)json_integer_value(json_object_get(o, "counted")), on_time, counted);
  if (counted) expect_near(num(o, "share"), share, what);
  else assert_true(json_is_null(json_object_get(o, "share")));
}

static json_t *find(json_t *arr, const char *key, const char *value) {
  size_t i;
  json_t *it;
  json_array_foreach(arr, i, it) if (!strcmp(str(it, key), value)) return it;
  fail_msg("%s = %s absent", key, value);
  return NULL;
}

/* Six requests filed at t0 (offer atd-voirie: take charge within 2
 * business days, resolve within 10), atd31 lead on S1..S5, caue31
 * contributor on S1 and S2, atd31 declining S6:
 *
 *         atd31 accepts  done    closed   caue31 accepts
 *   S1    +1 h           +24 h   +24 h    +5 h
 *   S2    +2 h           +48 h   +48 h    +7 h
 *   S3    +3 h           +100 h  +100 h
 *   S4    +4 h           (open)
 *   S5    +100 h (late)  (open)
 *   S6    declined; Toulouse, never taken
 *
 * By hand (linear interpolation at q × (n − 1)):
 *   atd31 take charge [1 2 3 4 100]: median 3; 9th decile at 3.6 →
 *     4 + 0.6 × 96 = 61.6 h. Resolve [24 48 100]: median 48; at 1.8 →
 *     48 + 0.8 × 52 = 89.6 h.
 *   caue31 take charge [5 7]: median 6; at 0.9 → 5 + 0.9 × 2 = 6.8 h.
 *   Agassac's EPCI from the deadlines: taken [1 2 3 4 100] as atd31
 *     (the first acceptance), resolved [24 48 100] as atd31.
 * On time, 30 days later (every deadline passed): take charge atd31 4 of
 * 5 (S5 late; S6 declined so not its), caue31 2 of 2; resolve atd31 3 of
 * 5 (S4, S5 passed unmet), caue31 2 of 2; EPCI 4/5 and 3/5; Toulouse
 * Métropole (S6) 0 of 1 for both. One day later only S5 and S6 have
 * passed their take-charge deadline and none its resolve deadline. */
static void build_stats(void) {
  const int64_t t = g.t0;
  const char *voirie_urba[] = {"urbanisme", "voirie"};
  int64_t s[7];
  assert_int_equal(db_begin(g.db), 0);
  for (int i = 1; i <= 5; i++)
    s[i] = file_tx(NULL, "31001", "Demande", i == 2 ? voirie_urba : voirie, i == 2 ? 2 : 1, "atd-voirie", t);
  s[6] = file_tx(NULL, "31555", "Demande", voirie, 1, "atd-voirie", t);
  const int accept_h[] = {0, 1, 2, 3, 4, 100}, done_h[] = {0, 24, 48, 100, 0, 0};
  for (int i = 1; i <= 5; i++) {
    propose(s[i], "atd31", "lead", t + MINUTE);
    move(s[i], "atd31", PART_ACCEPT, t + accept_h[i] * HOUR);
    if (!done_h[i]) continue;
    move(s[i], "atd31", PART_START, t + accept_h[i] * HOUR);
    move(s[i], "atd31", PART_DONE, t + done_h[i] * HOUR);
  }
  propose(s[1], "caue31", "contributor", t + MINUTE);
  propose(s[2], "caue31", "contributor", t + MINUTE);
  move(s[1], "caue31", PART_ACCEPT, t + 5 * HOUR);
  move(s[2], "caue31", PART_ACCEPT, t + 7 * HOUR);
  for (int i = 1; i <= 3; i++) set_status(s[i], "closed", t + done_h[i] * HOUR);
  propose(s[6], "atd31", "lead", t + MINUTE);
  move(s[6], "atd31", PART_DECLINE, t + HOUR);
  assert_int_equal(db_commit(g.db), 0);
}

static void stats_on_a_known_set(void **state) {
  (void)state;
  build_stats();
  const int64_t later = g.t0 + 30 * DAY;
  json_t *o;
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){0}, later), 0);
  assert_string_equal(str(o, "unit"), "hours");
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 6);
  json_t *months = json_object_get(o, "months");
  assert_int_equal(json_array_size(months), 1);
  assert_string_equal(str(json_array_get(months, 0), "month"), "2025-03");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(months, 0), "count")), 6);
  json_t *themes = json_object_get(o, "themes");
  assert_int_equal(json_array_size(themes), 2);
  assert_string_equal(str(json_array_get(themes, 0), "theme"), "voirie");
  assert_string_equal(str(json_array_get(themes, 0), "label"), "Voirie");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(themes, 0), "count")), 6);
  assert_string_equal(str(json_array_get(themes, 1), "theme"), "urbanisme");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(themes, 1), "count")), 1);

  json_t *orgs = json_object_get(o, "orgs");
  assert_int_equal(json_array_size(orgs), 2);
  json_t *atd = json_array_get(orgs, 0), *caue = json_array_get(orgs, 1);
  assert_string_equal(str(atd, "slug"), "atd31");
  assert_string_equal(str(atd, "name"), "ATD 31");
  assert_int_equal(json_integer_value(json_object_get(atd, "parts")), 6);
  expect_durations(json_object_get(atd, "take_charge"), 5, 3.0, 61.6, "atd31 prise en charge");
  expect_durations(json_object_get(atd, "resolve"), 3, 48.0, 89.6, "atd31 résolution");
  expect_share(json_object_get(atd, "take_on_time"), 5, 4, 0.8, "atd31 prise en charge à temps");
  expect_share(json_object_get(atd, "resolve_on_time"), 5, 3, 0.6, "atd31 résolution à temps");
  assert_string_equal(str(caue, "slug"), "caue31");
  assert_int_equal(json_integer_value(json_object_get(caue, "parts")), 2);
  expect_durations(json_object_get(caue, "take_charge"), 2, 6.0, 6.8, "caue31 prise en charge");
  expect_durations(json_object_get(caue, "resolve"), 0, 0, 0, "caue31 résolution");
  expect_share(json_object_get(caue, "take_on_time"), 2, 2, 1.0, "caue31 prise en charge à temps");
  expect_share(json_object_get(caue, "resolve_on_time"), 2, 2, 1.0, "caue31 résolution à temps");

  json_t *epcis = json_object_get(o, "epcis");
  assert_int_equal(json_array_size(epcis), 2);
  json_t *e = find(epcis, "code", g.epci_agassac), *tm = find(epcis, "code", "243100518");
  assert_string_equal(str(e, "name"), g.epci_agassac_name);
  assert_int_equal(json_integer_value(json_object_get(e, "count")), 5);
  expect_durations(json_object_get(e, "take_charge"), 5, 3.0, 61.6, "EPCI prise en charge");
  expect_durations(json_object_get(e, "resolve"), 3, 48.0, 89.6, "EPCI résolution");
  expect_share(json_object_get(e, "take_on_time"), 5, 4, 0.8, "EPCI prise en charge à temps");
  expect_share(json_object_get(e, "resolve_on_time"), 5, 3, 0.6, "EPCI résolution à temps");
  assert_int_equal(json_integer_value(json_object_get(tm, "count")), 1);
  expect_durations(json_object_get(tm, "take_charge"), 0, 0, 0, "TM prise en charge");
  expect_share(json_object_get(tm, "take_on_time"), 1, 0, 0.0, "TM prise en charge à temps");
  expect_share(json_object_get(tm, "resolve_on_time"), 1, 0, 0.0, "TM résolution à temps");
  json_decref(o);

  /* Five days in (Monday 09:00 + 5 × 24 h = Saturday): the take-charge
   * deadline (Wednesday 09:00) has passed for S5 (met late) and S6; no
   * resolve deadline has passed, so only the resolved ones count. */
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){0}, g.t0 + 5 * DAY), 0);
  atd = json_array_get(json_object_get(o, "orgs"), 0);
  expect_share(json_object_get(atd, "take_on_time"), 5, 4, 0.8, "atd31 à J+5");
  expect_share(json_object_get(atd, "resolve_on_time"), 3, 3, 1.0, "atd31 résolution à J+5");
  tm = find(json_object_get(o, "epcis"), "code", "243100518");
  expect_share(json_object_get(tm, "take_on_time"), 1, 0, 0.0, "TM à J+5");
  expect_share(json_object_get(tm, "resolve_on_time"), 0, 0, 0.0, "TM résolution à J+5");
  json_decref(o);

  /* Filters: the requests of an org (its partners stay in the breakdown),
   * of a theme, of an EPCI, of a collectivity. */
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){.org = "caue31"}, later), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 2);
  atd = find(json_object_get(o, "orgs"), "slug", "atd31");
  expect_durations(json_object_get(atd, "take_charge"), 2, 1.5, 1.9, "atd31 avec caue31");
  expect_durations(json_object_get(atd, "resolve"), 2, 36.0, 45.6, "atd31 résolution avec caue31");
  json_decref(o);
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){.theme = "urbanisme"}, later), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 1);
  assert_int_equal(json_array_size(json_object_get(o, "themes")), 2); /* S2's two themes */
  json_decref(o);
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){.epci = "243100518"}, later), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 1);
  assert_int_equal(json_array_size(json_object_get(o, "epcis")), 1);
  atd = json_array_get(json_object_get(o, "orgs"), 0);
  assert_int_equal(json_integer_value(json_object_get(atd, "parts")), 1);
  expect_share(json_object_get(atd, "take_on_time"), 0, 0, 0, "atd31 déclinée"); /* declined: not counted */
  json_decref(o);
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){.collectivity = "31555"}, later), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 1);
  json_decref(o);
  /* Filters that do not apply to statistics are ignored. */
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){.late = "yes", .status = "closed"}, later),
                   0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 6);
  json_decref(o);
  /* A head: the requests of its org only. */
  assert_int_equal(board_stats(&o, g.db, &g.head_caue, &(struct board_filter){0}, later), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 2);
  json_decref(o);
  /* Nothing to count. */
  assert_int_equal(board_stats(&o, g.db, &g.coord, &(struct board_filter){.collectivity = "31069"}, later), 0);
  assert_int_equal(json_integer_value(json_object_get(o, "total")), 0);
  assert_int_equal(json_array_size(json_object_get(o, "months")), 0);
  assert_int_equal(json_array_size(json_object_get(o, "orgs")), 0);
  json_decref(o);
}

/* ---- bad input ---- */

/* Every entry point refuses `f` with ERR_INVALID naming `field`, with
 * `needle` in the message, leaves the base unchanged and writes no file;
 * board_filter_check() alone refuses it too when `pure` (a matter of
 * form, not of what the base holds). */
static void expect_invalid(struct board_filter f, const char *field, const char *needle, int pure) {
  const int64_t now = g.t0;
  err_clear();
  if (pure) {
    assert_int_equal(board_filter_check(&f), ERR_INVALID);
    assert_string_equal(err_field(), field);
    if (!strstr(err_msg(), needle)) fail_msg("message sans « %s » : %s", needle, err_msg());
  } else {
    assert_int_equal(board_filter_check(&f), 0);
  }
  json_t *o = (json_t *)1, *items = (json_t *)1;
  char *next = (char *)1;
  assert_refused(g.db, board_counts(&o, g.db, &g.coord, &f, now), ERR_INVALID, field, needle);
  assert_null(o);
  assert_refused(g.db, board_list(&items, &next, g.db, &g.coord, &f, now), ERR_INVALID, field, needle);
  assert_null(items);
  assert_null(next);
  char path[320];
  snprintf(path, sizeof path, "%s/refus.xlsx", g.dir);
  int64_t rows = -1;
  assert_refused(g.db, board_export(&rows, path, NULL, EXPORT_XLSX, g.db, &g.coord, &f, now, NULL), ERR_INVALID, field,
                 needle);
  assert_int_equal(rows, -1);
  assert_int_equal(access(path, F_OK), -1);
  struct buf b = BUF_INIT;
  assert_refused(g.db, board_export(&rows, NULL, &b, EXPORT_CSV, g.db, &g.coord, &f, now, NULL), ERR_INVALID, field,
                 needle);
  assert_int_equal(b.len, 0);
  o = (json_t *)1;
  assert_refused(g.db, board_stats(&o, g.db, &g.head_atd, &f, now), ERR_INVALID, field, needle);
  assert_null(o);
}

static void bad_filters_are_refused(void **state) {
  (void)state;
  build_board();
  typedef struct board_filter F;
  expect_invalid((F){.late = "peut-être"}, "late", "« peut-être »", 1);
  expect_invalid((F){.late = "YES"}, "late", "yes, soon ou no", 1);
  expect_invalid((F){.org = "atd31", .part_state = "en_cours"}, "part_state", "« en_cours »", 1);
  expect_invalid((F){.agent = "agent@atd31.example", .part_state = "Accepted"}, "part_state", "in_progress", 1);
  expect_invalid((F){.part_state = "accepted"}, "part_state", "structure", 1);
  static const char *const cursors[] = {"abc", "0", "-3", "12abc", "1.5", "0x10", " 5", "+5", "9999999999999999999"};
  for (size_t i = 0; i < sizeof cursors / sizeof cursors[0]; i++) {
    char needle[64];
    snprintf(needle, sizeof needle, "« %s »", cursors[i]);
    expect_invalid((F){.cursor = cursors[i]}, "cursor", needle, 1);
  }
  static const int limits[] = {-1, BOARD_LIST_MAX + 1, 500};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) expect_invalid((F){.limit = limits[i]}, "limit", "200", 1);
  expect_invalid((F){.theme = "Voirie"}, "theme", "code de thématique", 1);
  expect_invalid((F){.theme = "voirie'; DROP TABLE request; --"}, "theme", "code de thématique", 1);
  expect_invalid((F){.theme = "piscine"}, "theme", "piscine", 0);
  expect_invalid((F){.org = "inconnue"}, "org", "« inconnue »", 0);
  expect_invalid((F){.agent = "personne@nulle-part.example"}, "agent", "personne@nulle-part.example", 0);
  /* The pure check alone, and the limits that are fine. */
  assert_int_equal(board_filter_check(&(F){.limit = 0}), 0);
  assert_int_equal(board_filter_check(&(F){.limit = 1, .late = "soon", .theme = "eau-assainissement"}), 0);
  assert_int_equal(board_filter_check(&(F){.limit = BOARD_LIST_MAX, .cursor = "2025000001"}), 0);
  assert_int_equal(board_filter_check(&(F){.agent = "x@y", .part_state = "cancelled"}), 0);
  /* Hostile values in exact filters are only ever values. */
  expect_counts(&g.coord, (F){.status = "closed' OR '1'='1"}, g.t0, "filed=1 qualifying=1 dispatched=1 in_progress=1 "
                                                                    "closed=1 En instruction=1");
  expect_page(&g.coord, (F){.status = "closed' OR '1'='1"}, g.t0, "");
  expect_counts(&g.coord, (F){.collectivity = "31001' OR 1=1 --"}, g.t0, "");
  expect_counts(&g.coord, (F){.epci = "\" OR 1 --"}, g.t0, "");
}

/* ---- the copies kept by triggers, and the counts read from them ---- */

/* Runs `fmt` (printf) as SQL on the test's database, outside the API: what
 * an administrator's script or a later feature might do. */
static void exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void exec(const char *fmt, ...) {
  char sql[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  char *e = NULL;
  if (sqlite3_exec(db_sqlite(g.db), sql, NULL, NULL, &e) != SQLITE_OK) fail_msg("%s : %s", sql, e ? e : "?");
}

/* What migration 0008 keeps by triggers agrees with what it copies:
 * part.request_status is its request's status, request_theme holds the
 * request's themes with its status and deadline, request_status_count the
 * number of requests of each status (rows of 0 allowed, none negative). */
static void expect_copies_right(const char *when) {
  static const struct {
    const char *what, *sql;
  } checks[] = {
      {"part.request_status",
       "SELECT count(*) FROM part p LEFT JOIN request r ON r.id = p.request WHERE p.request_status IS NOT r.status"},
      {"request_theme.status, due_at",
       "SELECT count(*) FROM request_theme t LEFT JOIN request r ON r.id = t.request "
       "WHERE t.status IS NOT r.status OR t.due_at IS NOT r.due_at"},
      {"request_theme (lignes manquantes)",
       "SELECT count(*) FROM (SELECT r.id, j.value FROM request r, json_each(r.themes) j "
       "EXCEPT SELECT request, theme FROM request_theme)"},
      {"request_theme (lignes en trop)",
       "SELECT count(*) FROM (SELECT request, theme FROM request_theme "
       "EXCEPT SELECT r.id, j.value FROM request r, json_each(r.themes) j)"},
      {"request_status_count (manquants)",
       "SELECT count(*) FROM (SELECT status, count(*) FROM request GROUP BY status "
       "EXCEPT SELECT status, n FROM request_status_count WHERE n > 0)"},
      {"request_status_count (en trop)",
       "SELECT count(*) FROM (SELECT status, n FROM request_status_count WHERE n <> 0 "
       "EXCEPT SELECT status, count(*) FROM request GROUP BY status)"},
      {"request_theme_count (manquants)",
       "SELECT count(*) FROM (SELECT j.value, r.status, count(*) FROM request r, json_each(r.themes) j "
       "GROUP BY j.value, r.status EXCEPT SELECT theme, status, n FROM request_theme_count WHERE n > 0)"},
      {"request_theme_count (en trop)",
       "SELECT count(*) FROM (SELECT theme, status, n FROM request_theme_count WHERE n <> 0 "
       "EXCEPT SELECT j.value, r.status, count(*) FROM request r, json_each(r.themes) j GROUP BY j.value, r.status)"},
  };
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
    int64_t n = fixture_int(g.db, checks[i].sql);
    if (n) fail_msg("%s : %lld écart(s) après %s", checks[i].what, (long long)n, when);
  }
}

static void copies_follow_every_change(void **state) {
  (void)state;
  build_board();
  typedef struct board_filter F;
  const struct user *c = &g.coord;
  const int64_t t = g.t0 + DAY, now = g.t0 + 2 * DAY;
  expect_copies_right("le tableau de départ");
  /* Statuses, codes and process labels: a status no request has any more
   * keeps a row of 0, and no column. */
  assert_int_equal(db_begin(g.db), 0);
  set_status(g.r[1], "waiting", t);
  set_status(g.r[3], "Visite programmée", t);
  assert_int_equal(db_commit(g.db), 0);
  expect_copies_right("des changements de statut");
  assert_int_equal(fixture_int(g.db, "SELECT n FROM request_status_count WHERE status = 'En instruction'"), 0);
  expect_counts(c, (F){0}, now, "filed=1 qualifying=1 dispatched=1 waiting=1 closed=1 Visite programmée=1");
  expect_counts(&g.head_atd, (F){0}, now, "qualifying=1 dispatched=1 waiting=1");
  expect_counts(c, (F){.org = "caue31"}, now, "dispatched=1 Visite programmée=1");
  expect_counts(c, (F){.agent = "agent@atd31.example"}, now, "waiting=1");
  expect_counts(c, (F){.agent = "agent@atd31.example", .part_state = "accepted"}, now, "waiting=1");
  expect_counts(c, (F){.theme = "urbanisme"}, now, "dispatched=1 Visite programmée=1");
  /* Moves of parts, an assignment, and a handover to another org: the
   * part keeps its request, so its copy of the status; the org that
   * handed over no longer sees the request. */
  assert_int_equal(db_begin(g.db), 0);
  move(g.r[2], "atd31", PART_ACCEPT, t);
  if (part_handover_tx(g.db, &g.coord, g.r[1], "atd31", "dvi31", NULL, t)) fail_msg("part_handover_tx: %s", err_msg());
  if (part_assign_tx(g.db, &g.coord, g.r[2], "atd31", "agent@atd31.example", t))
    fail_msg("part_assign_tx: %s", err_msg());
  assert_int_equal(db_commit(g.db), 0);
  expect_copies_right("des mises en relation");
  expect_counts(&g.head_atd, (F){0}, now, "qualifying=1 dispatched=1");
  expect_counts(&g.agent_atd, (F){0}, now, "qualifying=1 dispatched=1");
  expect_counts(c, (F){.org = "dvi31"}, now, "waiting=1 closed=1");
  expect_counts(c, (F){.org = "dvi31", .part_state = "proposed"}, now, "waiting=1");
  expect_counts(c, (F){.org = "atd31", .part_state = "accepted"}, now, "dispatched=1");
  expect_counts(c, (F){.agent = "agent@atd31.example"}, now, "dispatched=1");
  expect_counts(&g.head_atd, (F){.org = "dvi31"}, now, "");
  /* Deadlines: written as sla.c writes them, and cleared by a closing;
   * the copy in request_theme follows, and so do the late counts. */
  exec("UPDATE request SET due_at = %lld WHERE id = %lld", (long long)(g.t0 + 3 * HOUR), (long long)g.r[2]);
  assert_int_equal(db_begin(g.db), 0);
  set_status(g.r[4], "closed", t);
  assert_int_equal(db_commit(g.db), 0);
  expect_copies_right("des échéances");
  assert_int_equal(due_of(g.r[4]), 0);
  expect_counts(c, (F){.late = "yes"}, now, "dispatched=1");
  expect_counts(c, (F){.late = "yes", .theme = "urbanisme"}, now, "dispatched=1");
  expect_counts(c, (F){.late = "soon", .theme = "urbanisme"}, g.t0 + 2 * HOUR, "dispatched=1");
  expect_counts(c, (F){.late = "no", .theme = "voirie"}, now, "qualifying=1 waiting=1 closed=1");
  expect_counts(&g.head_caue, (F){.late = "yes"}, now, "dispatched=1");
  expect_counts(&g.head_caue, (F){.late = "no"}, now, "Visite programmée=1");
  expect_counts(c, (F){.late = "yes", .org = "atd31", .part_state = "accepted"}, now, "dispatched=1");
  /* New themes: the rows of the index are rebuilt with the status and
   * the deadline. */
  exec("UPDATE request SET themes = '[\"energie\",\"urbanisme\"]' WHERE id = %lld", (long long)g.r[2]);
  expect_copies_right("un changement de thématiques");
  expect_counts(c, (F){.late = "yes", .theme = "energie"}, now, "dispatched=1");
  expect_counts(c, (F){.late = "yes", .theme = "voirie"}, now, "");
  /* A part moved to another request takes that request's status. */
  exec("UPDATE part SET request = %lld WHERE request = %lld AND org = (SELECT id FROM org WHERE slug = 'dvi31')",
       (long long)g.r[5], (long long)g.r[6]);
  expect_copies_right("une part déplacée");
  expect_counts(c, (F){.org = "dvi31"}, now, "qualifying=1 waiting=1");
  /* Deletions: a request written outside the API, with a part and a
   * running deadline, then the part, then the request, deleted. */
  exec("INSERT INTO request (id, collectivity, title, description, themes, status, filed_at, updated_at, due_at) "
       "VALUES (2025999999, '31001', 'Essai', 'Essai', '[\"voirie\"]', 'Brouillon', %lld, %lld, %lld)",
       (long long)t, (long long)t, (long long)g.t0);
  exec("INSERT INTO part (request, org, role, state, created_at, updated_at) "
       "SELECT 2025999999, id, 'lead', 'proposed', %lld, %lld FROM org WHERE slug = 'caue31'",
       (long long)t, (long long)t);
  expect_copies_right("une demande ajoutée hors de l'API");
  expect_counts(&g.head_caue, (F){0}, now, "dispatched=1 Brouillon=1 Visite programmée=1");
  expect_counts(c, (F){.late = "yes", .theme = "voirie"}, now, "Brouillon=1");
  expect_counts(c, (F){.org = "caue31", .part_state = "proposed"}, now, "Brouillon=1");
  exec("DELETE FROM part WHERE request = 2025999999");
  expect_copies_right("une mise en relation supprimée");
  expect_counts(&g.head_caue, (F){0}, now, "dispatched=1 Visite programmée=1");
  exec("DELETE FROM request WHERE id = 2025999999");
  expect_copies_right("une demande supprimée");
  assert_int_equal(fixture_int(g.db, "SELECT n FROM request_status_count WHERE status = 'Brouillon'"), 0);
  expect_counts(c, (F){0}, now, "qualifying=1 dispatched=1 waiting=1 closed=2 Visite programmée=1");
  expect_counts(c, (F){.late = "yes"}, now, "dispatched=1");
  expect_counts(c, (F){.late = "no"}, now, "qualifying=1 waiting=1 closed=2 Visite programmée=1");
}

/* ---- property: the counts are those of a plain GROUP BY ---- */

static uint64_t seed;
static uint64_t rnd(void) { /* xorshift64 */
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return seed;
}
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }
static const char *nz(const char *s) { return s ? s : "-"; }
static int chance(int percent) { return pick(100) < percent; }

/* board_counts() as {status: count}; checks that every count is positive
 * and that total is their sum. */
static json_t *counts_map(const struct user *u, const struct board_filter *f, int64_t now) {
  json_t *o = NULL, *map = json_object(), *c;
  if (board_counts(&o, g.db, u, f, now)) fail_msg("board_counts: %s", err_msg());
  json_int_t sum = 0;
  size_t i;
  json_array_foreach(json_object_get(o, "columns"), i, c) {
    json_int_t n = json_integer_value(json_object_get(c, "count"));
    assert_true(n > 0);
    sum += n;
    json_object_set_new(map, str(c, "status"), json_integer(n));
  }
  assert_int_equal(json_integer_value(json_object_get(o, "total")), sum);
  json_decref(o);
  return map;
}

/* The same by the plainest query: every request, the permission rule and
 * each filter written out, grouped by status. *total gets the sum. */
static json_t *plain_counts(int64_t *total, const struct user *u, const struct board_filter *f, int64_t now) {
  char sql[2048] = "SELECT r.status, count(*) FROM request r WHERE 1";
  if (u->role == ROLE_HEAD || u->role == ROLE_AGENT)
    strcat(sql, " AND EXISTS (SELECT 1 FROM part p WHERE p.request = r.id AND p.org = :me)");
  if (f->theme) strcat(sql, " AND EXISTS (SELECT 1 FROM request_theme t WHERE t.request = r.id AND t.theme = :theme)");
  if (f->org)
    strcat(sql, " AND EXISTS (SELECT 1 FROM part p JOIN org o ON o.id = p.org WHERE p.request = r.id "
                "AND o.slug = :org AND (:ps IS NULL OR p.state = :ps))");
  if (f->agent)
    strcat(sql, " AND EXISTS (SELECT 1 FROM part p JOIN user a ON a.id = p.agent WHERE p.request = r.id "
                "AND a.email = :agent AND (:ps IS NULL OR p.state = :ps))");
  if (f->collectivity) strcat(sql, " AND r.collectivity = :coll");
  if (f->epci) strcat(sql, " AND r.epci = :epci");
  if (f->late && !strcmp(f->late, "yes")) strcat(sql, " AND r.due_at < :now");
  if (f->late && !strcmp(f->late, "soon")) strcat(sql, " AND r.due_at >= :now AND r.due_at < :soon");
  if (f->late && !strcmp(f->late, "no")) strcat(sql, " AND (r.due_at IS NULL OR r.due_at >= :now)");
  strcat(sql, " GROUP BY r.status");
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db_sqlite(g.db), sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s : %s", sql, sqlite3_errmsg(db_sqlite(g.db)));
  const char *names[] = {":theme", ":org", ":ps", ":agent", ":coll", ":epci"};
  const char *values[] = {f->theme, f->org, f->part_state, f->agent, f->collectivity, f->epci};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    int k = sqlite3_bind_parameter_index(st, names[i]);
    if (k) sqlite3_bind_text(st, k, values[i], -1, SQLITE_STATIC);
  }
  int k;
  if ((k = sqlite3_bind_parameter_index(st, ":me"))) sqlite3_bind_int64(st, k, u->org);
  if ((k = sqlite3_bind_parameter_index(st, ":now"))) sqlite3_bind_int64(st, k, now);
  if ((k = sqlite3_bind_parameter_index(st, ":soon"))) sqlite3_bind_int64(st, k, sla_soon_limit(now));
  json_t *map = json_object();
  *total = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    json_object_set_new(map, (const char *)sqlite3_column_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
    *total += sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return map;
}

/* Ways of counting the board, as fragments of the statements it runs:
 * the property test must have gone through each of them. */
static const char *const count_paths[] = {
    "SELECT status, n FROM request_status_count",                          /* no filter */
    "WHERE r.status = sc.status AND r.due_at >= :lo",                      /* lateness, per status */
    "FROM request_theme WHERE theme = :theme AND status = sc.status",      /* theme and lateness */
    "UNION ALL SELECT status, -n FROM y",                                  /* not late: all minus late */
    "FROM (SELECT request AS id, request_status AS status FROM part WHERE org = :org)",       /* an org */
    "FROM (SELECT request AS id, request_status AS status FROM part WHERE org = :perm_org)",  /* one's own org */
    "AND request_status = sc.status AND state = :ps",                      /* a part state, per status */
    "count(DISTINCT r.id)",                                                /* an agent */
    "FROM part d CROSS JOIN request r ON r.id = d.request",                /* parts and their requests */
    "+r.id IN (SELECT request FROM request_theme WHERE theme = :theme)",   /* a theme's list */
    "EXISTS (SELECT 1 FROM request_theme bt WHERE bt.request = r.id",      /* a theme's probe */
    "+r.id IN (SELECT request FROM part WHERE org = :org",                 /* an org's list */
    "EXISTS (SELECT 1 FROM part bo WHERE bo.request = r.id",               /* an org's probe */
    "EXISTS (SELECT 1 FROM part p WHERE p.request = r.id AND p.org = :perm_org)", /* the permission rule */
};
static int path_seen[sizeof count_paths / sizeof count_paths[0]];

static int trace_paths(unsigned type, void *ctx, void *stmt, void *text) {
  (void)type, (void)ctx, (void)stmt;
  if (strncmp(text, "WITH ", 5) != 0) return 0; /* the counts only */
  for (size_t i = 0; i < sizeof count_paths / sizeof count_paths[0]; i++)
    if (strstr(text, count_paths[i])) path_seen[i] = 1;
  return 0;
}

/* One request filed at `at` with random collectivity, themes (sorted, as
 * request.themes is) and offer. */
static void file_random(int64_t at) {
  static const char *const colls[] = {"31001", "31555", "243100518", "31395"};
  static const char *const all[] = {"energie", "urbanisme", "voirie"};
  static const char *const offers[] = {NULL, "atd-voirie", "caue-urba"};
  const char *themes[3];
  int n = 0;
  for (int i = 0; i < 3; i++)
    if (chance(45)) themes[n++] = all[i];
  if (!n) themes[n++] = all[pick(3)];
  file_tx(NULL, colls[pick(4)], "Demande au hasard", themes, n, offers[pick(3)], at);
}

/* A random part (its request and org), in one of `states` (a list of
 * quoted states for SQL), or 0. */
static int64_t random_part(char org[16], const char *states) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM part WHERE state IN (%s)", states);
  int64_t n = fixture_int(g.db, sql);
  if (!n) return 0;
  snprintf(sql, sizeof sql,
           "SELECT p.request, o.slug FROM part p JOIN org o ON o.id = p.org WHERE p.state IN (%s) "
           "ORDER BY p.id LIMIT 1 OFFSET %d",
           states, pick((int)n));
  sqlite3_stmt *st;
  int64_t id = 0;
  if (sqlite3_prepare_v2(db_sqlite(g.db), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    id = sqlite3_column_int64(st, 0);
    snprintf(org, 16, "%s", (const char *)sqlite3_column_text(st, 1));
  }
  sqlite3_finalize(st);
  return id;
}

static int64_t random_request(void) {
  char sql[128];
  int64_t n = fixture_int(g.db, "SELECT count(*) FROM request");
  snprintf(sql, sizeof sql, "SELECT id FROM request ORDER BY id LIMIT 1 OFFSET %d", pick((int)n));
  return fixture_int(g.db, sql);
}

/* A refusal of the API (a move not allowed, an org already there…) is
 * part of the game: nothing was written. */
static void allowed(int rc, const char *what) {
  if (rc && rc != ERR_CONFLICT && rc != ERR_INVALID && rc != ERR_NOTFOUND) fail_msg("%s : %s", what, err_msg());
  err_clear();
}

/* `n` random changes of every kind the copies must follow, at *at. */
static void random_changes(int n, int64_t *at) {
  static const char *const orgs[] = {"atd31", "caue31", "dvi31"};
  static const char *const statuses[] = {"filed",  "qualifying", "dispatched",     "in_progress",
                                         "waiting", "closed",     "cancelled",      "En instruction",
                                         "Visite programmée"};
  static const char *const themes[] = {"[\"voirie\"]", "[\"urbanisme\"]", "[\"energie\",\"voirie\"]",
                                       "[\"energie\",\"urbanisme\",\"voirie\"]"};
  static int64_t raw = 2024900000; /* requests written outside the API (a year the API does not number) */
  char org[16];
  int64_t id;
  assert_int_equal(db_begin(g.db), 0);
  for (int i = 0; i < n; i++) {
    *at += MINUTE;
    switch (pick(12)) {
    case 0: file_random(*at); break;
    case 1:
    case 2:
      id = random_request();
      allowed(part_propose_tx(NULL, g.db, &g.coord, id, orgs[pick(3)], NULL, chance(50) ? "lead" : "contributor", *at),
              "part_propose_tx");
      break;
    case 3: {
      static const enum part_op ops[] = {PART_ACCEPT, PART_DECLINE, PART_START, PART_DONE, PART_CANCEL};
      enum part_op op = ops[pick(5)];
      if ((id = random_part(org, "'proposed', 'accepted', 'in_progress'")))
        allowed(part_move_tx(NULL, g.db, &g.coord, id, org, op, "Motif", *at), "part_move_tx");
      break;
    }
    case 4:
      if ((id = random_part(org, "'proposed', 'accepted', 'in_progress'")))
        allowed(part_handover_tx(g.db, &g.coord, id, org, orgs[pick(3)], NULL, *at), "part_handover_tx");
      break;
    case 5:
      if ((id = random_part(org, "'proposed', 'accepted', 'in_progress'")) && !strcmp(org, "atd31"))
        allowed(part_assign_tx(g.db, &g.coord, id, org,
                               chance(70) ? "agent@atd31.example" : chance(50) ? "chef@atd31.example" : NULL, *at),
                "part_assign_tx");
      break;
    case 6:
      id = random_request();
      allowed(request_set_status_tx(g.db, &g.coord, id, statuses[pick(9)], NULL, *at), "request_set_status_tx");
      break;
    case 7: /* a deadline, as sla.c writes it */
      id = random_request();
      if (chance(20)) exec("UPDATE request SET due_at = NULL WHERE id = %lld", (long long)id);
      else exec("UPDATE request SET due_at = %lld WHERE id = %lld", (long long)(g.t0 + pick(20 * 24) * HOUR),
                (long long)id);
      break;
    case 8:
      exec("UPDATE request SET themes = '%s' WHERE id = %lld", themes[pick(4)], (long long)random_request());
      break;
    case 9: /* the ATD agent on another org's part: an agent who changed org
             * may have parts of two orgs on one request */
      if (chance(50)) {
        const char *pairs = "FROM part p1 JOIN part p2 ON p2.request = p1.request AND p2.org <> p1.org "
                            "WHERE p1.agent = (SELECT id FROM user WHERE email = 'agent@atd31.example')";
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT count(*) %s", pairs);
        int64_t pairs_n = fixture_int(g.db, sql);
        if (pairs_n)
          exec("UPDATE part SET agent = (SELECT id FROM user WHERE email = 'agent@atd31.example') WHERE id = "
               "(SELECT p2.id %s ORDER BY p2.id LIMIT 1 OFFSET %d)",
               pairs, pick((int)pairs_n));
        break;
      }
      exec("UPDATE part SET agent = (SELECT id FROM user WHERE email = 'agent@atd31.example') WHERE id = "
           "(SELECT id FROM part WHERE org <> (SELECT id FROM org WHERE slug = 'atd31') ORDER BY id LIMIT 1 "
           "OFFSET %d)",
           pick(1 + (int)fixture_int(g.db, "SELECT count(*) FROM part")));
      break;
    case 10: /* deleted parts, and requests written then deleted outside the API */
      if (chance(50)) {
        exec("DELETE FROM part WHERE id = (SELECT id FROM part ORDER BY id LIMIT 1 OFFSET %d)",
             pick(1 + (int)fixture_int(g.db, "SELECT count(*) FROM part")));
      } else if (chance(50) && (id = fixture_int(g.db, "SELECT coalesce(min(id), 0) FROM request r WHERE id BETWEEN 2024900000 AND 2024999999 "
                                                     "AND NOT EXISTS (SELECT 1 FROM event WHERE request = r.id) "
                                                     "AND NOT EXISTS (SELECT 1 FROM sla WHERE request = r.id)"))) {
        /* (one the API has not touched: the journal is never deleted) */
        exec("DELETE FROM part WHERE request = %lld", (long long)id);
        exec("DELETE FROM request WHERE id = %lld", (long long)id);
      } else {
        raw++;
        exec("INSERT INTO request (id, collectivity, title, description, themes, status, filed_at, updated_at, "
             "due_at, epci) VALUES (%lld, '31555', 'Hors API', 'Hors API', '%s', '%s', %lld, %lld, %s, "
             "'243100518')",
             (long long)raw, themes[pick(4)], statuses[pick(9)], (long long)*at, (long long)*at,
             chance(50) ? "NULL" : "1741000000000");
        exec("INSERT INTO part (request, org, role, state, agent, created_at, updated_at) SELECT %lld, o.id, 'lead', "
             "'accepted', (SELECT id FROM user WHERE email = 'agent@atd31.example'), 0, 0 FROM org o "
             "WHERE o.slug = '%s'",
             (long long)raw, orgs[pick(3)]);
      }
      break;
    case 11: /* a part moved to another request (at most one per org) */
      exec("UPDATE OR IGNORE part SET request = %lld WHERE id = (SELECT id FROM part ORDER BY id LIMIT 1 OFFSET %d)",
           (long long)random_request(), pick(1 + (int)fixture_int(g.db, "SELECT count(*) FROM part")));
      break;
    }
  }
  assert_int_equal(db_commit(g.db), 0);
}

/* A random filter over the values of the test data (and a few that match
 * nothing). */
static struct board_filter random_filter(void) {
  static const char *const themes[] = {"voirie", "urbanisme", "energie", "tourisme"};
  static const char *const orgs[] = {"atd31", "caue31", "dvi31"};
  static const char *const agents[] = {"agent@atd31.example", "chef@atd31.example"};
  static const char *const states[] = {"proposed", "accepted", "declined", "in_progress", "done", "cancelled"};
  static const char *const colls[] = {"31001", "31555", "243100518", "31395"};
  static const char *const late[] = {"yes", "soon", "no"};
  struct board_filter f = {0};
  if (chance(40)) f.theme = themes[pick(4)];
  if (chance(35)) f.org = orgs[pick(3)];
  if (chance(25)) f.agent = agents[pick(2)];
  if ((f.org || f.agent) && chance(40)) f.part_state = states[pick(6)];
  if (chance(15)) f.collectivity = colls[pick(4)];
  if (chance(15)) f.epci = chance(50) ? "243100518" : g.epci_agassac;
  if (chance(50)) f.late = late[pick(3)];
  if (chance(10)) f.status = "closed"; /* no effect on counts */
  return f;
}

static void counts_equal_a_plain_group_by(void **state) {
  (void)state;
  const struct user *actors[] = {&g.coord, &g.admin, &g.head_atd, &g.agent_atd, &g.head_caue};
  const char *env = getenv("APPUI_TEST_SEED");
  seed = env ? strtoull(env, NULL, 10) : 20250303;
  if (!seed) seed = 1;
  print_message("graine %llu (APPUI_TEST_SEED)\n", (unsigned long long)seed);
  memset(path_seen, 0, sizeof path_seen);
  sqlite3_trace_v2(db_sqlite(g.db), SQLITE_TRACE_STMT, trace_paths, NULL);
  int64_t at = g.t0;
  assert_int_equal(db_begin(g.db), 0);
  for (int i = 0; i < 40; i++) file_random(at += MINUTE);
  assert_int_equal(db_commit(g.db), 0);
  for (int round = 0; round < 6; round++) {
    random_changes(round ? 40 : 120, &at);
    expect_copies_right("des changements au hasard");
    for (int k = 0; k < 150; k++) {
      struct board_filter f = random_filter();
      const struct user *u = actors[pick(5)];
      const int64_t now = g.t0 + pick(24 * 24) * HOUR + pick(60) * MINUTE;
      int64_t total = 0, rows = -1;
      json_t *got = counts_map(u, &f, now), *want = plain_counts(&total, u, &f, now);
      if (!json_equal(got, want)) {
        char *a = json_dumps(got, JSON_SORT_KEYS), *b = json_dumps(want, JSON_SORT_KEYS);
        fail_msg("tour %d, comptes %s au lieu de %s (acteur %s ; theme %s org %s état %s agent %s collectivité %s "
                 "epci %s retard %s ; now %lld ; graine %s)",
                 round, a, b, u->email, nz(f.theme), nz(f.org), nz(f.part_state), nz(f.agent), nz(f.collectivity),
                 nz(f.epci), nz(f.late),
                 (long long)now, env ? env : "20250303");
      }
      json_decref(got);
      /* The export reads the same view (of one status when asked). */
      if (f.status) total = json_integer_value(json_object_get(want, f.status));
      json_decref(want);
      if (k % 5 == 0) {
        struct buf b = BUF_INIT;
        if (board_export(&rows, NULL, &b, EXPORT_CSV, g.db, u, &f, now, NULL)) fail_msg("board_export: %s", err_msg());
        buf_free(&b);
        if (rows != total)
          fail_msg("tour %d, export de %lld lignes au lieu de %lld (acteur %s ; theme %s org %s état %s agent %s "
                   "collectivité %s epci %s retard %s statut %s ; now %lld)",
                   round, (long long)rows, (long long)total, u->email, nz(f.theme), nz(f.org), nz(f.part_state),
                   nz(f.agent), nz(f.collectivity), nz(f.epci), nz(f.late), nz(f.status), (long long)now);
      }
    }
  }
  sqlite3_trace_v2(db_sqlite(g.db), 0, NULL, NULL);
  for (size_t i = 0; i < sizeof count_paths / sizeof count_paths[0]; i++)
    if (!path_seen[i]) fail_msg("aucun compte n'est passé par « %s »", count_paths[i]);
}

/* The filters' choices: orgs and EPCIs by name, kept per connection, the
 * orgs read again as soon as the catalogue changes, the rest after the TTL. */
static void filter_choices(void **state) {
  (void)state;
  int64_t now = g.t0;
  json_t *c;
  assert_int_equal(board_choices(&c, g.db, now), 0);
  json_t *orgs = json_object_get(c, "orgs"), *epcis = json_object_get(c, "epcis");
  assert_int_equal(json_array_size(orgs), fixture_int(g.db, "SELECT count(*) FROM org"));
  assert_int_equal(json_array_size(epcis), fixture_int(g.db, "SELECT count(*) FROM collectivity WHERE kind = 'epci'"));
  assert_int_equal(json_array_size(json_object_get(c, "themes")), fixture_int(g.db, "SELECT count(*) FROM theme"));
  int found = 0;
  size_t i;
  json_t *e;
  json_array_foreach(epcis, i, e) found += !strcmp(json_string_value(json_object_get(e, "value")), g.epci_agassac) &&
                                           !strcmp(json_string_value(json_object_get(e, "label")), g.epci_agassac_name);
  assert_int_equal(found, 1);
  json_decref(c);
  /* A new org is seen at once; the cache answers otherwise (same object). */
  json_t *again;
  assert_int_equal(board_choices(&c, g.db, now), 0);
  assert_int_equal(board_choices(&again, g.db, now + 1000), 0);
  assert_ptr_equal(c, again);
  json_decref(again);
  int64_t id;
  struct catalog_org_new o = {"aaa-syndicat", "AAA Syndicat des eaux", "partner", NULL, NULL, NULL, -1};
  assert_int_equal(catalog_org_add(&id, g.db, &g.admin, &o), 0);
  assert_int_equal(board_choices(&again, g.db, now + 2000), 0);
  assert_ptr_not_equal(c, again);
  assert_int_equal(json_array_size(json_object_get(again, "orgs")), json_array_size(json_object_get(c, "orgs")) + 1);
  json_t *first = json_array_get(json_object_get(again, "orgs"), 0);
  assert_string_equal(json_string_value(json_object_get(first, "label")), "AAA Syndicat des eaux"); /* by name */
  assert_string_equal(json_string_value(json_object_get(first, "value")), "aaa-syndicat");
  json_decref(c);
  /* After the TTL, everything is read again. */
  assert_int_equal(board_choices(&c, g.db, now + 2000 + BOARD_CHOICES_TTL_MS), 0);
  assert_ptr_not_equal(c, again);
  json_decref(c);
  json_decref(again);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(counts_follow_each_filter),
      T(lateness_at_a_controlled_now),
      T(list_items),
      T(pagination_is_stable_and_complete),
      T(permission),
      T(export_csv_and_xlsx),
      T(stats_on_a_known_set),
      T(bad_filters_are_refused),
      T(copies_follow_every_change),
      T(counts_equal_a_plain_group_by),
      T(filter_choices),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
