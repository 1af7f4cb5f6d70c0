/* page_catalog — the public catalogue of offers (by theme, each with who
 * gives it, for whom and how to ask), one offer's page, and « Suis-je
 * éligible ? »: the matching gates (match_run, dry run) for a commune
 * chosen by its INSEE code, told in words per offer. Open to visitors; the
 * link to ask goes to the request form for accounts that file requests, to
 * the login page for visitors. */
#ifndef APPUI_PAGE_CATALOG_H
#define APPUI_PAGE_CATALOG_H
#include "http.h"

/* GET /catalogue — offers by theme (?theme=CODE filters); with
 * ?commune=CODE (and ?theme) the eligibility of each offer for that
 * collectivity. An unknown commune gives 422 with the message and the
 * value kept. */
int page_catalog_list(struct http_req *req, struct http_resp *resp);

/* GET /catalogue/{slug} — one offer (404 when unknown). */
int page_catalog_offer(struct http_req *req, struct http_resp *resp);

/* Helpers shared with the request pages (page_request.c). */

/* The French words for an offer's audience ["commune","epci"] →
 * « communes et intercommunalités (EPCI) » into `out`. */
void page_catalog_audience(char *out, size_t size, const json_t *audience);

/* Adds to each offer of `offers` (array of catalog offer objects, borrowed)
 * the view keys: audience_text, perimeter_text, condition_text, ask_href
 * (NULL when the account does not file requests), theme_labels. `labels`
 * maps theme codes to labels. */
void page_catalog_decorate(json_t *offers, const json_t *labels, const struct http_req *req);

#endif
