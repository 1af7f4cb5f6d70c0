/* page_catalog — the public catalogue and « Suis-je éligible ? » (see
 * page_catalog.h). */
#include "page_catalog.h"
#include "catalog.h"
#include "clock.h"
#include "err.h"
#include "match.h"
#include "page.h"
#include "perm.h"
#include "territory.h"
#include "theme.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void page_catalog_audience(char *out, size_t size, const json_t *audience) {
  static const struct {
    const char *kind, *words;
  } names[] = {{"commune", "communes"}, {"epci", "intercommunalités (EPCI)"}, {"syndicat", "syndicats"},
               {"departement", "départements"}, {"service", "services du Département"}};
  size_t n = json_array_size(audience), used = 0;
  out[0] = 0;
  if (!n) {
    snprintf(out, size, "communes et intercommunalités (EPCI)");
    return;
  }
  for (size_t i = 0; i < n && used < size; i++) {
    const char *kind = json_string_value(json_array_get(audience, i)), *words = kind;
    for (size_t k = 0; kind && k < sizeof names / sizeof names[0]; k++)
      if (!strcmp(names[k].kind, kind)) words = names[k].words;
    const char *sep = i == 0 ? "" : i + 1 == n ? " et " : ", ";
    int w = snprintf(out + used, size - used, "%s%s", sep, words ? words : "");
    if (w < 0) break;
    used += (size_t)w;
  }
}

/* « /connexion?suite=… » or the form itself, for the offer `slug`. */
static json_t *ask_href(const struct http_req *req, const char *slug) {
  char href[256];
  if (!req->authenticated) {
    snprintf(href, sizeof href, "/connexion?suite=%%2Fdemandes%%2Fnouvelle%%3Foffer%%3D%s", slug);
    return json_string(href);
  }
  /* Those who may file a request for their collectivity (or any): the permission rule says. */
  int may_file = !perm_file(&req->user, req->user.collectivity[0] ? req->user.collectivity : NULL);
  err_clear();
  if (may_file) {
    snprintf(href, sizeof href, "/demandes/nouvelle?offer=%s", slug);
    return json_string(href);
  }
  return json_null();
}

void page_catalog_decorate(json_t *offers, const json_t *labels, const struct http_req *req) {
  size_t i;
  json_t *o;
  json_array_foreach(offers, i, o) {
    char text[256];
    page_catalog_audience(text, sizeof text, json_object_get(o, "audience"));
    json_object_set_new(o, "audience_text", json_string(text));
    const json_t *per = json_object_get(o, "perimeter");
    const char *pname = json_string_value(json_object_get(per, "name"));
    json_object_set_new(o, "perimeter_text", json_string(pname ? pname : "tout le territoire"));
    const char *cond = json_string_value(json_object_get(o, "eligibility"));
    if (cond) {
      while (*cond == '=' || *cond == ' ') cond++;
      json_object_set_new(o, "condition_text", json_string(cond));
    }
    const char *slug = json_string_value(json_object_get(o, "slug"));
    json_t *href = slug ? ask_href(req, slug) : json_null();
    json_object_set_new(o, "ask_href", href);
    json_t *tl = json_array();
    size_t k;
    json_t *code;
    json_array_foreach(json_object_get(o, "themes"), k, code) {
      const json_t *label = json_object_get(labels, json_string_value(code));
      json_array_append_new(tl, json_pack("{s:O, s:O}", "code", code, "label", label ? label : code));
    }
    json_object_set_new(o, "theme_labels", tl);
  }
}

/* The eligibility of every offer for collectivity `commune` and the themes
 * `theme` (all when NULL), as {collectivity, eligible:[…], not_eligible:[…],
 * summary} in *out. Each entry: {offer, org, verdict, reasons:[text]}.
 * Returns what match_run returns. */
static int eligibility(json_t **out, struct db *db, const char *commune, const char *theme, const json_t *themes) {
  const char *codes[32];
  int n = 0;
  if (theme) {
    codes[n++] = theme;
  } else {
    size_t i;
    json_t *t;
    json_array_foreach(themes, i, t) {
      if (n < 32) codes[n++] = json_string_value(json_object_get(t, "code"));
    }
  }
  struct match_query q = {commune, codes, n, NULL, 0, NULL, -1, NULL};
  json_t *m;
  int rc = match_run(&m, db, &q, MATCH_EXPLAIN, 200, clock_now_ms());
  if (rc) return rc;
  json_t *yes = json_array(), *no = json_array();
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(m, "offers"), i, o) {
    json_array_append_new(yes, json_pack("{s:O, s:O, s:s, s:O}", "offer", json_object_get(o, "offer"), "org",
                                         json_object_get(o, "org"), "verdict", "Éligible", "reasons",
                                         json_object_get(o, "reasons")));
  }
  json_array_foreach(json_object_get(m, "excluded"), i, o) {
    json_array_append_new(no, json_pack("{s:O, s:O, s:s, s:[O]}", "offer", json_object_get(o, "offer"), "org",
                                        json_object_get(o, "org"), "verdict", "Non éligible", "reasons",
                                        json_object_get(o, "reason")));
  }
  *out = json_pack("{s:O, s:o, s:o, s:O}", "collectivity", json_object_get(m, "collectivity"), "eligible", yes,
                   "not_eligible", no, "summary", json_object_get(m, "summary"));
  json_decref(m);
  return 0;
}

int page_catalog_list(struct http_req *req, struct http_resp *resp) {
  const char *theme = http_query(req, "theme"), *commune = http_query(req, "commune");
  if (theme && !*theme) theme = NULL;
  json_t *labels = NULL, *themes = NULL, *offers = NULL, *v = NULL;
  int status = 200, rc = theme_labels(&labels, &themes, req->db);
  if (rc) goto done;
  if (theme && !json_object_get(labels, theme)) {
    rc = err_set(ERR_INVALID, "theme", "thématique inconnue : « %s »", theme);
    goto done;
  }
  if ((rc = catalog_offer_list(&offers, req->db, theme, NULL))) goto done;
  page_catalog_decorate(offers, labels, req);
  v = json_pack("{s:s, s:O}", "title", "Catalogue des offres d'appui", "themes", themes);
  /* The theme select, with the chosen one marked. */
  size_t i;
  json_t *t;
  json_array_foreach(themes, i, t) {
    const char *code = json_string_value(json_object_get(t, "code"));
    if (theme && !strcmp(code, theme)) json_object_set_new(t, "selected", json_true());
  }
  /* Offers by theme, in the themes' order; an offer shows under each of its themes. */
  json_t *groups = json_array();
  json_array_foreach(themes, i, t) {
    const char *code = json_string_value(json_object_get(t, "code"));
    if (theme && strcmp(code, theme)) continue;
    json_t *list = json_array();
    size_t k;
    json_t *o;
    json_array_foreach(offers, k, o) {
      size_t j;
      json_t *c;
      json_array_foreach(json_object_get(o, "themes"), j, c) {
        if (!strcmp(json_string_value(c), code)) json_array_append(list, o);
      }
    }
    if (json_array_size(list))
      json_array_append_new(groups, json_pack("{s:s, s:O, s:o}", "code", code, "label", json_object_get(t, "label"),
                                              "offers", list));
    else json_decref(list);
  }
  json_object_set_new(v, "groups", groups);
  json_object_set_new(v, "count", json_integer((json_int_t)json_array_size(offers)));
  if (theme) json_object_set_new(v, "theme", json_string(theme));
  if (commune) {
    json_object_set_new(v, "commune", json_string(commune));
    json_t *e = NULL;
    if (!*commune) {
      rc = err_set(ERR_INVALID, "commune", "Indiquez le code INSEE de la commune (5 caractères, par exemple 31555).");
    } else {
      /* A name (letters) is looked up; a code is used as it is. */
      char code[16];
      const char *c = commune;
      if (strpbrk(commune, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
          !(strlen(commune) == 5 && (commune[2] == 'A' || commune[2] == 'B'))) /* Corsica: 2A004 */
        c = (rc = territory_code_of_name(code, req->db, commune)) ? NULL : code;
      if (c) rc = eligibility(&e, req->db, c, theme, themes);
    }
    if (rc == ERR_NOTFOUND || rc == ERR_INVALID) {
      char msg[512];
      if (rc == ERR_NOTFOUND)
        snprintf(msg, sizeof msg, "Commune inconnue : « %s ». Indiquez le code INSEE de la commune (5 caractères, "
                                  "par exemple 31555 pour Toulouse, pas son code postal) ou son nom exact.", commune);
      else snprintf(msg, sizeof msg, "%s", err_msg());
      json_object_set_new(v, "error", json_string(msg));
      status = 422;
      rc = 0;
    } else if (rc) {
      goto done;
    } else {
      json_object_set_new(v, "eligibility", e);
    }
  }
  rc = page_render(resp, req, status, "catalogue_liste", v);
  v = NULL;
done:
  json_decref(v);
  json_decref(labels);
  json_decref(themes);
  json_decref(offers);
  return rc;
}

int page_catalog_offer(struct http_req *req, struct http_resp *resp) {
  json_t *o = NULL, *labels = NULL;
  int rc = catalog_offer_show(&o, req->db, req->params[0]);
  if (!rc) rc = theme_labels(&labels, NULL, req->db);
  if (rc) goto done;
  json_t *one = json_pack("[O]", o);
  page_catalog_decorate(one, labels, req);
  json_decref(one);
  json_t *v = json_pack("{s:O, s:O}", "title", json_object_get(o, "title"), "offer", o);
  rc = page_render(resp, req, 200, "catalogue_offre", v);
done:
  json_decref(o);
  json_decref(labels);
  return rc;
}
