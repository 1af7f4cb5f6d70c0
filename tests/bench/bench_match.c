/* bench_match — figures of issue 4 (matching, board, statistics, exports)
 * on the national benchmark database built by bench_gen (every French
 * commune, 1,000,000 requests), to which it adds once, deterministically:
 *   - 1,000 orgs and a generated catalogue of 5,000 offers (themes, French
 *     titles, perimeters on départements and EPCIs or everywhere, audiences,
 *     membership requirements, eligibility expressions, deadlines), with the
 *     memberships of small communes to the orgs that require them;
 *   - one part per request (the org of an offer on its first theme), whose
 *     state follows the request's age (old ones done, declined or cancelled,
 *     recent ones proposed, accepted or in progress, some with an agent), the
 *     request's status and deadlines following it, and the orgs' profiles
 *     of accepted requests;
 * then measures:
 *   (a) match_request_id() on random requests: p50, p95, p99 (target p99 ≤ 5 ms);
 *   (b) board_counts() over typical filter sets: p50 and p95 (target p95 ≤ 50 ms);
 *   (c) board_stats() over everything and over one theme;
 *   (d) board_export() of a filtered view of ≥ 100,000 rows to CSV and XLSX
 *       (target ≥ 100,000 rows/s).
 * Figures go to standard output, progress to standard error. A benchmark
 * prints; it fails (status 1) only when something breaks.
 *
 * Usage: bench_match DATA_DIR [SAMPLES]   (DATA_DIR holds appui.db) */
#include "board.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "export.h"
#include "match.h"
#include "user.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_ORGS 1000
#define N_OFFERS 5000
#define SETTING "bench.match"

struct rng {
  uint64_t s;
};

static uint64_t rng_next(struct rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n) { return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32); }

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "bench_match : %s : %s\n", what, err_msg());
  exit(1);
}

/* Words of offers per theme, to compose titles and summaries. */
static const struct {
  const char *code, *label;
  const char *words[6];
} themes[] = {
    {"voirie", "voirie", {"chaussée", "trottoirs", "carrefours", "signalisation", "ouvrages d'art", "chemins ruraux"}},
    {"eau-assainissement", "eau et assainissement",
     {"réseaux d'eau potable", "station d'épuration", "eaux pluviales", "assainissement non collectif", "captages",
      "canalisations"}},
    {"batiments", "bâtiments", {"écoles", "salles des fêtes", "accessibilité", "toitures", "mairies", "logements communaux"}},
    {"urbanisme", "urbanisme", {"plan local d'urbanisme", "carte communale", "lotissements", "centre-bourg",
                                "permis de construire", "friches"}},
    {"energie", "énergie", {"rénovation énergétique", "éclairage public", "chaufferies bois", "photovoltaïque",
                            "isolation", "consommations"}},
    {"environnement", "environnement", {"biodiversité", "zones humides", "déchets", "espaces naturels", "haies",
                                        "cours d'eau"}},
    {"numerique", "numérique", {"cybersécurité", "site internet", "démarches en ligne", "fibre", "équipement informatique",
                                "inclusion numérique"}},
    {"mobilite", "mobilité", {"transport à la demande", "covoiturage", "pistes cyclables", "sécurité routière",
                              "aires de covoiturage", "navettes"}},
    {"democratie-participative", "démocratie participative",
     {"concertation", "budget participatif", "conseils citoyens", "ateliers d'habitants", "consultation", "jeunes"}},
    {"social", "social", {"CCAS", "besoins sociaux", "personnes âgées", "petite enfance", "logement social", "insertion"}},
    {"culture-patrimoine", "culture et patrimoine", {"patrimoine", "églises", "médiathèques", "musées", "archives",
                                                     "spectacles"}},
    {"tourisme", "tourisme", {"randonnée", "hébergements", "offices de tourisme", "signalétique", "véloroutes",
                              "sites touristiques"}},
    {"finances", "finances", {"budget", "fiscalité", "emprunts", "subventions", "prospective financière", "dotations"}},
    {"juridique", "juridique", {"contentieux", "actes", "cimetières", "domaine public", "statuts", "police du maire"}},
    {"commande-publique", "commande publique", {"marchés publics", "appels d'offres", "consultations", "groupements",
                                                "maîtrise d'œuvre", "DCE"}},
};
#define N_THEMES ((int)(sizeof themes / sizeof themes[0]))

static const char *const kinds[] = {"conseil", "amo", "etude", "subvention", "formation", "evenement"};
static const char *const eligibilities[] = {"= population < 3500", "= population < 10000", "= population >= 2000",
                                            "= kind = \"commune\"", "= departement != \"75\"",
                                            "= population < 20000 and kind = \"commune\""};

/* ---- the data, added once ---- */

static int exec(struct db *db, const char *sql) {
  int rc = db_exec(db, sql);
  if (rc) die(sql);
  return rc;
}

/* 1,000 orgs and 5,000 offers through the catalogue's own functions, in
 * group-commit batches (each call's own transaction becomes a savepoint). */
static void add_catalogue(struct db *db, struct rng *r, const struct user *admin) {
  char **deps = NULL, **epcis = NULL;
  int n_deps = 0, n_epcis = 0;
  sqlite3_stmt *st;
  if (db_prepare(&st, db, "SELECT code FROM departement ORDER BY code")) die("départements");
  while (sqlite3_step(st) == SQLITE_ROW) {
    deps = realloc(deps, (size_t)(n_deps + 1) * sizeof *deps);
    deps[n_deps++] = db_col_strdup(st, 0);
  }
  db_done(st);
  if (db_prepare(&st, db, "SELECT code FROM collectivity WHERE kind = 'epci' ORDER BY code")) die("EPCI");
  while (sqlite3_step(st) == SQLITE_ROW) {
    epcis = realloc(epcis, (size_t)(n_epcis + 1) * sizeof *epcis);
    epcis[n_epcis++] = db_col_strdup(st, 0);
  }
  db_done(st);
  if (!n_deps || !n_epcis) {
    fprintf(stderr, "bench_match : la base n'a pas de territoire : lancez d'abord bench_gen\n");
    exit(1);
  }
  static const char *const org_kinds[] = {"direction", "service", "satellite", "mission", "partner"};
  if (db_batch_begin(db)) die("transaction");
  for (int i = 0; i < N_ORGS; i++) {
    char slug[32], name[96];
    snprintf(slug, sizeof slug, "bench-org-%04d", i);
    snprintf(name, sizeof name, "Structure d'appui n° %d", i);
    struct catalog_org_new n = {slug, name, org_kinds[below(r, 5)], NULL, NULL, NULL, 20 + (int)below(r, 180)};
    int64_t id;
    if (catalog_org_add(&id, db, admin, &n)) die("structure");
  }
  if (db_batch_commit(db)) die("commit");
  if (db_batch_begin(db)) die("transaction");
  for (int i = 0; i < N_OFFERS; i++) {
    char slug[32], org[32], title[200], summary[600], perimeter[64] = "";
    const char *th[3];
    int n_th = 1 + (int)below(r, 3), t0 = (int)below(r, N_THEMES);
    for (int k = 0; k < n_th; k++) th[k] = themes[(t0 + k * 5) % N_THEMES].code;
    snprintf(slug, sizeof slug, "bench-offre-%04d", i);
    snprintf(org, sizeof org, "bench-org-%04d", i % N_ORGS);
    const char *w1 = themes[t0].words[below(r, 6)], *w2 = themes[t0].words[below(r, 6)];
    snprintf(title, sizeof title, "%s : %s et %s (%d)", themes[t0].label, w1, w2, i);
    title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32 : title[0]);
    snprintf(summary, sizeof summary,
             "Accompagnement des collectivités pour leurs projets de %s : %s, %s et %s. Diagnostic, conseil, "
             "montage du dossier et suivi.",
             themes[t0].label, w1, w2, themes[(t0 + 5) % N_THEMES].words[below(r, 6)]);
    uint32_t p = below(r, 10);
    if (p < 5) snprintf(perimeter, sizeof perimeter, "departement:%s", deps[below(r, (uint32_t)n_deps)]);
    else if (p < 7) snprintf(perimeter, sizeof perimeter, "epci:%s", epcis[below(r, (uint32_t)n_epcis)]);
    const char *audience[2] = {"commune", "epci"};
    struct catalog_offer_new n = {.slug = slug, .org = org, .kind = kinds[below(r, 6)], .title = title,
                                  .summary = summary, .themes = th, .n_themes = n_th, .audience = audience,
                                  .n_audience = below(r, 4) ? 2 : 1, .perimeter = *perimeter ? perimeter : NULL,
                                  .eligibility = below(r, 4) == 0 ? eligibilities[below(r, 6)] : NULL,
                                  .requires_membership = (i % N_ORGS) < 150 && below(r, 2),
                                  .sla_ack = 2 + (int)below(r, 4), .sla_take = 5 + (int)below(r, 10),
                                  .sla_resolve = 30 + (int)below(r, 90), .process = NULL};
    int64_t id;
    if (catalog_offer_add(&id, db, admin, &n)) die("offre");
    if (i % 500 == 499) fprintf(stderr, "\r  offres : %d / %d", i + 1, N_OFFERS);
  }
  fprintf(stderr, "\n");
  if (db_batch_commit(db)) die("commit");
  for (int i = 0; i < n_deps; i++) free(deps[i]);
  for (int i = 0; i < n_epcis; i++) free(epcis[i]);
  free(deps);
  free(epcis);
  /* Small communes adhere to the 150 orgs that may require membership, each
   * over about a tenth of the départements. */
  if (db_batch_begin(db)) die("transaction");
  exec(db, "INSERT INTO membership (collectivity, org, start_date, created_at) "
           "SELECT c.code, g.id, '2020-01-01', 0 FROM org g JOIN collectivity c ON c.kind = 'commune' "
           "AND c.population < 3500 AND (unicode(c.departement) + length(c.departement) * 7 + g.id) % 10 = 0 "
           "WHERE g.slug BETWEEN 'bench-org-0000' AND 'bench-org-0149'");
  if (db_batch_commit(db)) die("commit");
}

/* One part per request, its state after the request's age. */
static void add_parts(struct db *db, struct rng *r, int64_t now) {
  /* Offers per theme, with their org. */
  int64_t *by_theme[N_THEMES], *org_of[N_THEMES];
  int count[N_THEMES] = {0};
  sqlite3_stmt *st;
  for (int t = 0; t < N_THEMES; t++) {
    by_theme[t] = malloc(N_OFFERS * sizeof(int64_t));
    org_of[t] = malloc(N_OFFERS * sizeof(int64_t));
    if (db_prepare(&st, db, "SELECT f.id, f.org FROM offer f JOIN offer_theme t ON t.offer = f.id "
                            "WHERE t.theme = ? AND f.slug LIKE 'bench-offre-%' ORDER BY f.id"))
      die("offres par thème");
    db_bind_text(st, 1, themes[t].code);
    while (sqlite3_step(st) == SQLITE_ROW) {
      by_theme[t][count[t]] = sqlite3_column_int64(st, 0);
      org_of[t][count[t]++] = sqlite3_column_int64(st, 1);
    }
    db_done(st);
  }
  /* Agents: one per org among the first 200. */
  if (db_begin(db)) die("transaction");
  exec(db, "INSERT INTO user (email, name, role, org, created_at) SELECT 'agent-' || slug || '@bench.appui.example', "
           "'Agent ' || slug, 'agent', id, 0 FROM org WHERE slug BETWEEN 'bench-org-0000' AND 'bench-org-0199'");
  if (db_commit(db)) die("commit");
  int64_t total = 0, done = 0;
  if (db_prepare(&st, db, "SELECT count(*) FROM request")) die("comptage");
  if (sqlite3_step(st) == SQLITE_ROW) total = sqlite3_column_int64(st, 0);
  db_done(st);
  sqlite3_stmt *rows, *ins, *agent;
  if (db_prepare(&rows, db, "SELECT id, json_extract(themes, '$[0]'), filed_at FROM request ORDER BY id")) die("demandes");
  if (db_prepare(&ins, db, "INSERT INTO part (request, org, offer, role, state, agent, accepted_at, ended_at, "
                           "created_at, updated_at) VALUES (?, ?, ?, 'lead', ?, ?, ?, ?, ?, ?)"))
    die("insertion");
  if (db_prepare(&agent, db, "SELECT id FROM user WHERE role = 'agent' AND org = ?")) die("agents");
  if (db_begin(db)) die("transaction");
  double t0 = now_s();
  while (sqlite3_step(rows) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(rows, 0), filed = sqlite3_column_int64(rows, 2);
    const char *theme = db_col_text(rows, 1);
    int t = 0;
    while (t < N_THEMES && strcmp(themes[t].code, theme ? theme : "") != 0) t++;
    if (t == N_THEMES || !count[t]) continue;
    int k = (int)below(r, (uint32_t)count[t]);
    int64_t age_days = (now - filed) / 86400000;
    uint32_t dice = below(r, 100);
    const char *state;
    if (age_days > 365) state = dice < 88 ? "done" : dice < 94 ? "declined" : "cancelled";
    else if (age_days > 120) state = dice < 60 ? "done" : dice < 80 ? "in_progress" : dice < 90 ? "accepted" : "declined";
    else state = dice < 30 ? "proposed" : dice < 55 ? "accepted" : dice < 85 ? "in_progress" : "done";
    int accepted = strcmp(state, "proposed") && strcmp(state, "declined");
    int ended = !strcmp(state, "done") || !strcmp(state, "declined") || !strcmp(state, "cancelled");
    int64_t acc = filed + (int64_t)(1 + below(r, 15)) * 86400000, end = acc + (int64_t)(5 + below(r, 120)) * 86400000;
    if (end > now) end = now;
    if (acc > now) acc = now;
    int64_t agent_id = 0;
    if (accepted && below(r, 2)) {
      sqlite3_bind_int64(agent, 1, org_of[t][k]);
      if (sqlite3_step(agent) == SQLITE_ROW) agent_id = sqlite3_column_int64(agent, 0);
      sqlite3_reset(agent);
    }
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int64(ins, 2, org_of[t][k]);
    sqlite3_bind_int64(ins, 3, by_theme[t][k]);
    db_bind_text(ins, 4, state);
    if (agent_id) sqlite3_bind_int64(ins, 5, agent_id);
    else sqlite3_bind_null(ins, 5);
    if (accepted) sqlite3_bind_int64(ins, 6, acc);
    else sqlite3_bind_null(ins, 6);
    if (ended) sqlite3_bind_int64(ins, 7, end);
    else sqlite3_bind_null(ins, 7);
    sqlite3_bind_int64(ins, 8, filed);
    sqlite3_bind_int64(ins, 9, ended ? end : filed);
    if (sqlite3_step(ins) != SQLITE_DONE) die("insertion d'une mise en relation");
    sqlite3_reset(ins);
    if (++done % 50000 == 0) {
      if (db_commit(db) || db_begin(db)) die("commit");
      fprintf(stderr, "\r  mises en relation : %lld / %lld (%.0f/s)", (long long)done, (long long)total,
              (double)done / (now_s() - t0));
    }
  }
  db_done(rows);
  db_done(ins);
  db_done(agent);
  if (db_commit(db)) die("commit");
  fprintf(stderr, "\n");
  for (int t = 0; t < N_THEMES; t++) free(by_theme[t]), free(org_of[t]);
}

/* Statuses, deadlines and profiles that follow the parts. */
static void follow_parts(struct db *db, int64_t now) {
  char sql[2048];
  if (db_begin(db)) die("transaction");
  fprintf(stderr, "  statuts…\n");
  exec(db, "UPDATE request SET status = coalesce((SELECT CASE p.state WHEN 'done' THEN 'closed' "
           "WHEN 'cancelled' THEN 'cancelled' WHEN 'declined' THEN 'Orientée' WHEN 'proposed' THEN 'Orientée' "
           "ELSE 'En cours' END FROM part p WHERE p.request = request.id), 'En qualification')");
  fprintf(stderr, "  délais…\n");
  /* Deadlines from the offer's targets, in calendar days (an approximation
   * of business days good enough for a data set); met when the part says so. */
  snprintf(sql, sizeof sql,
           "UPDATE sla SET (ack_days, take_days, resolve_days, ack_due, take_due, resolve_due, acked_at, taken_at, "
           "resolved_at) = (SELECT f.sla_ack_days, f.sla_take_days, f.sla_resolve_days, "
           "r.filed_at + f.sla_ack_days * 120960000, r.filed_at + f.sla_take_days * 120960000, "
           "r.filed_at + f.sla_resolve_days * 120960000, r.filed_at + 3600000, p.accepted_at, "
           "CASE WHEN p.state IN ('done', 'cancelled') THEN p.ended_at END "
           "FROM part p JOIN request r ON r.id = p.request JOIN offer f ON f.id = p.offer WHERE p.request = sla.request) "
           "WHERE EXISTS (SELECT 1 FROM part p WHERE p.request = sla.request)");
  exec(db, sql);
  snprintf(sql, sizeof sql,
           "UPDATE sla SET due_at = (SELECT min(v) FROM (SELECT take_due AS v WHERE taken_at IS NULL "
           "UNION ALL SELECT resolve_due WHERE resolved_at IS NULL)), overdue = 7");
  exec(db, sql);
  exec(db, "UPDATE request SET due_at = (SELECT s.due_at FROM sla s WHERE s.request = request.id) "
           "WHERE id IN (SELECT request FROM sla WHERE due_at IS NOT NULL)");
  fprintf(stderr, "  profils des structures…\n");
  exec(db, "DELETE FROM org_profile");
  /* As the trigger of migration 0010 keeps them: the last 50 titles. */
  exec(db, "INSERT INTO org_profile (rowid, text) SELECT org, group_concat(t, ' ') FROM ("
           "SELECT p.org, r.title AS t, row_number() OVER "
           "(PARTITION BY p.org ORDER BY p.accepted_at DESC) AS n FROM part p JOIN request r ON r.id = p.request "
           "WHERE p.accepted_at IS NOT NULL) WHERE n <= 50 GROUP BY org");
  exec(db, "UPDATE profile_version SET version = version + 1");
  (void)now;
  if (db_commit(db)) die("commit");
  fprintf(stderr, "  statistiques de l'optimiseur…\n");
  exec(db, "ANALYZE");
}

/* ---- measures ---- */

static int by_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double pct(double *v, int n, double p) {
  qsort(v, (size_t)n, sizeof *v, by_double);
  int i = (int)ceil(p * n) - 1;
  return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "Usage : bench_match DATA_DIR [ÉCHANTILLONS]\n");
    return 2;
  }
  int samples = argc == 3 ? atoi(argv[2]) : 2000;
  if (samples < 10) samples = 10;
  char path[4096];
  snprintf(path, sizeof path, "%s/appui.db", argv[1]);
  if (access(path, R_OK | W_OK)) {
    fprintf(stderr, "bench_match : %s introuvable : lancez d'abord bench_gen (make bench)\n", path);
    return 1;
  }
  struct db *db;
  double t = now_s();
  if (db_open(&db, path, DB_MIGRATE)) die("ouverture");
  printf("Ouverture et migration du schéma : %.1f s\n", now_s() - t);
  struct user admin;
  user_system(&admin, "bench");
  struct rng r = {20261122};
  int64_t now = clock_now_ms(), have = 0;
  if (db_int_for(&have, db, "SELECT count(*) FROM setting WHERE key = ?", SETTING)) die("réglage");
  if (!have) {
    fprintf(stderr, "Préparation (une fois) : catalogue de %d offres, mises en relation, délais…\n", N_OFFERS);
    t = now_s();
    add_catalogue(db, &r, &admin);
    add_parts(db, &r, now);
    follow_parts(db, now);
    if (db_begin(db)) die("transaction");
    exec(db, "INSERT INTO setting (key, value) VALUES ('" SETTING "', 'done')");
    if (db_commit(db)) die("commit");
    printf("Préparation : %.0f s\n", now_s() - t);
  }
  int64_t n_offers = 0, n_requests = 0, n_parts = 0;
  db_int_for(&n_offers, db, "SELECT count(*) FROM offer WHERE active = ?", "1");
  db_int_for(&n_requests, db, "SELECT count(*) FROM request WHERE ? IS NOT NULL", "x");
  db_int_for(&n_parts, db, "SELECT count(*) FROM part WHERE ? IS NOT NULL", "x");
  printf("Base : %lld demandes, %lld offres actives, %lld mises en relation\n", (long long)n_requests,
         (long long)n_offers, (long long)n_parts);

  /* (a) match */
  int64_t min_id = 0, max_id = 0;
  db_int_for(&min_id, db, "SELECT min(id) FROM request WHERE ? IS NOT NULL", "x");
  db_int_for(&max_id, db, "SELECT max(id) FROM request WHERE id < 2026000000 AND ? IS NOT NULL", "x");
  double *v = malloc((size_t)samples * sizeof *v);
  long eligible = 0;
  json_t *m;
  if (match_request_id(&m, db, min_id, 0, 10, now)) die("orientation"); /* loads the catalogue */
  json_decref(m);
  int n = 0;
  while (n < samples) {
    int64_t year = min_id / 1000000 + below(&r, (uint32_t)(max_id / 1000000 - min_id / 1000000 + 1));
    int64_t id = year * 1000000 + 1 + below(&r, 140000);
    t = now_s();
    int rc = match_request_id(&m, db, id, 0, 10, now);
    double dt = now_s() - t;
    if (rc == ERR_NOTFOUND) continue;
    if (rc) die("orientation");
    eligible += (long)json_integer_value(json_object_get(m, "eligible"));
    json_decref(m);
    v[n++] = dt * 1000;
  }
  double mean = 0;
  for (int i = 0; i < n; i++) mean += v[i] / n;
  printf("(a) orientation d'une demande (%d demandes au hasard, %ld offres éligibles en moyenne) : moyenne %.2f ms, "
         "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms — objectif p99 ≤ 5 ms\n",
         n, eligible / n, mean, pct(v, n, 0.50), pct(v, n, 0.95), pct(v, n, 0.99), pct(v, n, 1.0));

  /* (b) board counts */
  char agent[96] = "agent-bench-org-0007@bench.appui.example";
  struct {
    const char *label;
    struct board_filter f;
  } sets[] = {
      {"aucun filtre", {0}},
      {"thématique", {.theme = "voirie"}},
      {"EPCI", {.epci = "243100518"}},
      {"structure", {.org = "bench-org-0042"}},
      {"en retard", {.late = "yes"}},
      {"thématique + en retard", {.theme = "energie", .late = "yes"}},
      {"bientôt en retard", {.late = "soon"}},
      {"collectivité", {.collectivity = "31555"}},
      {"agent", {.agent = agent}},
      {"structure + état", {.org = "bench-org-0042", .part_state = "in_progress"}},
  };
  int n_sets = (int)(sizeof sets / sizeof sets[0]), reps = 30;
  double *all = malloc((size_t)(n_sets * reps) * sizeof *all);
  int n_all = 0;
  printf("(b) compteurs du tableau de bord (%d répétitions par jeu de filtres) :\n", reps);
  for (int s = 0; s < n_sets; s++) {
    double one[64], total = 0;
    json_t *c;
    for (int k = 0; k < reps; k++) {
      t = now_s();
      if (board_counts(&c, db, &admin, &sets[s].f, now)) die("compteurs");
      one[k] = (now_s() - t) * 1000;
      all[n_all++] = one[k];
      if (k == 0) total = (double)json_integer_value(json_object_get(c, "total"));
      json_decref(c);
    }
    printf("    %-24s %9.0f demandes   p50 %7.2f ms   p95 %7.2f ms\n", sets[s].label, total, pct(one, reps, 0.5),
           pct(one, reps, 0.95));
  }
  printf("    tous jeux confondus : p50 %.2f ms, p95 %.2f ms, max %.2f ms — objectif p95 ≤ 50 ms\n",
         pct(all, n_all, 0.5), pct(all, n_all, 0.95), pct(all, n_all, 1.0));

  /* (c) statistics */
  json_t *st;
  struct board_filter none = {0}, voirie = {.theme = "voirie"};
  t = now_s();
  if (board_stats(&st, db, &admin, &none, now)) die("statistiques");
  double dt = now_s() - t;
  json_decref(st);
  t = now_s();
  if (board_stats(&st, db, &admin, &voirie, now)) die("statistiques");
  printf("(c) statistiques : tout %.0f ms, une thématique %.0f ms\n", dt * 1000, (now_s() - t) * 1000);
  json_decref(st);

  /* (d) exports */
  char out[4096];
  for (int f = 0; f < 2; f++) {
    snprintf(out, sizeof out, "%s/bench-export.%s", argv[1], f ? "xlsx" : "csv");
    int64_t rows = 0;
    t = now_s();
    if (board_export(&rows, out, NULL, f ? EXPORT_XLSX : EXPORT_CSV, db, &admin, &voirie, now, NULL)) die("export");
    dt = now_s() - t;
    printf("(d) export %s (thématique voirie) : %lld lignes en %.2f s, %.0f lignes/s — objectif ≥ 100 000 lignes/s\n",
           f ? "XLSX" : "CSV", (long long)rows, dt, (double)rows / dt);
    unlink(out);
  }
  free(v);
  free(all);
  db_close(db);
  return 0;
}
