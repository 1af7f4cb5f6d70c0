/* page_admin — the administration pages (role admin only): accounts and
 * API tokens, orgs, offers, and the versions of the processes (list,
 * diagram, semantic diff with the previous version, publishing a new BPMN
 * file). Every page calls the core/workflows operation the command line
 * and the API call; a refused form comes back with the core's message and
 * the values typed (never the password). */
#ifndef APPUI_PAGE_ADMIN_H
#define APPUI_PAGE_ADMIN_H
#include "http.h"

/* GET /admin — the sections. */
int page_admin_index(struct http_req *req, struct http_resp *resp);
/* GET /admin/utilisateurs — accounts and the creation form. */
int page_admin_users(struct http_req *req, struct http_resp *resp);
/* POST /admin/utilisateurs — email, name, role, collectivity, org, password. */
int page_admin_user_add(struct http_req *req, struct http_resp *resp);
/* POST /admin/utilisateurs/jeton — email, label: the token shown once, in this answer only. */
int page_admin_token(struct http_req *req, struct http_resp *resp);
/* GET /admin/structures — orgs and the creation form. */
int page_admin_orgs(struct http_req *req, struct http_resp *resp);
/* POST /admin/structures — slug, name, kind, parent, email, phone, capacity. */
int page_admin_org_add(struct http_req *req, struct http_resp *resp);
/* GET /admin/offres — offers and the creation form. */
int page_admin_offers(struct http_req *req, struct http_resp *resp);
/* POST /admin/offres — slug, org, kind, title, summary, themes, perimeter, eligibility, membership. */
int page_admin_offer_add(struct http_req *req, struct http_resp *resp);
/* GET /admin/processus — the processes and their versions, the publishing form. */
int page_admin_processes(struct http_req *req, struct http_resp *resp);
/* POST /admin/processus — multipart, file field "fichier": publishes it. */
int page_admin_publish(struct http_req *req, struct http_resp *resp);
/* GET /admin/processus/{name}/{version} — the diagram and the changes
 * since the previous version; "{version}.bpmn" gives the XML itself. */
int page_admin_version(struct http_req *req, struct http_resp *resp);

/* POST /admin/processus/{name}/{version}/migrer — ref (a request), essai:
 * moves the request's running instance to this version (or only checks,
 * with essai), the refusal's problems listed on the version page. */
int page_admin_migrate(struct http_req *req, struct http_resp *resp);

#endif
