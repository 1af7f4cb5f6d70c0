/* api — the handlers of the JSON API, one file per group (api_meta.c,
 * api_territory.c, api_catalog.c, api_request.c, api_dispatch.c, api_board.c). Each takes the exchange,
 * fills the response and returns 0, or returns an error code that the
 * server turns into a JSON error with the matching status. */
#ifndef APPUI_API_H
#define APPUI_API_H
#include "http.h"

int api_meta_health(struct http_req *req, struct http_resp *resp);
int api_meta_openapi(struct http_req *req, struct http_resp *resp);

int api_territory_commune(struct http_req *req, struct http_resp *resp);
int api_territory_collectivity(struct http_req *req, struct http_resp *resp);

int api_catalog_themes(struct http_req *req, struct http_resp *resp);
int api_catalog_orgs(struct http_req *req, struct http_resp *resp);
int api_catalog_org(struct http_req *req, struct http_resp *resp);
int api_catalog_offers(struct http_req *req, struct http_resp *resp);
int api_catalog_offer(struct http_req *req, struct http_resp *resp);

int api_request_me(struct http_req *req, struct http_resp *resp);
int api_request_list(struct http_req *req, struct http_resp *resp);
int api_request_file(struct http_req *req, struct http_resp *resp);
int api_request_show(struct http_req *req, struct http_resp *resp);
int api_request_events(struct http_req *req, struct http_resp *resp);
int api_request_message(struct http_req *req, struct http_resp *resp);
int api_request_attach(struct http_req *req, struct http_resp *resp);

int api_dispatch_matches(struct http_req *req, struct http_resp *resp);
int api_dispatch_match_dry(struct http_req *req, struct http_resp *resp);
int api_dispatch_parts(struct http_req *req, struct http_resp *resp);
int api_dispatch_propose(struct http_req *req, struct http_resp *resp);
int api_dispatch_part_op(struct http_req *req, struct http_resp *resp);
int api_dispatch_reassign(struct http_req *req, struct http_resp *resp);
int api_dispatch_queue(struct http_req *req, struct http_resp *resp);
int api_dispatch_sla(struct http_req *req, struct http_resp *resp);

int api_board_show(struct http_req *req, struct http_resp *resp);
int api_board_export(struct http_req *req, struct http_resp *resp);
int api_board_stats(struct http_req *req, struct http_resp *resp);

#endif
