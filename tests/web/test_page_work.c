/* Tests of web/page_work.c and web/page_board.c: the queue of an org
 * (/file and its moves), the orientation of a request, the board and its
 * exports, the statistics and the incidents, for every role, over real HTTP
 * against the demo platform. The tests follow one story and run in order:
 * the coordination orients demo requests, the ATD 31 works them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "err.h"
#include "fixture.h"
#include "webclient.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wc_env E;

#define ADMIN "admin@appui.example"
#define COORD "coordination@appui.example"
#define CHEF "chef.atd31@appui.example"
#define AGENT "agent.atd31@appui.example"
#define CHEF_CAUE "chef.caue31@appui.example"
#define MAYOR "maire@agassac.example"

#define REF "2026-000034"   /* Agassac, voirie: best offer atd-voirie */
#define REF2 "2026-000028"  /* Vaux, programme de voirie */
#define REF3 "2026-000026"  /* Cassagne, pont communal */

static struct wc_session S_ADMIN, S_COORD, S_CHEF, S_AGENT, S_CAUE, S_MAYOR;

static int setup(void **state) {
  (void)state;
  wc_start(&E);
  wc_login(&S_ADMIN, &E, ADMIN);
  wc_login(&S_COORD, &E, COORD);
  wc_login(&S_CHEF, &E, CHEF);
  wc_login(&S_AGENT, &E, AGENT);
  wc_login(&S_CAUE, &E, CHEF_CAUE);
  wc_login(&S_MAYOR, &E, MAYOR);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wc_stop(&E);
  return 0;
}

static void get_status(const struct wc_session *s, const char *path, long status, const char *needle) {
  struct wc_reply r;
  wc_get(&r, &E, s, path);
  if (r.status != status) fail_msg("GET %s : %ld au lieu de %ld\n%.800s", path, r.status, status, r.body ? r.body : "");
  if (needle) wc_assert_has(&r, needle);
  wc_done(&r);
}

/* POST `fields` to `path`; expects `status` and, when `needle`, that text. */
static void post_status(const struct wc_session *s, const char *path, const char *fields, long status,
                        const char *needle) {
  struct wc_reply r;
  wc_post_form(&r, &E, s, path, fields);
  if (r.status != status)
    fail_msg("POST %s %s : %ld au lieu de %ld\n%.1500s", path, fields, r.status, status, r.body ? r.body : "");
  if (needle) wc_assert_has(&r, needle);
  wc_done(&r);
}

/* POST refused: status and the base unchanged. */
static void post_refused(const struct wc_session *s, const char *path, const char *fields, long status,
                         const char *needle) {
  char before[65], after[65];
  wc_digest(&E, before);
  post_status(s, path, fields, status, needle);
  wc_digest(&E, after);
  assert_string_equal(before, after);
}

/* POST as htmx (header HX-Request) with the session's CSRF token. */
static void post_htmx(struct wc_reply *r, const struct wc_session *s, const char *path, const char *fields) {
  char body[2048];
  snprintf(body, sizeof body, "csrf=%s%s%s", s->csrf, *fields ? "&" : "", fields);
  const char *extra[] = {"HX-Request: true", NULL};
  wc_request(r, &E, s, "POST", path, extra, "application/x-www-form-urlencoded", body, strlen(body));
}

static int64_t count(const char *sql) { return fixture_int(E.db, sql); }

static void pages_by_role(void **state) {
  (void)state;
  static const char *const pages[] = {"/file", "/tableau", "/statistiques", "/incidents", "/demandes/" REF "/orientation",
                                      "/tableau/export?format=csv"};
  char want[128], v[512];
  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    struct wc_reply r;
    wc_get(&r, &E, NULL, pages[i]);
    assert_int_equal(r.status, 303);
    /* The login page comes back to the page (its path). */
    snprintf(want, sizeof want, "/connexion?suite=%.*s", (int)strcspn(pages[i], "?"), pages[i]);
    assert_string_equal(wc_header(&r, "Location", v, sizeof v), want);
    wc_done(&r);
    /* Requesters have none of these pages. */
    get_status(&S_MAYOR, pages[i], 403, "Accès refusé");
  }
  /* Agents: their queue only. */
  get_status(&S_AGENT, "/file", 200, "<h1>File de la structure — Haute-Garonne Ingénierie – ATD 31</h1>");
  get_status(&S_AGENT, "/tableau", 403, "réservé à la coordination");
  get_status(&S_AGENT, "/tableau/export?format=csv", 403, NULL);
  get_status(&S_AGENT, "/statistiques", 403, NULL);
  get_status(&S_AGENT, "/incidents", 403, NULL);
  get_status(&S_AGENT, "/demandes/" REF "/orientation", 403, "réservée à la coordination");
  /* Heads: queue, board and statistics of their org. */
  get_status(&S_CHEF, "/file", 200, "File de la structure");
  get_status(&S_CHEF, "/file?org=caue31", 403, "propre structure");
  get_status(&S_CHEF, "/tableau", 200, "<h1>Tableau de bord</h1>");
  get_status(&S_CHEF, "/statistiques", 200, "<h1>Statistiques</h1>");
  get_status(&S_CHEF, "/incidents", 403, NULL);
  get_status(&S_CHEF, "/demandes/" REF "/orientation", 403, NULL);
  /* Coordinators and admins: everything; the queue of an org they choose. */
  get_status(&S_COORD, "/file", 200, "Choisissez la structure");
  get_status(&S_COORD, "/file?org=atd31", 200, "File de la structure — Haute-Garonne");
  get_status(&S_COORD, "/file?org=inconnue", 404, "structure inconnue");
  get_status(&S_COORD, "/file?org=atd31&state=perdu", 422, "état inconnu");
  get_status(&S_COORD, "/tableau", 200, "Exporter en CSV");
  get_status(&S_ADMIN, "/statistiques", 200, "id=\"stats-data\"");
  get_status(&S_ADMIN, "/incidents", 200, "Aucun incident ouvert");
  get_status(&S_COORD, "/demandes/" REF "/orientation", 200, "<h1>Orientation de la demande " REF "</h1>");
  get_status(&S_COORD, "/demandes/2026-999999/orientation", 404, NULL);
  get_status(&S_COORD, "/demandes/pas-une-ref/orientation", 404, NULL);
  /* Unknown operation. */
  post_refused(&S_CHEF, "/file/" REF "/effacer", "", 404, "action inconnue");
}

static void orientation_explains_and_dispatches(void **state) {
  (void)state;
  struct wc_reply r;
  wc_get(&r, &E, &S_COORD, "/demandes/" REF "/orientation");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<caption>Offres éligibles classées");
  wc_assert_has(&r, "Assistance technique en voirie communale");
  wc_assert_has(&r, "Thématique commune : Voirie");
  wc_assert_has(&r, "Orienter vers Haute-Garonne Ingénierie – ATD 31</button>");
  wc_assert_has(&r, "action=\"/demandes/" REF "/orientation\"");
  wc_done(&r);
  /* The JSON view model. */
  wc_get_json(&r, &E, &S_COORD, "/demandes/" REF "/orientation");
  assert_int_equal(r.status, 200);
  json_t *first = json_array_get(json_object_get(r.json, "offers"), 0);
  assert_string_equal(json_string_value(json_object_get(first, "org_slug")), "atd31");
  assert_true(json_is_true(json_object_get(r.json, "awaiting")));
  wc_done(&r);
  /* Refusals that change nothing: no CSRF token, a wrong one, another role,
   * no org, an unknown org, an offer of another org. */
  char before[65], after[65];
  wc_digest(&E, before);
  wc_request(&r, &E, &S_COORD, "POST", "/demandes/" REF "/orientation", NULL, "application/x-www-form-urlencoded",
             "org=atd31", 9);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  post_refused(&S_COORD, "/demandes/" REF "/orientation",
               "csrf=0000000000000000000000000000000000000000000000000000000000000000&org=atd31", 403, NULL);
  post_refused(&S_CHEF, "/demandes/" REF "/orientation", "org=atd31", 403, "réservée à la coordination");
  post_refused(&S_COORD, "/demandes/" REF "/orientation", "org=", 422, "Choisissez la structure");
  post_refused(&S_COORD, "/demandes/" REF "/orientation", "org=inconnue", 422, "inconnue");
  post_refused(&S_COORD, "/demandes/" REF "/orientation", "org=caue31&offer=atd-voirie", 422, NULL);
  post_refused(&S_COORD, "/demandes/2026-999999/orientation", "org=atd31", 404, NULL);
  /* One click: proposed as lead, qualification done, the request moves on. */
  wc_post_form(&r, &E, &S_COORD, "/demandes/" REF "/orientation", "org=atd31&offer=atd-voirie");
  assert_int_equal(r.status, 303);
  char v[256];
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/demandes/" REF "?avis=orientee");
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM part p JOIN request r ON r.id = p.request JOIN org g ON g.id = p.org "
                         "WHERE r.ref = '" REF "' AND g.slug = 'atd31' AND p.role = 'lead' AND p.state = 'proposed'"),
                   1);
  assert_int_equal(count("SELECT count(*) FROM request WHERE ref = '" REF "' AND status = 'En qualification'"), 0);
  assert_int_equal(count("SELECT count(*) FROM task t JOIN instance i ON i.id = t.instance JOIN request r ON "
                         "r.id = i.request WHERE r.ref = '" REF "' AND t.element = 'qualifier' AND t.state = 'open'"),
                   0);
  /* Oriented once: the page says so, a second click is refused. */
  get_status(&S_COORD, "/demandes/" REF "/orientation", 200, "n'attend pas d'orientation de la coordination");
  post_refused(&S_COORD, "/demandes/" REF "/orientation", "org=caue31", 409, "n&#39;attend pas d&#39;orientation");
  /* Two more for the queue. */
  post_status(&S_COORD, "/demandes/" REF2 "/orientation", "org=atd31", 303, NULL);
  post_status(&S_ADMIN, "/demandes/" REF3 "/orientation", "org=atd31", 303, NULL);
}

static int64_t part_state_is(const char *ref, const char *org, const char *state) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM part p JOIN request r ON r.id = p.request JOIN org g ON g.id = p.org "
           "WHERE r.ref = '%s' AND g.slug = '%s' AND p.state = '%s'",
           ref, org, state);
  return count(sql);
}

static void queue_moves(void **state) {
  (void)state;
  struct wc_reply r;
  wc_get(&r, &E, &S_CHEF, "/file");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<caption>Demandes de la file de Haute-Garonne Ingénierie – ATD 31</caption>");
  wc_assert_has(&r, "id=\"ligne-" REF "\"");
  wc_assert_has(&r, "action=\"/file/" REF "/accepter\"");
  wc_assert_has(&r, "Confirmer le refus");
  wc_assert_has(&r, "<label for=\"motif-" REF "\">Motif du refus</label>");
  wc_assert_has(&r, "<label for=\"state\">État</label>");
  wc_done(&r);
  /* The JSON view model. */
  wc_get_json(&r, &E, &S_CHEF, "/file");
  assert_int_equal(r.status, 200);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "org"), "slug")), "atd31");
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 3);
  assert_true(json_is_true(json_object_get(json_array_get(json_object_get(r.json, "items"), 0), "can_accept")));
  wc_done(&r);
  /* The agent sees the parts but cannot accept them. */
  wc_get(&r, &E, &S_AGENT, "/file");
  wc_assert_has(&r, "id=\"ligne-" REF "\"");
  wc_assert_lacks(&r, "/accepter\"");
  wc_done(&r);
  /* Refused, base unchanged: no token, wrong token, the agent, another org's
   * head (for its own org or naming ours), an empty reason. */
  char before[65], after[65];
  wc_digest(&E, before);
  wc_request(&r, &E, &S_CHEF, "POST", "/file/" REF "/accepter", NULL, "application/x-www-form-urlencoded", "", 0);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  post_refused(&S_CHEF, "/file/" REF "/accepter",
               "csrf=1111111111111111111111111111111111111111111111111111111111111111", 403, NULL);
  post_refused(&S_AGENT, "/file/" REF "/accepter", "", 403, NULL);
  post_refused(&S_CAUE, "/file/" REF "/accepter", "", 403, NULL);
  post_refused(&S_CAUE, "/file/" REF "/accepter", "org=atd31", 403, NULL);
  post_refused(&S_MAYOR, "/file/" REF "/accepter", "org=atd31", 403, NULL);
  post_refused(&S_CHEF, "/file/" REF "/decliner", "reason=", 422, "Le motif du refus est obligatoire");
  post_refused(&S_CHEF, "/file/" REF "/demarrer", "", 409, NULL);
  /* Accepted without JavaScript: back to the queue with a notice. */
  wc_post_form(&r, &E, &S_CHEF, "/file/" REF "/accepter", "");
  assert_int_equal(r.status, 303);
  char v[256];
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/file?avis=acceptee&ref=" REF);
  wc_done(&r);
  assert_int_equal(part_state_is(REF, "atd31", "accepted"), 1);
  get_status(&S_CHEF, "/file?avis=acceptee&ref=" REF, 200, "La demande " REF " a été acceptée.");
  get_status(&S_CHEF, "/file?avis=%3Cscript%3E", 200, NULL);
  /* Assigning: an unknown agent is refused with the form again, then the agent. */
  post_refused(&S_CHEF, "/file/" REF "/assigner", "agent=personne%40appui.example", 422, "id=\"erreur-" REF "\"");
  post_refused(&S_CHEF, "/file/" REF "/assigner", "agent=" "chef.caue31%40appui.example", 422, NULL);
  post_status(&S_CHEF, "/file/" REF "/assigner", "agent=agent.atd31%40appui.example", 303, NULL);
  assert_int_equal(count("SELECT count(*) FROM part p JOIN user u ON u.id = p.agent JOIN request r ON r.id = p.request "
                         "WHERE r.ref = '" REF "' AND u.email = '" AGENT "'"),
                   1);
  /* « Mes dossiers » of the agent. */
  wc_get_json(&r, &E, &S_AGENT, "/file?mine=1");
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
  assert_true(json_is_true(json_object_get(r.json, "mine")));
  wc_done(&r);
  get_status(&S_AGENT, "/file?mine=1", 200, "action=\"/file/" REF "/demarrer\"");
  /* The agent starts (htmx: the row comes back, and the status message). */
  post_htmx(&r, &S_AGENT, "/file/" REF "/demarrer", "");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<tr id=\"ligne-" REF "\"");
  wc_assert_has(&r, "En cours");
  wc_assert_has(&r, "id=\"file-avis\" role=\"status\" aria-live=\"polite\" hx-swap-oob=\"true\"");
  wc_assert_has(&r, "a été démarrée");
  wc_assert_has(&r, "action=\"/file/" REF "/terminer\"");
  wc_assert_lacks(&r, "<html");
  wc_done(&r);
  assert_int_equal(part_state_is(REF, "atd31", "in_progress"), 1);
  /* htmx refusal: the row with the message, nothing changed. */
  wc_digest(&E, before);
  post_htmx(&r, &S_AGENT, "/file/" REF "/demarrer", "");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "role=\"alert\"");
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  post_htmx(&r, &S_AGENT, "/file/" REF "/terminer", "");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "Terminée");
  wc_done(&r);
  assert_int_equal(part_state_is(REF, "atd31", "done"), 1);
}

static void decline_and_hand_over(void **state) {
  (void)state;
  struct wc_reply r;
  /* A reason with markup is kept as text. */
  post_status(&S_CHEF, "/file/" REF2 "/decliner", "reason=%3Cscript%3Ealert(1)%3C%2Fscript%3E+hors+de+nos+missions",
              303, NULL);
  assert_int_equal(part_state_is(REF2, "atd31", "declined"), 1);
  wc_get(&r, &E, &S_CHEF, "/file?state=declined");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "&lt;script&gt;alert(1)&lt;/script&gt; hors de nos missions");
  wc_assert_lacks(&r, "<script>alert");
  wc_done(&r);
  /* Handing over: unknown org and missing org refused, then to the CAUE. */
  post_refused(&S_CHEF, "/file/" REF3 "/transmettre", "to=", 422, "Choisissez la structure qui reprend");
  post_refused(&S_CHEF, "/file/" REF3 "/transmettre", "to=inconnue", 422, NULL);
  post_refused(&S_CHEF, "/file/" REF3 "/transmettre", "to=caue31&offer=atd-voirie", 422, NULL);
  wc_get(&r, &E, &S_CHEF, "/file");
  wc_assert_has(&r, "<label for=\"to-" REF3 "\">Structure</label>");
  wc_assert_has(&r, "<label for=\"offre-" REF3 "\">Offre (facultatif)</label>");
  wc_assert_has(&r, "<option value=\"caue-architecture\">Conseil en architecture et aménagement</option>");
  wc_done(&r);
  post_htmx(&r, &S_CHEF, "/file/" REF3 "/transmettre", "to=caue31&offer=caue-architecture");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "n'est plus dans la file");
  wc_done(&r);
  assert_int_equal(part_state_is(REF3, "caue31", "proposed"), 1);
  assert_int_equal(count("SELECT count(*) FROM part p JOIN offer f ON f.id = p.offer JOIN request r ON r.id = p.request "
                         "WHERE r.ref = '" REF3 "' AND f.slug = 'caue-architecture'"),
                   1);
  get_status(&S_CAUE, "/file", 200, "id=\"ligne-" REF3 "\"");
  /* A coordinator acts for an org through its queue (hidden field org). */
  get_status(&S_COORD, "/file?org=caue31", 200, "name=\"org\" value=\"caue31\"");
  post_status(&S_COORD, "/file/" REF3 "/accepter", "org=caue31", 303, NULL);
  assert_int_equal(part_state_is(REF3, "caue31", "accepted"), 1);
}

static void board_and_exports(void **state) {
  (void)state;
  struct wc_reply r;
  char v[512];
  wc_get(&r, &E, &S_COORD, "/tableau");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<label for=\"theme\">Thématique</label>");
  wc_assert_has(&r, "<label for=\"epci\">EPCI</label>");
  wc_assert_has(&r, "CC Coeur et Coteaux du Comminges");
  wc_assert_has(&r, "<label for=\"collectivity\">Commune (code INSEE)</label>");
  wc_assert_has(&r, "<label for=\"late\">Délai</label>");
  wc_assert_has(&r, "<h3>En qualification (");
  wc_assert_has(&r, "href=\"/demandes/" REF "\"");
  wc_assert_has(&r, "href=\"/tableau/export?format&#61;xlsx\""); /* '=' is escaped too */
  wc_done(&r);
  /* The JSON view model: columns and items follow the filters. */
  wc_get_json(&r, &E, &S_COORD, "/tableau?collectivity=31001");
  assert_int_equal(r.status, 200);
  json_t *items = json_object_get(r.json, "items");
  assert_true(json_array_size(items) >= 1);
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) assert_string_equal(json_string_value(json_object_get(it, "collectivity")), "Agassac");
  assert_true(json_array_size(json_object_get(r.json, "columns")) >= 1);
  wc_done(&r);
  get_status(&S_COORD, "/tableau?late=oui", 200, NULL);
  get_status(&S_COORD, "/tableau?theme=voirie&org=atd31", 200, "href=\"/tableau/export?format&#61;csv&amp;theme&#61;voirie&amp;org&#61;atd31\"");
  get_status(&S_COORD, "/tableau?theme=inconnue", 422, "id=\"tableau-erreur\"");
  /* The chosen filters stay selected in the form, and only they. */
  struct wc_reply sel;
  wc_get(&sel, &E, &S_COORD, "/tableau?theme=voirie&org=atd31");
  wc_assert_has(&sel, "<option value=\"voirie\" selected>");
  wc_assert_has(&sel, "<option value=\"atd31\" selected>");
  wc_assert_lacks(&sel, "<option value=\"caue31\" selected>");
  wc_done(&sel);
  wc_get(&sel, &E, &S_COORD, "/tableau");
  wc_assert_lacks(&sel, " selected>");
  wc_done(&sel);
  get_status(&S_COORD, "/tableau?late=peut-etre", 422, NULL);
  /* Pages: « Page suivante » carries the cursor. */
  get_status(&S_COORD, "/tableau?limit=0", 422, NULL);
  wc_get_json(&r, &E, &S_COORD, "/tableau?limit=10");
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 10);
  const char *next = json_string_value(json_object_get(r.json, "next_href"));
  assert_non_null(next);
  assert_non_null(strstr(next, "cursor="));
  assert_non_null(strstr(next, "limit=10"));
  assert_null(strstr(next, "&&"));
  char path[256];
  snprintf(path, sizeof path, "%s", next);
  wc_done(&r);
  get_status(&S_COORD, path, 200, NULL);
  /* htmx: the results only. */
  const char *hx[] = {"HX-Request: true", NULL};
  wc_request(&r, &E, &S_COORD, "GET", "/tableau?theme=voirie", hx, NULL, NULL, 0);
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<div id=\"tableau-resultats\" aria-live=\"polite\">");
  wc_assert_lacks(&r, "<html");
  wc_done(&r);
  /* A head sees the requests of its org only. */
  wc_get_json(&r, &E, &S_CAUE, "/tableau");
  assert_int_equal(r.status, 200);
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
  wc_done(&r);
  /* Exports of the view. */
  wc_get(&r, &E, &S_COORD, "/tableau/export?format=csv&collectivity=31001");
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(wc_header(&r, "Content-Disposition", v, sizeof v), "attachment"));
  assert_memory_equal(r.body, "\xEF\xBB\xBFRéférence;", strlen("\xEF\xBB\xBFRéférence;"));
  wc_assert_has(&r, REF);
  wc_assert_lacks(&r, REF2);
  wc_done(&r);
  wc_get(&r, &E, &S_COORD, "/tableau/export?format=xlsx");
  assert_int_equal(r.status, 200);
  assert_true(r.len > 100);
  assert_memory_equal(r.body, "PK", 2);
  assert_non_null(strstr(wc_header(&r, "Content-Disposition", v, sizeof v), "tableau-de-bord.xlsx"));
  wc_done(&r);
  get_status(&S_COORD, "/tableau/export?format=pdf", 422, "csv ou xlsx");
  get_status(&S_COORD, "/tableau/export", 422, NULL);
  get_status(&S_CHEF, "/tableau/export?format=csv", 200, NULL);
}

static void statistics(void **state) {
  (void)state;
  struct wc_reply r;
  wc_get(&r, &E, &S_COORD, "/statistiques");
  assert_int_equal(r.status, 200);
  char *chart = strstr(r.body, "<script src=\"/static/chart.umd.min.js\" defer></script>");
  char *mod = strstr(r.body, "<script src=\"/static/stats.js\" type=\"module\"></script>");
  assert_non_null(chart);
  assert_non_null(mod);
  assert_true(chart < mod);
  assert_true(mod < strstr(r.body, "/static/appui.js"));
  wc_assert_has(&r, "<script type=\"application/json\" id=\"stats-data\">{");
  wc_assert_has(&r, "<canvas id=\"graphique-mois\" data-chart=\"months\" role=\"img\" aria-label=\"");
  wc_assert_has(&r, "<caption>Demandes par thématique</caption>");
  wc_assert_has(&r, "<caption>Délais par structure (depuis le dépôt)</caption>");
  wc_assert_has(&r, "Haute-Garonne Ingénierie – ATD 31");
  wc_done(&r);
  wc_get_json(&r, &E, &S_COORD, "/statistiques?theme=voirie");
  assert_int_equal(r.status, 200);
  assert_true(json_integer_value(json_object_get(r.json, "total")) >= 1);
  json_t *data = json_loads(json_string_value(json_object_get(r.json, "stats_json")), 0, NULL);
  assert_non_null(data);
  assert_true(json_array_size(json_object_get(json_object_get(data, "months"), "labels")) >= 1);
  json_decref(data);
  wc_done(&r);
  get_status(&S_COORD, "/statistiques?theme=inconnue", 422, "role=\"alert\"");
  /* A name that would end the script element stays inside the JSON. */
  char *err = NULL;
  int rc = sqlite3_exec(db_sqlite(E.db), "UPDATE org SET name = 'ATD </script><script>alert(1)</script>' WHERE slug = 'atd31'",
                        NULL, NULL, &err);
  assert_int_equal(rc, SQLITE_OK);
  wc_get(&r, &E, &S_COORD, "/statistiques");
  assert_int_equal(r.status, 200);
  wc_assert_lacks(&r, "</script><script>alert");
  wc_assert_has(&r, "ATD \\u003c/script\\u003e\\u003cscript\\u003ealert(1)");
  wc_assert_has(&r, "ATD &lt;/script&gt;&lt;script&gt;alert(1)");
  wc_done(&r);
  rc = sqlite3_exec(db_sqlite(E.db), "UPDATE org SET name = 'Haute-Garonne Ingénierie – ATD 31' WHERE slug = 'atd31'",
                    NULL, NULL, &err);
  assert_int_equal(rc, SQLITE_OK);
}

static void incidents(void **state) {
  (void)state;
  /* An open incident on the instance of a request. */
  char *err = NULL;
  int rc = sqlite3_exec(db_sqlite(E.db),
                        "INSERT INTO incident (instance, token, element, kind, message, created_at) "
                        "SELECT i.id, NULL, 'repartir', 'job', 'connecteur <injoignable>', 1790000000000 "
                        "FROM instance i JOIN request r ON r.id = i.request WHERE r.ref = '" REF2 "'",
                        NULL, NULL, &err);
  assert_int_equal(rc, SQLITE_OK);
  int64_t id = count("SELECT max(id) FROM incident");
  struct wc_reply r;
  wc_get(&r, &E, &S_COORD, "/incidents");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<caption>Incidents ouverts</caption>");
  wc_assert_has(&r, "Tâche automatique en échec");
  wc_assert_has(&r, "connecteur &lt;injoignable&gt;");
  wc_assert_has(&r, "href=\"/demandes/" REF2 "\"");
  wc_assert_has(&r, ">Relancer</button>");
  wc_done(&r);
  wc_get_json(&r, &E, &S_ADMIN, "/incidents");
  assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
  wc_done(&r);
  char path[64];
  snprintf(path, sizeof path, "/incidents/%lld/relancer", (long long)id);
  post_refused(&S_COORD, path, "csrf=2222222222222222222222222222222222222222222222222222222222222222", 403, NULL);
  post_refused(&S_CHEF, path, "", 403, NULL);
  post_refused(&S_COORD, "/incidents/999999/relancer", "", 404, NULL);
  post_refused(&S_COORD, "/incidents/abc/relancer", "", 404, NULL);
  struct wc_reply p;
  wc_post_form(&p, &E, &S_COORD, path, "");
  assert_int_equal(p.status, 303);
  char v[128];
  assert_string_equal(wc_header(&p, "Location", v, sizeof v), "/incidents?avis=relance");
  wc_done(&p);
  get_status(&S_COORD, "/incidents?avis=relance", 200, "L&#39;incident a été relancé");
  get_status(&S_COORD, "/incidents", 200, "Aucun incident ouvert");
  post_refused(&S_COORD, path, "", 409, "déjà résolu");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pages_by_role),
      cmocka_unit_test(orientation_explains_and_dispatches),
      cmocka_unit_test(queue_moves),
      cmocka_unit_test(decline_and_hand_over),
      cmocka_unit_test(board_and_exports),
      cmocka_unit_test(statistics),
      cmocka_unit_test(incidents),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
