/* page_work — the pages where services and the coordination work on
 * requests: the queue of an organisation (/file: accept, decline with a
 * reason, start, finish, assign an agent, hand over to another org) and the
 * orientation of a request by a coordinator (/demandes/{ref}/orientation:
 * the explained match, and dispatch in one click). Every move is the
 * operation of workflows/dispatch.h, which applies the permission rule;
 * htmx forms get the updated row back (fragment), other browsers a 303 to
 * /file?avis=… (Post/Redirect/Get). */
#ifndef APPUI_PAGE_WORK_H
#define APPUI_PAGE_WORK_H
#include "http.h"

/* GET /file — the queue of the account's org (?state=, ?mine=1; ?org= for
 * coordinators and admins). Requesters: 403. */
int page_work_queue(struct http_req *req, struct http_resp *resp);
/* POST /file/{ref}/{op} — op: accepter, decliner (reason), demarrer,
 * terminer, assigner (agent), transmettre (to, offer); field org for
 * coordinators acting for an org. */
int page_work_part_op(struct http_req *req, struct http_resp *resp);
/* GET /demandes/{ref}/orientation — the ranked, explained offers
 * (coordinators and admins). */
int page_work_orientation(struct http_req *req, struct http_resp *resp);
/* POST /demandes/{ref}/orientation — org, offer: proposes the org as lead
 * and completes the coordination's waiting task (qualification or
 * orientation) so that the request moves on; 303 to
 * /demandes/{ref}?avis=orientee. */
int page_work_orient(struct http_req *req, struct http_resp *resp);

/* `rfc` (RFC 3339 local time, "2026-05-22T10:00:00+02:00") written the
 * French way ("22/05/2026 10:00") into `out` (20 bytes); "" for NULL, the
 * text itself when it is not a time. */
void page_work_date(char out[20], const char *rfc);

#endif
