/* Tests of web/page_request.c: the list of requests, the filing form (with
 * suggested offers, a document, all or nothing), a request's page per role
 * (another collectivity's request refused, internal notes hidden from
 * requesters, scripts shown as text), messages, documents (upload checked
 * from the content, download as an attachment), the answer to a request for
 * documents, the process diagram, and CSRF on every POST, over real HTTP
 * against the demo platform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "fixture.h"
#include "user.h"
#include "webclient.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wc_env E;

#define MAYOR "maire@agassac.example" /* commune 31001 */
#define MURET "secretariat@muret.example"
#define COORD "coordination@appui.example"
#define AGENT "agent.atd31@appui.example"
#define HEAD "chef.atd31@appui.example"
#define ADMIN "admin@appui.example"
#define AGASSAC_REF "2026-000034" /* a request of Agassac in the demo */
#define AGASSAC_REF2 "2026-000009"
#define MURET_REF "2026-000006"   /* a request of Muret */
#define WRONG_CSRF "0000000000000000000000000000000000000000000000000000000000000000"

static const char pdf[] = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

static int setup(void **state) {
  (void)state;
  wc_start(&E);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wc_stop(&E);
  return 0;
}

static int64_t count(const char *sql) { return fixture_int(E.db, sql); }

/* Number of files in the blob store. */
static long blobs(void) {
  char out[64] = "";
  fixture_sh(out, sizeof out, "find '%s' -type f -path '*blobs*' | wc -l", E.dir);
  return atol(out);
}

static void list_of_requests(void **state) {
  (void)state;
  struct wc_reply r;
  char v[512];
  wc_get(&r, &E, NULL, "/demandes");
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/connexion?suite=/demandes");
  wc_done(&r);
  struct wc_session s;
  wc_login(&s, &E, MAYOR);
  wc_get(&r, &E, &s, "/demandes");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<h1>Mes demandes</h1>");
  wc_assert_has(&r, "<caption>Les demandes visibles");
  wc_assert_has(&r, "<a href=\"/demandes/" AGASSAC_REF "\">" AGASSAC_REF "</a>");
  wc_assert_lacks(&r, MURET_REF); /* another collectivity's */
  wc_assert_has(&r, "<th scope=\"col\">Statut</th>");
  wc_done(&r);
  wc_get_json(&r, &E, &s, "/demandes");
  assert_int_equal(r.status, 200);
  json_t *items = json_object_get(r.json, "requests");
  assert_true(json_array_size(items) >= 2);
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    assert_string_equal(json_string_value(json_object_get(json_object_get(it, "collectivity"), "code")), "31001");
  }
  wc_done(&r);
  /* Filters: theme, status, text; a bad cursor is a clear 422. */
  wc_get(&r, &E, &s, "/demandes?status=En+qualification&theme=&q=");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<option value=\"En qualification\" selected>");
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes?q=%3Cscript%3E");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "value=\"&lt;script&gt;\"");
  wc_assert_lacks(&r, "<script>");
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes?cursor=abc");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "curseur");
  wc_done(&r);
  /* The coordinator sees them all, 20 a page, with a next page. */
  wc_login(&s, &E, COORD);
  wc_get_json(&r, &E, &s, "/demandes?theme=");
  assert_int_equal(json_array_size(json_object_get(r.json, "requests")), 20);
  const char *next = json_string_value(json_object_get(r.json, "next_href"));
  assert_non_null(next);
  char path[256];
  snprintf(path, sizeof path, "%s", next);
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes");
  wc_assert_has(&r, ">Page suivante</a>");
  wc_done(&r);
  wc_get_json(&r, &E, &s, path);
  assert_int_equal(r.status, 200);
  assert_true(json_array_size(json_object_get(r.json, "requests")) >= 16);
  wc_done(&r);
  /* Staff see their org's requests (none of Muret's before it is proposed to them); admins everything. */
  const char *others[] = {HEAD, AGENT, ADMIN};
  for (int k = 0; k < 3; k++) {
    wc_login(&s, &E, others[k]);
    wc_get(&r, &E, &s, "/demandes");
    assert_int_equal(r.status, 200);
    wc_assert_has(&r, "<h1>Demandes</h1>");
    if (k < 2) wc_assert_lacks(&r, ">" MURET_REF "<");
    else wc_assert_has(&r, ">" AGASSAC_REF "<");
    wc_done(&r);
  }
  wc_get(&r, &E, NULL, "/demandes/nouvelle");
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/connexion?suite=/demandes/nouvelle");
  wc_done(&r);
}

static void request_page_per_role(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session s;
  char v[512];
  wc_get(&r, &E, NULL, "/demandes/" AGASSAC_REF);
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/connexion?suite=/demandes/" AGASSAC_REF);
  wc_done(&r);
  wc_login(&s, &E, MAYOR);
  wc_get(&r, &E, &s, "/demandes/" AGASSAC_REF);
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "id=\"statut\">En qualification<");
  wc_assert_has(&r, ">Qui intervient</h2>");
  wc_assert_has(&r, ">Échanges</h2>");
  wc_assert_has(&r, ">Documents</h2>");
  wc_assert_has(&r, ">Déroulement</h2>");
  wc_assert_has(&r, "Demande déposée");
  wc_assert_has(&r, "<form method=\"post\" action=\"/demandes/" AGASSAC_REF "/messages\" id=\"message\"");
  wc_assert_has(&r, "<label for=\"message-body\">Votre message");
  wc_assert_lacks(&r, "name=\"visibility\""); /* requesters write to everyone */
  wc_assert_has(&r, "<label for=\"document-ajout\">Ajouter un document</label>");
  wc_assert_has(&r, "data-bpmn=\"/demandes/" AGASSAC_REF "/circuit.bpmn\" data-active=\"qualifier\"");
  wc_assert_lacks(&r, "Orienter la demande");
  wc_assert_lacks(&r, "<script>");
  wc_assert_lacks(&r, " style=\"");
  wc_done(&r);
  /* JSON view model. */
  wc_get_json(&r, &E, &s, "/demandes/" AGASSAC_REF);
  assert_int_equal(r.status, 200);
  json_t *req = json_object_get(r.json, "request");
  assert_string_equal(json_string_value(json_object_get(req, "ref")), AGASSAC_REF);
  assert_string_equal(json_string_value(json_object_get(r.json, "title")),
                      json_string_value(json_object_get(req, "title")));
  assert_true(json_array_size(json_object_get(r.json, "timeline")) >= 3);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "diagram"), "active")), "qualifier");
  assert_null(json_object_get(r.json, "may_note"));
  wc_done(&r);
  /* Another collectivity's request, by URL: refused; unknown ones: 404. */
  wc_get(&r, &E, &s, "/demandes/" MURET_REF);
  assert_int_equal(r.status, 403);
  wc_assert_lacks(&r, "id=\"statut\"");
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes/" MURET_REF "/circuit.bpmn");
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes/2026-999999");
  assert_int_equal(r.status, 404);
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes/pas-une-reference");
  assert_int_equal(r.status, 404);
  wc_done(&r);
  /* The process definition for the diagram. */
  wc_get(&r, &E, &s, "/demandes/" AGASSAC_REF "/circuit.bpmn");
  assert_int_equal(r.status, 200);
  assert_string_equal(wc_header(&r, "Content-Type", v, sizeof v), "application/xml");
  wc_assert_has(&r, "<bpmn:process id=\"demande-appui\"");
  wc_done(&r);
  /* The coordinator: the orientation link and the note radios. */
  wc_login(&s, &E, COORD);
  wc_get(&r, &E, &s, "/demandes/" MURET_REF);
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "href=\"/demandes/" MURET_REF "/orientation\">Orienter la demande</a>");
  wc_assert_has(&r, "<label for=\"visibility-public\">Message au demandeur</label>");
  wc_assert_has(&r, "<label for=\"visibility-internal\">Note interne</label>");
  wc_done(&r);
  /* Staff of an org not on the request: refused. */
  wc_login(&s, &E, AGENT);
  wc_get(&r, &E, &s, "/demandes/" MURET_REF);
  assert_int_equal(r.status, 403);
  wc_done(&r);
}

static void messages_and_internal_notes(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session mayor, coord, bare;
  char before[65], after[65], v[512];
  wc_login(&mayor, &E, MAYOR);
  wc_login(&coord, &E, COORD);
  /* CSRF: missing or wrong → 403, nothing written. */
  wc_digest(&E, before);
  bare = mayor;
  bare.csrf[0] = 0;
  wc_post_form(&r, &E, &bare, "/demandes/" AGASSAC_REF "/messages", "body=Bonjour");
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_post_form(&r, &E, &mayor, "/demandes/" AGASSAC_REF "/messages", "csrf=" WRONG_CSRF "&body=Bonjour");
  assert_int_equal(r.status, 403);
  wc_done(&r);
  /* Another collectivity's request. */
  wc_post_form(&r, &E, &mayor, "/demandes/" MURET_REF "/messages", "body=Intrusion");
  assert_int_equal(r.status, 403);
  wc_done(&r);
  /* Empty: 422, the form again. Too long: 422 with the text kept. */
  wc_post_form(&r, &E, &mayor, "/demandes/" AGASSAC_REF "/messages", "body=");
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "id=\"erreur-message\"");
  wc_assert_has(&r, "aria-describedby=\"erreur-message\"");
  wc_done(&r);
  static char big[12100];
  strcpy(big, "body=");
  memset(big + 5, 'a', 12000);
  big[12005] = 0;
  wc_post_form(&r, &E, &mayor, "/demandes/" AGASSAC_REF "/messages", big);
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, big + 5); /* every character kept */
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  /* A script in a message is shown as text. */
  wc_post_form(&r, &E, &mayor, "/demandes/" AGASSAC_REF "/messages",
               "body=%3Cscript%3Ealert(1)%3C%2Fscript%3E+Merci");
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/demandes/" AGASSAC_REF "?avis=message#echanges");
  wc_done(&r);
  wc_get(&r, &E, &mayor, "/demandes/" AGASSAC_REF "?avis=message");
  wc_assert_has(&r, "role=\"status\"><p>Votre message a été envoyé.</p>");
  wc_assert_has(&r, "&lt;script&gt;alert(1)&lt;/script&gt; Merci");
  wc_assert_lacks(&r, "<script>alert");
  wc_assert_has(&r, "<strong>Mairie d&#39;Agassac</strong>");
  wc_done(&r);
  /* The coordinator writes an internal note (htmx: the section comes back). */
  const char *hx[] = {"HX-Request: true", NULL};
  char body[256];
  snprintf(body, sizeof body, "csrf=%s&visibility=internal&body=Dossier+incomplet+selon+ATD", coord.csrf);
  wc_request(&r, &E, &coord, "POST", "/demandes/" AGASSAC_REF "/messages", hx, "application/x-www-form-urlencoded",
             body, strlen(body));
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<section aria-labelledby=\"titre-echanges\" id=\"echanges\">");
  wc_assert_has(&r, "Dossier incomplet selon ATD");
  wc_assert_has(&r, "Note interne</span>");
  wc_assert_lacks(&r, "<html");
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM message WHERE visibility = 'internal' AND body = 'Dossier incomplet selon ATD'"), 1);
  /* With htmx, a refused message comes back in the section, its text kept. */
  snprintf(body, sizeof body, "csrf=%s&visibility=internal&body=", coord.csrf);
  wc_request(&r, &E, &coord, "POST", "/demandes/" AGASSAC_REF "/messages", hx, "application/x-www-form-urlencoded",
             body, strlen(body));
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "id=\"erreur-message\"");
  wc_assert_has(&r, "id=\"visibility-internal\" name=\"visibility\" value=\"internal\" checked");
  wc_done(&r);
  /* …never shown to the requester, nor in its JSON view. */
  wc_get(&r, &E, &mayor, "/demandes/" AGASSAC_REF);
  assert_int_equal(r.status, 200);
  wc_assert_lacks(&r, "Dossier incomplet selon ATD");
  wc_assert_lacks(&r, "Note interne");
  wc_done(&r);
  wc_get_json(&r, &E, &mayor, "/demandes/" AGASSAC_REF);
  char *dump = json_dumps(r.json, 0);
  assert_null(strstr(dump, "Dossier incomplet"));
  assert_null(strstr(dump, "internal"));
  free(dump);
  wc_done(&r);
  wc_get(&r, &E, &coord, "/demandes/" AGASSAC_REF);
  wc_assert_has(&r, "Dossier incomplet selon ATD");
  wc_done(&r);
}

/* Posts the filing form as `s` with a document (or none when name is NULL). */
static void file_form(struct wc_reply *r, const struct wc_session *s, const char *title, const char *theme,
                      const char *fname, const char *ftype, const char *data, size_t len) {
  struct wc_part parts[8] = {
      {"title", title, 0, NULL, NULL},
      {"description", "Chaussée dégradée sur 300 m, <b>urgent</b> avant l'hiver.", 0, NULL, NULL},
      {"themes", theme, 0, NULL, NULL},
      {"offer", "atd-voirie", 0, NULL, NULL},
  };
  int n = 4;
  if (fname) parts[n++] = (struct wc_part){"document", data, len, fname, ftype};
  wc_post_multipart(r, &E, s, "/demandes", parts, n);
}

static void filing_end_to_end(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session s;
  char v[512];
  wc_login(&s, &E, MAYOR);
  wc_get(&r, &E, &s, "/demandes/nouvelle?offer=atd-voirie");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<form method=\"post\" action=\"/demandes\" enctype=\"multipart/form-data\" id=\"depot\"");
  wc_assert_has(&r, "<label for=\"title\">Objet de la demande");
  wc_assert_has(&r, "<label for=\"description\">Description du besoin");
  wc_assert_has(&r, "<legend>Thématiques</legend>");
  wc_assert_has(&r, "name=\"themes\" value=\"voirie\" checked> <label for=\"theme-voirie\">Voirie</label>");
  wc_assert_has(&r, "id=\"offres-suggerees\" aria-live=\"polite\"");
  wc_assert_has(&r, "value=\"atd-voirie\" checked>");
  wc_assert_has(&r, "<label for=\"document\">Pièce jointe (facultatif)</label>");
  wc_assert_has(&r, "name=\"action\" value=\"suggest\"");
  wc_assert_has(&r, ">Déposer la demande</button>");
  wc_done(&r);
  int64_t requests = count("SELECT count(*) FROM request"), instances = count("SELECT count(*) FROM instance");
  file_form(&r, &s, "<script>alert(1)</script> Réfection de la voirie", "voirie", "devis.pdf", "application/pdf", pdf,
            sizeof pdf - 1);
  assert_int_equal(r.status, 303);
  const char *loc = wc_header(&r, "Location", v, sizeof v);
  assert_non_null(loc);
  assert_non_null(strstr(loc, "?avis=deposee"));
  char path[128];
  snprintf(path, sizeof path, "%s", loc);
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM request"), requests + 1);
  assert_int_equal(count("SELECT count(*) FROM instance"), instances + 1);
  assert_int_equal(count("SELECT count(*) FROM request r JOIN instance i ON i.request = r.id JOIN attachment a ON "
                         "a.request = r.id WHERE r.id = (SELECT max(id) FROM request) AND r.collectivity = '31001' "
                         "AND a.name = 'devis.pdf' AND a.media_type = 'application/pdf'"),
                   1);
  wc_get(&r, &E, &s, path);
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "class=\"notice success\" role=\"status\"><p>Votre demande a été déposée.");
  wc_assert_has(&r, "<h1>&lt;script&gt;alert(1)&lt;/script&gt; Réfection de la voirie</h1>");
  wc_assert_lacks(&r, "<script>alert");
  wc_assert_has(&r, "&lt;b&gt;urgent&lt;/b&gt;");
  wc_assert_has(&r, ">devis.pdf</a>");
  wc_done(&r);
}

static void bad_filings_keep_nothing(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session s, bare, agent;
  char before[65], after[65];
  wc_login(&s, &E, MAYOR);
  wc_login(&agent, &E, AGENT); /* logins are journaled: before the digest */
  wc_digest(&E, before);
  long files = blobs();
  assert_true(files > 0); /* the filing before stored one */
  /* A program disguised as a PDF, HTML disguised as a PNG: 415, nothing filed, values kept. */
  static const char elf[] = "\x7f" "ELF\x02\x01\x01\x00 binaire";
  file_form(&r, &s, "Devis piégé", "voirie", "devis.pdf", "application/pdf", elf, sizeof elf - 1);
  assert_int_equal(r.status, 415);
  wc_assert_has(&r, "role=\"alert\"");
  wc_assert_has(&r, "la demande n&#39;a pas été déposée");
  wc_assert_has(&r, "value=\"Devis piégé\"");
  wc_assert_has(&r, "name=\"themes\" value=\"voirie\" checked>");
  wc_assert_has(&r, "aria-describedby=\"aide-document erreur-document\"");
  wc_done(&r);
  static const char html[] = "<html><script>alert(1)</script></html>";
  file_form(&r, &s, "Photo", "voirie", "photo.png", "image/png", html, sizeof html - 1);
  assert_int_equal(r.status, 415);
  wc_done(&r);
  /* Too large: 413. */
  size_t big = 10u * 1024u * 1024u + 1u;
  char *data = malloc(big);
  assert_non_null(data);
  memset(data, 'x', big);
  memcpy(data, "%PDF-1.4\n", 9);
  file_form(&r, &s, "Plans", "voirie", "plans.pdf", "application/pdf", data, big);
  assert_int_equal(r.status, 413);
  wc_done(&r);
  free(data);
  /* Missing title: 422, the description kept. */
  file_form(&r, &s, "", "voirie", NULL, NULL, NULL, 0);
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "id=\"erreur-title\"");
  wc_assert_has(&r, "&lt;b&gt;urgent&lt;/b&gt; avant l&#39;hiver.</textarea>");
  wc_done(&r);
  /* Unknown theme. */
  file_form(&r, &s, "Objet", "pas-un-theme", NULL, NULL, NULL, 0);
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "id=\"erreur-themes\"");
  wc_done(&r);
  /* CSRF missing or wrong. */
  bare = s;
  bare.csrf[0] = 0;
  file_form(&r, &bare, "Sans jeton", "voirie", NULL, NULL, NULL, 0);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  struct wc_part parts[] = {{"csrf", WRONG_CSRF, 0, NULL, NULL}, {"title", "Jeton faux", 0, NULL, NULL},
                            {"description", "x", 0, NULL, NULL}, {"themes", "voirie", 0, NULL, NULL}};
  wc_post_multipart(&r, &E, &s, "/demandes", parts, 4);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  /* Suggesting offers (without JavaScript) files nothing. */
  struct wc_part sugg[] = {{"title", "Trottoirs", 0, NULL, NULL},
                           {"description", "Réfection des trottoirs", 0, NULL, NULL},
                           {"themes", "voirie", 0, NULL, NULL},
                           {"action", "suggest", 0, NULL, NULL}};
  wc_post_multipart(&r, &E, &s, "/demandes", sugg, 4);
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "value=\"atd-voirie\"> <label for=\"offer-atd-voirie\">Assistance technique en voirie communale — ");
  wc_assert_has(&r, "éligible");
  wc_assert_has(&r, "value=\"Trottoirs\"");
  wc_done(&r);
  /* Staff do not file: 403. */
  file_form(&r, &agent, "Par un agent", "voirie", NULL, NULL, NULL, 0);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  assert_int_equal(blobs(), files);
  wc_get(&r, &E, &agent, "/demandes/nouvelle");
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_login(&agent, &E, HEAD);
  wc_get(&r, &E, &agent, "/demandes/nouvelle");
  assert_int_equal(r.status, 403);
  wc_done(&r);
}

static void suggested_offers_fragment(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session s;
  wc_login(&s, &E, MAYOR);
  const char *hx[] = {"HX-Request: true", NULL};
  wc_request(&r, &E, &s, "GET", "/demandes/nouvelle/offres?themes=voirie&themes=energie&description=%C3%A9clairage",
             hx, NULL, NULL, 0);
  assert_int_equal(r.status, 200);
  wc_assert_lacks(&r, "<html");
  wc_assert_has(&r, "name=\"offer\" value=\"sdehg-eclairage\"");
  wc_assert_has(&r, "name=\"offer\" value=\"atd-voirie\"");
  wc_done(&r);
  wc_get_json(&r, &E, &s, "/demandes/nouvelle/offres?themes=numerique");
  assert_int_equal(r.status, 200);
  json_t *items = json_object_get(json_object_get(r.json, "offers"), "items");
  assert_true(json_array_size(items) >= 1);
  assert_non_null(strstr(json_string_value(json_object_get(json_array_get(items, 0), "words")), "éligible"));
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes/nouvelle/offres");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "Choisissez au moins une thématique");
  wc_done(&r);
  /* A coordinator chooses the collectivity; Toulouse is not eligible to the ATD. */
  wc_login(&s, &E, COORD);
  wc_get(&r, &E, &s, "/demandes/nouvelle");
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "<label for=\"collectivity\">Code de la collectivité");
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes/nouvelle/offres?themes=voirie&collectivity=31555");
  assert_int_equal(r.status, 200);
  wc_assert_lacks(&r, "value=\"atd-voirie\"");
  wc_assert_has(&r, "Assistance technique en voirie communale — Haute-Garonne Ingénierie – ATD 31 : non éligible");
  wc_done(&r);
  wc_login(&s, &E, AGENT);
  wc_get(&r, &E, &s, "/demandes/nouvelle/offres?themes=voirie");
  assert_int_equal(r.status, 403);
  wc_done(&r);
}

static void documents(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session s, bare, muret;
  char before[65], after[65], v[512];
  wc_login(&s, &E, MAYOR);
  wc_login(&muret, &E, MURET);
  wc_digest(&E, before);
  bare = s;
  bare.csrf[0] = 0;
  struct wc_part doc = {"document", pdf, sizeof pdf - 1, "délibération du conseil.pdf", "application/pdf"};
  wc_post_multipart(&r, &E, &bare, "/demandes/" AGASSAC_REF "/documents", &doc, 1);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  struct wc_part wrong[] = {{"csrf", WRONG_CSRF, 0, NULL, NULL}, doc};
  wc_post_multipart(&r, &E, &s, "/demandes/" AGASSAC_REF "/documents", wrong, 2);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_post_multipart(&r, &E, &muret, "/demandes/" AGASSAC_REF "/documents", &doc, 1);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  struct wc_part exe = {"document", "MZ\x90\x00 programme", 13, "devis.pdf", "application/pdf"};
  wc_post_multipart(&r, &E, &s, "/demandes/" AGASSAC_REF "/documents", &exe, 1);
  assert_int_equal(r.status, 415);
  wc_assert_has(&r, "id=\"erreur-document\"");
  wc_assert_has(&r, "Document refusé");
  wc_done(&r);
  struct wc_part none = {"title", "x", 0, NULL, NULL};
  wc_post_multipart(&r, &E, &s, "/demandes/" AGASSAC_REF "/documents", &none, 1);
  assert_int_equal(r.status, 422);
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  /* Accepted, then downloaded as an attachment with a safe name. */
  wc_post_multipart(&r, &E, &s, "/demandes/" AGASSAC_REF "/documents", &doc, 1);
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/demandes/" AGASSAC_REF "?avis=document#documents");
  wc_done(&r);
  int64_t id = count("SELECT max(id) FROM attachment WHERE request = 2026000034");
  assert_true(id > 0);
  char path[128];
  snprintf(path, sizeof path, "/demandes/" AGASSAC_REF "/documents/%lld", (long long)id);
  wc_get(&r, &E, &s, "/demandes/" AGASSAC_REF);
  char link[300];
  snprintf(link, sizeof link, "<a href=\"%s\">délibération du conseil.pdf</a>", path);
  wc_assert_has(&r, link);
  wc_done(&r);
  wc_get(&r, &E, &s, path);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, sizeof pdf - 1);
  assert_memory_equal(r.body, pdf, sizeof pdf - 1);
  assert_string_equal(wc_header(&r, "Content-Type", v, sizeof v), "application/pdf");
  assert_string_equal(wc_header(&r, "Content-Disposition", v, sizeof v),
                      "attachment; filename=\"d_lib_ration_du_conseil.pdf\"");
  assert_string_equal(wc_header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
  wc_done(&r);
  /* Another collectivity, a document of another request, an unknown one. */
  wc_get(&r, &E, &muret, path);
  assert_int_equal(r.status, 403);
  wc_done(&r);
  wc_get(&r, &E, NULL, path);
  assert_int_equal(r.status, 303);
  wc_done(&r);
  snprintf(path, sizeof path, "/demandes/" AGASSAC_REF2 "/documents/%lld", (long long)id);
  wc_get(&r, &E, &s, path);
  assert_int_equal(r.status, 404);
  wc_done(&r);
  wc_get(&r, &E, &s, "/demandes/" AGASSAC_REF "/documents/abc");
  assert_int_equal(r.status, 404);
  wc_done(&r);
}

static void answering_a_request_for_documents(void **state) {
  (void)state;
  /* The coordination finds the file incomplete (the qualification task, as
   * the process is driven from elsewhere), then the status job runs. */
  struct engine *eng;
  struct user coord;
  assert_int_equal(engine_new(&eng, E.db), 0);
  assert_int_equal(user_get_by_email(&coord, E.db, COORD), 0);
  int64_t task = count("SELECT t.id FROM task t JOIN instance i ON i.id = t.instance WHERE i.request = 2026000034 "
                       "AND t.element = 'qualifier' AND t.state = 'open'");
  assert_true(task > 0);
  json_t *vars = json_pack("{s:b, s:b}", "recevable", 1, "complet", 0);
  int64_t now = clock_now_ms();
  assert_int_equal(engine_complete_task(eng, &coord, task, vars, now), 0);
  json_decref(vars);
  assert_int_equal(engine_tick(NULL, NULL, eng, &coord, now), 0);
  engine_free(eng);
  assert_int_equal(count("SELECT count(*) FROM subscription s JOIN instance i ON i.id = s.instance "
                         "WHERE i.request = 2026000034 AND s.message = 'pieces-recues'"),
                   1);
  struct wc_reply r;
  struct wc_session s;
  char v[512];
  wc_login(&s, &E, MAYOR);
  wc_get(&r, &E, &s, "/demandes/" AGASSAC_REF);
  assert_int_equal(r.status, 200);
  wc_assert_has(&r, "id=\"statut\">En attente de la collectivité<");
  wc_assert_has(&r, "id=\"pieces-attendues\"");
  wc_assert_has(&r, "<strong>Pièces attendues :</strong>");
  wc_assert_has(&r, "name=\"pieces\" value=\"1\" checked");
  wc_assert_has(&r, "data-active=\"attente_pieces,pieces_recues\"");
  wc_done(&r);
  struct wc_part parts[] = {{"document", pdf, sizeof pdf - 1, "pieces.pdf", "application/pdf"},
                            {"pieces", "1", 0, NULL, NULL}};
  wc_post_multipart(&r, &E, &s, "/demandes/" AGASSAC_REF "/documents", parts, 2);
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/demandes/" AGASSAC_REF "?avis=pieces#documents");
  wc_done(&r);
  /* The process went on: back to qualification. */
  assert_int_equal(count("SELECT count(*) FROM subscription s JOIN instance i ON i.id = s.instance "
                         "WHERE i.request = 2026000034"),
                   0);
  assert_int_equal(count("SELECT count(*) FROM task t JOIN instance i ON i.id = t.instance WHERE i.request = "
                         "2026000034 AND t.element = 'qualifier' AND t.state = 'open'"),
                   1);
  wc_get(&r, &E, &s, "/demandes/" AGASSAC_REF "?avis=pieces");
  wc_assert_has(&r, "la coordination est informée que les pièces demandées sont arrivées");
  wc_assert_has(&r, "id=\"statut\">En qualification<");
  wc_assert_lacks(&r, "id=\"pieces-attendues\"");
  wc_done(&r);
}

static void coordinator_files_for_a_collectivity(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session s;
  char v[512], before[65], after[65];
  wc_login(&s, &E, COORD);
  wc_digest(&E, before);
  struct wc_part bad[] = {{"collectivity", "99999", 0, NULL, NULL}, {"title", "Pour une commune", 0, NULL, NULL},
                          {"description", "Besoin", 0, NULL, NULL}, {"themes", "voirie", 0, NULL, NULL}};
  wc_post_multipart(&r, &E, &s, "/demandes", bad, 4);
  assert_int_equal(r.status, 422);
  wc_assert_has(&r, "id=\"erreur-collectivity\"");
  wc_assert_has(&r, "name=\"collectivity\" value=\"99999\"");
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  bad[0].value = "31395"; /* Muret */
  wc_post_multipart(&r, &E, &s, "/demandes", bad, 4);
  assert_int_equal(r.status, 303);
  assert_non_null(strstr(wc_header(&r, "Location", v, sizeof v), "?avis=deposee"));
  wc_done(&r);
  assert_int_equal(count("SELECT count(*) FROM request WHERE id = (SELECT max(id) FROM request) AND collectivity = "
                         "'31395' AND title = 'Pour une commune'"),
                   1);
}

static void an_expired_session_writes_nothing(void **state) {
  (void)state;
  struct wc_reply r;
  struct wc_session s;
  char v[512], before[65], after[65];
  wc_login(&s, &E, MAYOR);
  assert_int_equal(db_exec(E.db, "UPDATE session SET created_at = 0, last_seen = 0 WHERE user = (SELECT id FROM user "
                                 "WHERE email = 'maire@agassac.example')"),
                   0);
  wc_digest(&E, before);
  wc_post_form(&r, &E, &s, "/demandes/" AGASSAC_REF "/messages", "body=Trop+tard");
  assert_int_equal(r.status, 303);
  assert_string_equal(wc_header(&r, "Location", v, sizeof v), "/connexion?expiree=1");
  wc_done(&r);
  file_form(&r, &s, "Trop tard", "voirie", NULL, NULL, NULL, 0);
  assert_int_equal(r.status, 303);
  wc_done(&r);
  wc_digest(&E, after);
  assert_string_equal(before, after);
  wc_get(&r, &E, &s, "/demandes/" AGASSAC_REF);
  assert_int_equal(r.status, 303);
  assert_non_null(strstr(wc_header(&r, "Location", v, sizeof v), "/connexion?suite=/demandes/" AGASSAC_REF));
  wc_done(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(list_of_requests),
      cmocka_unit_test(request_page_per_role),
      cmocka_unit_test(messages_and_internal_notes),
      cmocka_unit_test(filing_end_to_end),
      cmocka_unit_test(bad_filings_keep_nothing),
      cmocka_unit_test(suggested_offers_fragment),
      cmocka_unit_test(documents),
      cmocka_unit_test(answering_a_request_for_documents),
      cmocka_unit_test(coordinator_files_for_a_collectivity),
      cmocka_unit_test(an_expired_session_writes_nothing),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
