/* page_request — the requests' pages: the list of the requests an account
 * may see, the filing form (offers suggested with their eligibility, an
 * optional document, all or nothing), a request's page shared by all
 * roles (status, who is on it, thread, documents, timeline, the process
 * diagram, the answer to a request for documents), writing on it, adding a
 * document, and reading a document or the process definition.
 *
 * Permissions come from the core calls (request_show, request_access,
 * message_post, attachment_add, perm_file); the pages only show what those
 * allow. */
#ifndef APPUI_PAGE_REQUEST_H
#define APPUI_PAGE_REQUEST_H
#include "http.h"

/* Largest body of the filing and document forms: one document and the
 * other fields. */
#define PAGE_REQUEST_UPLOAD_BODY (10u * 1024u * 1024u + 256u * 1024u)

/* GET /demandes — the visible requests (?status, ?theme, ?q, ?cursor). */
int page_request_list(struct http_req *req, struct http_resp *resp);

/* GET /demandes/nouvelle — the filing form (?offer=SLUG preselects an
 * offer and its themes). Requesters, coordinators and admins. */
int page_request_new(struct http_req *req, struct http_resp *resp);

/* GET /demandes/nouvelle/offres — fragment: the offers suggested for
 * ?themes (repeated or comma-separated), ?title, ?description (or ?text),
 * ?collectivity (coordinators), with their eligibility. */
int page_request_offers(struct http_req *req, struct http_resp *resp);

/* POST /demandes — files a request (multipart: title, description, themes,
 * offer, collectivity for coordinators, document; action=suggest only
 * shows the suggested offers again). The request, its process and its
 * document are kept together or not at all. 303 to the request's page. */
int page_request_file(struct http_req *req, struct http_resp *resp);

/* GET /demandes/{ref} — a request's page (?avis= a notice). */
int page_request_show(struct http_req *req, struct http_resp *resp);

/* GET /demandes/{ref}/circuit.bpmn — the XML of the process version the
 * request's instance runs on. */
int page_request_circuit(struct http_req *req, struct http_resp *resp);

/* POST /demandes/{ref}/messages — body, visibility (public, internal).
 * Without JavaScript: 303 back to the page (?avis=message), or the page
 * with the error (422). With htmx: the section « Échanges » again (the new
 * message last, or the error with the text kept; 200 so that htmx shows it). */
int page_request_message(struct http_req *req, struct http_resp *resp);

/* POST /demandes/{ref}/documents — multipart field "document"; with
 * pieces=1 while the process waits for documents, also tells it that they
 * arrived. */
int page_request_attach(struct http_req *req, struct http_resp *resp);

/* GET /demandes/{ref}/documents/{id} — the document, as an attachment. */
int page_request_document(struct http_req *req, struct http_resp *resp);

#endif
