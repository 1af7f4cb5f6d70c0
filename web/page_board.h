/* page_board — the coordination's views over every request: the
 * cross-service board (/tableau: filters, columns per status with their
 * counts, the list a page at a time, CSV and XLSX exports of the view), the
 * statistics (/statistiques: charts drawn by /static/stats.js from a JSON
 * block, and the same data as tables) and the open incidents of the
 * workflow engine (/incidents, with « Relancer »). The queries are
 * core/board's and workflows/engine's; coordinators and admins see
 * everything, heads the requests of their org; agents and requesters are
 * refused. */
#ifndef APPUI_PAGE_BOARD_H
#define APPUI_PAGE_BOARD_H
#include "http.h"

/* GET /tableau — theme, org, epci, collectivity, late (oui, bientot, non),
 * status, cursor. htmx: the results fragment only. */
int page_board_show(struct http_req *req, struct http_resp *resp);
/* GET /tableau/export — format=csv|xlsx and the same filters; an
 * attachment. */
int page_board_export(struct http_req *req, struct http_resp *resp);
/* GET /statistiques — theme, org, epci, collectivity. */
int page_board_stats(struct http_req *req, struct http_resp *resp);
/* GET /incidents — coordinators and admins. */
int page_board_incidents(struct http_req *req, struct http_resp *resp);
/* POST /incidents/{id}/relancer — retries an incident; 303 to
 * /incidents?avis=relance. */
int page_board_retry(struct http_req *req, struct http_resp *resp);

#endif
