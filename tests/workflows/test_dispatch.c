/* Tests of workflows/dispatch.c and of the actions `match` and `dispatch`
 * (workflows/action.c) inside the default circuit demande-appui: a request
 * whose best offer scores at least the threshold is dispatched after
 * qualification without a coordinator (lead part proposed, token on
 * `traiter`, status "En cours"); below the threshold it goes to the
 * coordinators (`orienter`, status "Orientée") with the reason; a task
 * header "seuil" out of range fails the job with a French message, then
 * raises an incident; the moves of parts tell the process when the last
 * open part closes (the boundary on `traiter` fires: closure with a part
 * done, back to `orienter` when all were declined), and succeed quietly
 * when the process is not waiting for that; every refused move (permission,
 * missing reason, unknown org, move not allowed) changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "dispatch.h"
#include "engine.h"
#include "err.h"
#include "fixture.h"
#include "part.h"
#include "request.h"
#include "store.h"
#include "user.h"
#include "wfixture.h"
#include "workflow.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFINITIONS APPUI_SOURCE_DIR "/workflows/definitions/"

static struct wfixture g;
static struct db *base; /* territory, catalogue and accounts: cloned for each test */
static char base_dir[256];

/* The accounts of the base, loaded for each test. */
static struct {
  struct user coordinator, maire, maire_toulouse, chef_atd, agent_atd, chef_caue;
} u;

#define SECOND 1000LL

/* ---- fixtures ---- */

static void add_org(struct user *admin, const char *slug, const char *name, const char *kind) {
  int64_t id;
  struct catalog_org_new n = {.slug = slug, .name = name, .kind = kind, .capacity = -1};
  if (catalog_org_add(&id, base, admin, &n)) fail_msg("org %s: %s", slug, err_msg());
}

static void add_offer(struct user *admin, const char *slug, const char *org, const char *title, const char *summary,
                      const char *theme1, const char *theme2, int members_only) {
  int64_t id;
  const char *themes[] = {theme1, theme2};
  struct catalog_offer_new n = {.slug = slug,
                                .org = org,
                                .kind = "conseil",
                                .title = title,
                                .summary = summary,
                                .themes = themes,
                                .n_themes = theme2 ? 2 : 1,
                                .perimeter = "departement:31",
                                .requires_membership = members_only,
                                .sla_ack = 2,
                                .sla_take = 10,
                                .sla_resolve = 90};
  if (catalog_offer_add(&id, base, admin, &n)) fail_msg("offer %s: %s", slug, err_msg());
}

static void add_user(struct user *admin, const char *email, const char *role, const char *collectivity,
                     const char *org) {
  int64_t id;
  struct user_new n = {email, email, role, collectivity, org, NULL};
  if (user_add(&id, base, admin, &n)) fail_msg("user %s: %s", email, err_msg());
}

static int group_setup(void **state) {
  (void)state;
  struct user admin;
  user_system(&admin, "test");
  base = fixture_db(base_dir);
  fixture_territory(base);
  add_org(&admin, "atd31", "Agence technique départementale", "satellite");
  add_org(&admin, "routes", "Direction des routes", "direction");
  add_org(&admin, "caue31", "CAUE de la Haute-Garonne", "satellite");
  add_offer(&admin, "atd-voirie", "atd31", "Assistance technique en voirie communale",
            "Programmation et suivi des travaux de voirie communale, diagnostic des chemins ravinés, estimation des "
            "travaux et aide à la passation des marchés.",
            "voirie", NULL, 1);
  add_offer(&admin, "routes-securite", "routes", "Sécurité des traversées d'agglomération",
            "Avis sur les plateaux, chicanes et cheminements piétons le long des routes départementales.", "voirie",
            "mobilite", 0);
  add_offer(&admin, "caue-architecture", "caue31", "Conseil en architecture",
            "Construction, rénovation et aménagement des espaces publics.", "batiments", "urbanisme", 0);
  int64_t id;
  if (catalog_membership_add(&id, base, &admin, "31001", "atd31", "2020-01-01", NULL))
    fail_msg("membership: %s", err_msg());
  add_user(&admin, "coordination@appui.example", "coordinator", NULL, NULL);
  add_user(&admin, "maire@agassac.example", "requester", "31001", NULL);
  add_user(&admin, "mairie@toulouse.example", "requester", "31555", NULL);
  add_user(&admin, "chef.atd31@appui.example", "head", NULL, "atd31");
  add_user(&admin, "agent.atd31@appui.example", "agent", NULL, "atd31");
  add_user(&admin, "chef.caue31@appui.example", "head", NULL, "caue31");
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  db_close(base);
  fixture_rmdir(base_dir);
  return 0;
}

static void load_user(struct user *out, const char *email) {
  if (user_get_by_email(out, g.db, email)) fail_msg("user %s: %s", email, err_msg());
}

/* Publishes the default definition `name`. */
static void publish_default(const char *name) {
  char path[512];
  size_t len;
  snprintf(path, sizeof path, DEFINITIONS "%s.bpmn", name);
  char *xml = fixture_read(path, &len);
  wfixture_publish(&g, xml, len);
  free(xml);
}

static int setup(void **state) {
  (void)state;
  g.db = fixture_clone(base, g.dir);
  if (wfixture_open(&g)) return -1;
  publish_default("demande-appui");
  load_user(&u.coordinator, "coordination@appui.example");
  load_user(&u.maire, "maire@agassac.example");
  load_user(&u.maire_toulouse, "mairie@toulouse.example");
  load_user(&u.chef_atd, "chef.atd31@appui.example");
  load_user(&u.agent_atd, "agent.atd31@appui.example");
  load_user(&u.chef_caue, "chef.caue31@appui.example");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wfixture_close(&g);
  return 0;
}

/* ---- helpers ---- */

__attribute__((format(printf, 1, 2))) static int64_t count(const char *fmt, ...) {
  char sql[800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return fixture_int(g.db, sql);
}

/* The text of the one-row, one-column query `sql` with `id` bound to ?1
 * ("" for no row or NULL), in a static buffer. */
static const char *text(const char *sql, int64_t id) {
  static char out[1024];
  sqlite3_stmt *st;
  out[0] = 0;
  assert_int_equal(db_prepare(&st, g.db, sql), 0);
  sqlite3_bind_int64(st, 1, id);
  if (sqlite3_step(st) == SQLITE_ROW && db_col_text(st, 0)) snprintf(out, sizeof out, "%s", db_col_text(st, 0));
  db_done(st);
  return out;
}

static const char *status_of(int64_t request) { return text("SELECT status FROM request WHERE id = ?1", request); }

static int64_t instance_of(int64_t request) {
  return count("SELECT coalesce(max(id), 0) FROM instance WHERE request = %lld", (long long)request);
}

/* A value of the variables of the instance of `request` (JSON path). */
static const char *var(int64_t request, const char *path) {
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT json_extract(variables, '%s') FROM instance WHERE request = ?1", path);
  return text(sql, request);
}

/* The open task of the instance of `request` at `element` (0 if none). */
static int64_t task_at(int64_t request, const char *element) {
  return count("SELECT coalesce(max(t.id), 0) FROM task t JOIN instance i ON i.id = t.instance "
               "WHERE i.request = %lld AND t.element = '%s' AND t.state = 'open'",
               (long long)request, element);
}

static const char *part_state(int64_t request, const char *org) {
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT p.state FROM part p JOIN org o ON o.id = p.org WHERE p.request = ?1 AND o.slug = '%s'",
           org);
  return text(sql, request);
}

static int64_t parts_of(int64_t request) {
  return count("SELECT count(*) FROM part WHERE request = %lld", (long long)request);
}

static void tick(void) {
  if (engine_tick(NULL, NULL, g.engine, &g.admin, clock_now_ms())) fail_msg("tick: %s", err_msg());
}

/* Files a request of `who` for `collectivity` on `theme` with the process
 * of the platform, as a requester does. Returns its id; its reference goes
 * to `ref` (may be NULL). */
static int64_t file(const struct user *who, const char *collectivity, const char *theme, const char *title,
                    const char *description, char *ref) {
  const char *themes[] = {theme};
  struct request_new n = {collectivity, title, description, themes, 1, NULL, -1, NULL};
  char r[REQUEST_REF_SIZE];
  int64_t id;
  if (workflow_file(r, &id, g.engine, who, &n)) fail_msg("workflow_file: %s", err_msg());
  if (ref) snprintf(ref, REQUEST_REF_SIZE, "%s", r);
  return id;
}

/* The coordinators qualify request `request` as receivable and complete;
 * the matching and dispatch jobs run. */
static void qualify(int64_t request) {
  int64_t t = task_at(request, "qualifier");
  if (!t) fail_msg("no qualification task");
  json_t *vars = json_pack("{s:b, s:b}", "recevable", 1, "complet", 1);
  if (engine_complete_task(g.engine, &u.coordinator, t, vars, clock_now_ms())) fail_msg("qualifier: %s", err_msg());
  json_decref(vars);
  tick();
}

/* A request of Agassac (member of atd31) whose words are those of the
 * voirie offer: its best offer scores above the threshold. */
static int64_t file_good(char *ref) {
  return file(&u.maire, "31001", "voirie", "Chemin communal raviné",
              "Diagnostic du chemin raviné par les orages et estimation des travaux de voirie communale.", ref);
}

/* A request of Toulouse (not a member of atd31, too large for it) in words
 * no offer uses: the best offer shares the theme only. */
static int64_t file_weak(char *ref) {
  return file(&u.maire_toulouse, "31555", "voirie", "Nids de poule", "Boulevard abîmé au fil des hivers.", ref);
}

static void move_ok(struct part_tally *t, const struct user *who, const char *ref, const char *org, enum part_op op,
                    const char *reason) {
  if (dispatch_move(t, g.engine, who, ref, org, op, reason))
    fail_msg("%s %s as %s: %s", part_op_name(op), org, who->email, err_msg());
}

/* ---- automatic dispatch ---- */

static void good_score_is_dispatched_automatically(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t r = file_good(ref);
  assert_string_equal(status_of(r), "En qualification");
  assert_int_equal(parts_of(r), 0);
  qualify(r);
  /* The match action kept the ranking, best first. */
  assert_string_equal(var(r, "$.orientation_proposee[0].structure"), "atd31");
  assert_string_equal(var(r, "$.orientation_proposee[0].offre"), "atd-voirie");
  /* The dispatch action decided alone and said why. */
  assert_string_equal(var(r, "$.orientation.automatique"), "1");
  assert_string_equal(var(r, "$.orientation.structure"), "atd31");
  assert_string_equal(var(r, "$.orientation.offre"), "atd-voirie");
  assert_int_equal(atoi(var(r, "$.orientation.seuil")), DISPATCH_THRESHOLD);
  double score = atof(var(r, "$.orientation.score"));
  if (score < DISPATCH_THRESHOLD) fail_msg("score %.1f below the threshold", score);
  assert_non_null(strstr(var(r, "$.orientation.motif"), "meilleure offre (score"));
  assert_non_null(strstr(var(r, "$.orientation.motif"), "seuil 60"));
  /* One lead part, proposed, on the best offer. */
  assert_int_equal(parts_of(r), 1);
  assert_int_equal(count("SELECT count(*) FROM part p JOIN org o ON o.id = p.org JOIN offer f ON f.id = p.offer "
                         "WHERE p.request = %lld AND o.slug = 'atd31' AND f.slug = 'atd-voirie' AND p.role = 'lead' "
                         "AND p.state = 'proposed'",
                         (long long)r),
                   1);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'part.proposed' AND request = %lld", (long long)r), 1);
  /* The token waits at traiter for the parts, not at orienter. */
  assert_true(task_at(r, "traiter") > 0);
  assert_int_equal(task_at(r, "orienter"), 0);
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld AND message = '" DISPATCH_SETTLED "'",
                         (long long)instance_of(r)),
                   1);
  assert_string_equal(status_of(r), "En cours");
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld", (long long)instance_of(r)), 0);
  /* The head of the org sees it in its queue. */
  json_t *q;
  assert_int_equal(part_queue(&q, g.db, &u.chef_atd, NULL, NULL, 10), 0);
  assert_int_equal(json_array_size(q), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(q, 0), "ref")), ref);
  json_decref(q);
}

static void weak_score_goes_to_the_coordinators(void **state) {
  (void)state;
  int64_t r = file_weak(NULL);
  qualify(r);
  assert_string_equal(var(r, "$.orientation.automatique"), "0");
  assert_string_equal(var(r, "$.orientation.structure"), "routes");
  double score = atof(var(r, "$.orientation.score"));
  if (score >= DISPATCH_THRESHOLD || score <= 0) fail_msg("score %.1f", score);
  assert_non_null(strstr(var(r, "$.orientation.motif"), "meilleure offre sous le seuil"));
  assert_non_null(strstr(var(r, "$.orientation.motif"), "orientation par la coordination"));
  assert_int_equal(parts_of(r), 0);
  assert_true(task_at(r, "orienter") > 0);
  assert_int_equal(task_at(r, "traiter"), 0);
  assert_string_equal(status_of(r), "Orientée");
  assert_int_equal(count("SELECT count(*) FROM event WHERE type LIKE 'part.%%' AND request = %lld", (long long)r), 0);
}

/* Nothing suits at all: the motif is the summary of the match. */
static void nothing_suits_goes_to_the_coordinators_with_the_reason(void **state) {
  (void)state;
  int64_t r = file(&u.maire, "31001", "tourisme", "Gîte d'étape", "Ouverture d'un gîte pour les randonneurs.", NULL);
  qualify(r);
  assert_string_equal(var(r, "$.orientation.automatique"), "0");
  assert_string_equal(var(r, "$.orientation.structure"), "");
  assert_int_equal(strncmp(var(r, "$.orientation.motif"), "Aucune offre ne convient à Agassac", 34), 0);
  assert_int_equal(strncmp(var(r, "$.orientation_motif"), "Aucune offre ne convient à Agassac", 34), 0);
  assert_string_equal(var(r, "$.orientation_proposee"), "[]");
  assert_int_equal(parts_of(r), 0);
  assert_true(task_at(r, "orienter") > 0);
  assert_string_equal(status_of(r), "Orientée");
}

#define START "<bpmn:startEvent id=\"start\"/>"
#define END "<bpmn:endEvent id=\"end\"/>"
#define FLOW(id, a, b) "<bpmn:sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>"
#define DISPATCH(retries, seuil)                                                                                     \
  START "<bpmn:serviceTask id=\"repartir\"><bpmn:extensionElements><zeebe:taskDefinition type=\"dispatch\" retries=\"" \
      retries "\"/><zeebe:taskHeaders><zeebe:header key=\"seuil\" value=\"" seuil                                    \
      "\"/></zeebe:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>"                                         \
      "<bpmn:userTask id=\"suite\"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups=\"coordination\"/>" \
      "</bpmn:extensionElements></bpmn:userTask>" END FLOW("f1", "start", "repartir") FLOW("f2", "repartir", "suite")   \
          FLOW("f3", "suite", "end")

/* Starts an instance of version `version` for a new request of `who`. */
static int64_t start_on(int64_t version, const struct user *who, const char *collectivity, const char *title,
                        const char *description) {
  const char *themes[] = {"voirie"};
  struct request_new n = {collectivity, title, description, themes, 1, NULL, -1, NULL};
  int64_t request, instance;
  if (request_file(NULL, &request, g.db, who, &n)) fail_msg("request_file: %s", err_msg());
  assert_int_equal(db_begin(g.db), 0);
  if (engine_start_tx(&instance, g.engine, &g.admin, version, request, NULL, clock_now_ms())) {
    db_rollback(g.db);
    fail_msg("start: %s", err_msg());
  }
  assert_int_equal(db_commit(g.db), 0);
  return request;
}

static void threshold_header_out_of_range_fails_then_raises_an_incident(void **state) {
  (void)state;
  int64_t v = wfixture_publish_body(&g, "seuil-trop-haut", DISPATCH("2", "150"));
  int64_t r = start_on(v, &u.maire, "31001", "Chemin communal raviné",
                       "Diagnostic du chemin raviné et estimation des travaux de voirie communale.");
  int64_t i = instance_of(r);
  int64_t now = clock_now_ms();
  int ran = 0;
  assert_int_equal(engine_run_jobs(&ran, g.engine, &g.admin, now, 10), 0);
  assert_int_equal(ran, 1);
  /* First attempt: the job keeps its French error and one retry. */
  const char *error = text("SELECT error FROM job WHERE instance = ?1", i);
  assert_non_null(strstr(error, "action dispatch : l'en-tête « seuil » de repartir doit être un nombre de 0 à 100"));
  assert_non_null(strstr(error, "« 150 »"));
  assert_int_equal(count("SELECT retries FROM job WHERE instance = %lld", (long long)i), 1);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld", (long long)i), 0);
  assert_int_equal(count("SELECT count(*) FROM event WHERE type = 'workflow.job_failed' AND request = %lld", (long long)r),
                   1);
  /* Second and last attempt: an incident on the service task. */
  assert_int_equal(engine_run_jobs(&ran, g.engine, &g.admin, now + 60 * SECOND, 10), 0);
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld AND element = 'repartir' AND kind = 'job' "
                         "AND resolved_at IS NULL AND message LIKE 'action dispatch en échec après toutes ses tentatives%%' "
                         "AND message LIKE '%%« seuil »%%150%%'",
                         (long long)i),
                   1);
  /* Nothing was dispatched nor decided; the token stays on the task. */
  assert_int_equal(parts_of(r), 0);
  assert_string_equal(var(r, "$.orientation"), "");
  assert_int_equal(task_at(r, "suite"), 0);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld AND element = 'repartir'", (long long)i), 1);
  assert_string_equal(text("SELECT state FROM instance WHERE id = ?1", i), "active");
}

static void threshold_header_must_be_a_number(void **state) {
  (void)state;
  static const char *const bad[] = {"abc", "-1", "60 %", "100.5"};
  int64_t versions[4];
  versions[0] = wfixture_publish_body(&g, "seuil-a", DISPATCH("1", "abc"));
  versions[1] = wfixture_publish_body(&g, "seuil-b", DISPATCH("1", "-1"));
  versions[2] = wfixture_publish_body(&g, "seuil-c", DISPATCH("1", "60 %"));
  versions[3] = wfixture_publish_body(&g, "seuil-d", DISPATCH("1", "100.5"));
  for (int k = 0; k < 4; k++) {
    int64_t r = start_on(versions[k], &u.maire, "31001", "Chemin", "Chemin communal raviné.");
    int64_t i = instance_of(r);
    tick();
    char like[200];
    snprintf(like, sizeof like, "%%doit être un nombre de 0 à 100, reçu « %s »%%", bad[k]);
    sqlite3_stmt *st;
    assert_int_equal(db_prepare(&st, g.db, "SELECT count(*) FROM incident WHERE instance = ? AND element = 'repartir' "
                                           "AND message LIKE ?"),
                     0);
    sqlite3_bind_int64(st, 1, i);
    db_bind_text(st, 2, like);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_int(st, 0) != 1) fail_msg("seuil « %s » : pas d'incident", bad[k]);
    db_done(st);
    assert_int_equal(parts_of(r), 0);
  }
}

/* The header overrides the default threshold: at 0 even a weak match is
 * dispatched, at 100 even a good one is not. */
static void threshold_header_overrides_the_default(void **state) {
  (void)state;
  int64_t low = wfixture_publish_body(&g, "seuil-zero", DISPATCH("1", "0"));
  int64_t high = wfixture_publish_body(&g, "seuil-cent", DISPATCH("1", "100"));
  int64_t r = start_on(low, &u.maire_toulouse, "31555", "Nids de poule", "Boulevard abîmé au fil des hivers.");
  tick();
  assert_string_equal(var(r, "$.orientation.automatique"), "1");
  assert_int_equal(atoi(var(r, "$.orientation.seuil")), 0);
  assert_string_equal(part_state(r, "routes"), "proposed");
  assert_true(task_at(r, "suite") > 0);
  r = start_on(high, &u.maire, "31001", "Chemin communal raviné",
               "Diagnostic du chemin raviné et estimation des travaux de voirie communale.");
  tick();
  assert_string_equal(var(r, "$.orientation.automatique"), "0");
  assert_int_equal(atoi(var(r, "$.orientation.seuil")), 100);
  assert_int_equal(parts_of(r), 0);
  assert_true(task_at(r, "suite") > 0);
}

/* ---- parts closing tell the process ---- */

static void last_part_done_closes_the_request(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t r = file_good(ref);
  qualify(r);
  int64_t i = instance_of(r);
  /* A contributor joins; the lead is worked to the end. */
  if (dispatch_propose(g.engine, &u.coordinator, ref, "routes", "routes-securite", "contributor"))
    fail_msg("propose: %s", err_msg());
  struct part_tally t;
  move_ok(&t, &u.chef_atd, ref, "atd31", PART_ACCEPT, NULL);
  assert_int_equal(t.open, 2);
  assert_false(t.settled);
  if (dispatch_assign(g.engine, &u.chef_atd, ref, "atd31", "agent.atd31@appui.example")) fail_msg("assign: %s", err_msg());
  move_ok(&t, &u.agent_atd, ref, "atd31", PART_START, NULL);
  move_ok(&t, &u.agent_atd, ref, "atd31", PART_DONE, NULL);
  assert_int_equal(t.open, 1);
  assert_int_equal(t.done, 1);
  assert_false(t.settled);
  /* One part still open: the process still waits at traiter. */
  assert_true(task_at(r, "traiter") > 0);
  assert_string_equal(status_of(r), "En cours");
  /* The contributor declines: the last open part closes. */
  move_ok(&t, &u.coordinator, ref, "routes", PART_DECLINE, "Pas de traversée d'agglomération concernée");
  assert_int_equal(t.open, 0);
  assert_int_equal(t.done, 1);
  assert_int_equal(t.declined, 1);
  assert_int_equal(t.cancelled, 0);
  assert_true(t.settled);
  /* The boundary took the message: traiter is cancelled, its timer and
   * subscription gone, the tally is in the variables. */
  assert_int_equal(task_at(r, "traiter"), 0);
  assert_int_equal(count("SELECT count(*) FROM task WHERE instance = %lld AND element = 'traiter' AND state = 'cancelled'",
                         (long long)i),
                   1);
  assert_int_equal(count("SELECT count(*) FROM subscription WHERE instance = %lld", (long long)i), 0);
  assert_int_equal(count("SELECT count(*) FROM timer WHERE instance = %lld", (long long)i), 0);
  assert_string_equal(var(r, "$.mises_en_relation.terminees"), "1");
  assert_string_equal(var(r, "$.mises_en_relation.declinees"), "1");
  assert_string_equal(var(r, "$.mises_en_relation.annulees"), "0");
  assert_int_equal(task_at(r, "orienter"), 0);
  /* The closure job runs: the request is closed, the instance ends. */
  tick();
  assert_string_equal(status_of(r), "closed");
  assert_string_equal(text("SELECT state FROM instance WHERE id = ?1", i), "completed");
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld", (long long)i), 0);
  assert_int_equal(count("SELECT count(*) FROM token WHERE instance = %lld", (long long)i), 0);
  assert_string_equal(part_state(r, "atd31"), "done");
  assert_string_equal(part_state(r, "routes"), "declined");
}

static void all_parts_declined_go_back_to_the_coordinators(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t r = file_good(ref);
  qualify(r);
  struct part_tally t;
  move_ok(&t, &u.chef_atd, ref, "atd31", PART_DECLINE, "Plan de charge complet jusqu'en mars");
  assert_true(t.settled);
  assert_int_equal(t.done, 0);
  assert_int_equal(t.declined, 1);
  assert_int_equal(task_at(r, "traiter"), 0);
  assert_true(task_at(r, "orienter") > 0);
  assert_string_equal(status_of(r), "Orientée");
  assert_string_equal(var(r, "$.mises_en_relation.terminees"), "0");
  assert_string_equal(var(r, "$.mises_en_relation.declinees"), "1");
  tick(); /* nothing more to run */
  assert_string_equal(status_of(r), "Orientée");
  assert_string_equal(text("SELECT state FROM instance WHERE id = ?1", instance_of(r)), "active");
  /* The coordinators orient again: the declined org may be proposed anew,
   * and the process waits for the parts again. */
  int64_t o = task_at(r, "orienter");
  if (engine_complete_task(g.engine, &u.coordinator, o, NULL, clock_now_ms())) fail_msg("orienter: %s", err_msg());
  assert_true(task_at(r, "traiter") > 0);
  if (dispatch_propose(g.engine, &u.coordinator, ref, "routes", NULL, "lead")) fail_msg("propose: %s", err_msg());
  move_ok(&t, &u.coordinator, ref, "routes", PART_CANCEL, "Doublon");
  assert_true(t.settled);
  assert_int_equal(t.cancelled, 1);
  assert_true(task_at(r, "orienter") > 0);
  assert_string_equal(var(r, "$.mises_en_relation.annulees"), "1");
}

/* A part closing while the process is not at traiter (here at orienter)
 * is no error: the process is simply not told. */
static void closing_parts_while_not_waiting_is_quiet(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t r = file_weak(ref);
  qualify(r);
  int64_t i = instance_of(r);
  assert_true(task_at(r, "orienter") > 0);
  if (dispatch_propose(g.engine, &u.coordinator, ref, "routes", "routes-securite", "lead"))
    fail_msg("propose: %s", err_msg());
  struct part_tally t;
  memset(&t, 0x5a, sizeof t);
  move_ok(&t, &u.coordinator, ref, "routes", PART_CANCEL, "Erreur d'orientation");
  assert_true(t.settled);
  assert_int_equal(t.open, 0);
  assert_int_equal(t.cancelled, 1);
  assert_string_equal(part_state(r, "routes"), "cancelled");
  assert_true(task_at(r, "orienter") > 0);
  assert_string_equal(var(r, "$.mises_en_relation"), "");
  assert_string_equal(status_of(r), "Orientée");
  assert_int_equal(count("SELECT count(*) FROM incident WHERE instance = %lld", (long long)i), 0);
  /* Also for a request filed before any process (no instance at all). */
  const char *themes[] = {"voirie"};
  struct request_new n = {"31001", "Sans circuit", "Chemin communal raviné.", themes, 1, NULL, -1, NULL};
  char ref2[REQUEST_REF_SIZE];
  if (request_file(ref2, NULL, g.db, &u.maire, &n)) fail_msg("file: %s", err_msg());
  if (dispatch_propose(g.engine, &u.coordinator, ref2, "atd31", "atd-voirie", "lead")) fail_msg("propose: %s", err_msg());
  move_ok(&t, &u.chef_atd, ref2, "atd31", PART_DECLINE, "Hors de notre champ");
  assert_true(t.settled);
  /* A tally pointer is optional. */
  if (dispatch_propose(g.engine, &u.coordinator, ref2, "routes", NULL, "lead")) fail_msg("propose: %s", err_msg());
  if (dispatch_move(NULL, g.engine, &u.coordinator, ref2, "routes", PART_CANCEL, "Doublon")) fail_msg("%s", err_msg());
}

/* Parts that all closed while the process was at orienter: once the
 * process comes to wait at traiter, dispatch_sweep() tells it, and it goes
 * on as if the news had come then; a second sweep finds nothing. */
static void parts_closed_before_waiting_are_told_by_the_sweep(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t r = file_weak(ref);
  qualify(r);
  if (dispatch_propose(g.engine, &u.coordinator, ref, "routes", "routes-securite", "lead"))
    fail_msg("propose: %s", err_msg());
  struct part_tally t;
  move_ok(&t, &u.coordinator, ref, "routes", PART_ACCEPT, NULL);
  move_ok(&t, &u.coordinator, ref, "routes", PART_START, NULL);
  move_ok(&t, &u.coordinator, ref, "routes", PART_DONE, NULL);
  assert_true(t.settled);
  int told = -1;
  assert_int_equal(dispatch_sweep(&told, g.engine, 256), 0);
  assert_int_equal(told, 0); /* not waiting yet: nothing to tell */
  int64_t o = task_at(r, "orienter");
  if (engine_complete_task(g.engine, &u.coordinator, o, NULL, clock_now_ms())) fail_msg("orienter: %s", err_msg());
  assert_true(task_at(r, "traiter") > 0);
  assert_int_equal(dispatch_sweep(&told, g.engine, 256), 0);
  assert_int_equal(told, 1);
  assert_int_equal(task_at(r, "traiter"), 0);
  assert_string_equal(var(r, "$.mises_en_relation.terminees"), "1");
  tick();
  assert_string_equal(status_of(r), "closed");
  assert_int_equal(dispatch_sweep(&told, g.engine, 256), 0);
  assert_int_equal(told, 0);
}

/* ---- refusals change nothing ---- */

static void refused_moves_change_nothing(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t r = file_good(ref);
  qualify(r);
  struct part_tally t;
  /* Permission. */
  assert_refused(g.db, dispatch_propose(g.engine, &u.maire, ref, "routes", NULL, "contributor"), ERR_FORBIDDEN, NULL,
                 "seule la coordination propose");
  assert_refused(g.db, dispatch_propose(g.engine, &u.chef_atd, ref, "routes", NULL, "contributor"), ERR_FORBIDDEN, NULL,
                 "coordination");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.maire, ref, "atd31", PART_ACCEPT, NULL), ERR_FORBIDDEN, "org",
                 "chef·fe de service de « atd31 »");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.agent_atd, ref, "atd31", PART_ACCEPT, NULL), ERR_FORBIDDEN, "org",
                 "chef·fe de service de « atd31 »");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.chef_caue, ref, "atd31", PART_ACCEPT, NULL), ERR_FORBIDDEN, NULL,
                 "n'est pas confiée à votre structure");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.maire_toulouse, ref, "atd31", PART_ACCEPT, NULL), ERR_FORBIDDEN,
                 NULL, "autre collectivité");
  assert_refused(g.db, dispatch_assign(g.engine, &u.chef_caue, ref, "atd31", "agent.atd31@appui.example"),
                 ERR_FORBIDDEN, NULL, NULL);
  assert_refused(g.db, dispatch_assign(g.engine, &u.agent_atd, ref, "atd31", "agent.atd31@appui.example"),
                 ERR_FORBIDDEN, "org", "chef·fe de service de « atd31 »");
  assert_refused(g.db, dispatch_handover(g.engine, &u.maire, ref, "atd31", "caue31", NULL), ERR_FORBIDDEN, "org", NULL);
  move_ok(&t, &u.chef_atd, ref, "atd31", PART_ACCEPT, NULL);
  /* Not assigned: the agent may not start it. */
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.agent_atd, ref, "atd31", PART_START, NULL), ERR_FORBIDDEN, "org",
                 "seul l'agent assigné");
  /* A head of the caue31 on a request its org shares still acts only on
   * its own part. */
  if (dispatch_propose(g.engine, &u.coordinator, ref, "caue31", NULL, "contributor")) fail_msg("propose: %s", err_msg());
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.chef_caue, ref, "atd31", PART_CANCEL, "non"), ERR_FORBIDDEN, "org",
                 "« atd31 »");
  assert_refused(g.db, dispatch_handover(g.engine, &u.chef_caue, ref, "atd31", "routes", NULL), ERR_FORBIDDEN, "org",
                 NULL);
  /* Bad input. */
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.chef_caue, ref, "caue31", PART_DECLINE, NULL), ERR_INVALID,
                 "reason", "un motif est obligatoire pour décliner");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.chef_caue, ref, "caue31", PART_DECLINE, ""), ERR_INVALID, "reason",
                 "motif");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.coordinator, ref, "caue31", PART_CANCEL, NULL), ERR_INVALID,
                 "reason", "un motif est obligatoire pour annuler");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.coordinator, ref, "inconnue", PART_ACCEPT, NULL), ERR_NOTFOUND,
                 "org", "inconnue");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.coordinator, ref, "routes", PART_ACCEPT, NULL), ERR_NOTFOUND, "org",
                 "« routes » n'a pas de mise en relation sur cette demande");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.coordinator, "2026-999999", "atd31", PART_ACCEPT, NULL),
                 ERR_NOTFOUND, "ref", "demande inconnue");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.coordinator, "n'importe", "atd31", PART_ACCEPT, NULL),
                 ERR_NOTFOUND, "ref", "AAAA-NNNNNN");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.chef_atd, ref, "atd31", PART_DONE, NULL), ERR_CONFLICT, "state",
                 "« done » n'est possible que depuis l'état « En cours »");
  assert_refused(g.db, dispatch_move(&t, g.engine, &u.chef_atd, ref, "atd31", PART_ACCEPT, NULL), ERR_CONFLICT, "state",
                 "Acceptée");
  assert_refused(g.db, dispatch_propose(g.engine, &u.coordinator, ref, "routes", NULL, "lead"), ERR_CONFLICT, "role",
                 "déjà une structure pilote");
  assert_refused(g.db, dispatch_propose(g.engine, &u.coordinator, ref, "atd31", NULL, "contributor"), ERR_CONFLICT, "org",
                 "déjà une mise en relation");
  assert_refused(g.db, dispatch_propose(g.engine, &u.coordinator, ref, "routes", "atd-voirie", "contributor"),
                 ERR_INVALID, "offer", "n'est pas une offre de « routes »");
  assert_refused(g.db, dispatch_propose(g.engine, &u.coordinator, ref, "routes", NULL, "chef"), ERR_INVALID, "role",
                 "rôle inconnu");
  assert_refused(g.db, dispatch_assign(g.engine, &u.chef_atd, ref, "atd31", "chef.caue31@appui.example"), ERR_INVALID,
                 "agent", "n'est pas un agent de « atd31 »");
  assert_refused(g.db, dispatch_assign(g.engine, &u.chef_atd, ref, "atd31", "personne@appui.example"), ERR_NOTFOUND,
                 "agent", "compte inconnu");
  assert_refused(g.db, dispatch_handover(g.engine, &u.chef_atd, ref, "atd31", "caue31", NULL), ERR_CONFLICT, "to",
                 "« caue31 » a déjà une mise en relation");
  assert_refused(g.db, dispatch_handover(g.engine, &u.chef_atd, ref, "atd31", "atd31", NULL), ERR_CONFLICT, "to",
                 "déjà chez");
  /* The request still waits at traiter with its two open parts. */
  assert_true(task_at(r, "traiter") > 0);
  assert_string_equal(part_state(r, "atd31"), "accepted");
  assert_string_equal(part_state(r, "caue31"), "proposed");
}

/* A head hands its part over to another org: back to proposed there, and
 * the new org's head takes it from there to the end. */
static void handover_then_done_closes(void **state) {
  (void)state;
  char ref[REQUEST_REF_SIZE];
  int64_t r = file_good(ref);
  qualify(r);
  if (dispatch_handover(g.engine, &u.chef_atd, ref, "atd31", "caue31", "caue-architecture"))
    fail_msg("handover: %s", err_msg());
  assert_string_equal(part_state(r, "caue31"), "proposed");
  assert_string_equal(part_state(r, "atd31"), "");
  /* atd31 no longer sees the request. */
  assert_refused(g.db, dispatch_move(NULL, g.engine, &u.chef_atd, ref, "caue31", PART_ACCEPT, NULL), ERR_FORBIDDEN, NULL,
                 "n'est pas confiée");
  struct part_tally t;
  move_ok(&t, &u.chef_caue, ref, "caue31", PART_ACCEPT, NULL);
  move_ok(&t, &u.chef_caue, ref, "caue31", PART_START, NULL);
  move_ok(&t, &u.chef_caue, ref, "caue31", PART_DONE, NULL);
  assert_true(t.settled);
  tick();
  assert_string_equal(status_of(r), "closed");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(good_score_is_dispatched_automatically),
      T(weak_score_goes_to_the_coordinators),
      T(nothing_suits_goes_to_the_coordinators_with_the_reason),
      T(threshold_header_out_of_range_fails_then_raises_an_incident),
      T(threshold_header_must_be_a_number),
      T(threshold_header_overrides_the_default),
      T(last_part_done_closes_the_request),
      T(all_parts_declined_go_back_to_the_coordinators),
      T(closing_parts_while_not_waiting_is_quiet),
      T(parts_closed_before_waiting_are_told_by_the_sweep),
      T(refused_moves_change_nothing),
      T(handover_then_done_closes),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
