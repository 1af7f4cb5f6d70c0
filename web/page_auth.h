/* page_auth — the home page (per role), the login form and login, logout.
 * Login is protected against cross-site forgery by a double-submitted
 * token (cookie appui_pre and hidden field), since there is no session yet;
 * it keeps the e-mail typed when it fails, and goes on to `suite` (a path of
 * this site) when it succeeds. */
#ifndef APPUI_PAGE_AUTH_H
#define APPUI_PAGE_AUTH_H
#include "http.h"

/* GET / — presentation for visitors; shortcuts and latest requests for accounts. */
int page_auth_home(struct http_req *req, struct http_resp *resp);
/* GET /connexion — the login form (?suite=PATH, ?expiree=1). */
int page_auth_login_form(struct http_req *req, struct http_resp *resp);
/* POST /connexion — email, password, csrf, suite. */
int page_auth_login(struct http_req *req, struct http_resp *resp);
/* POST /deconnexion — ends the session. */
int page_auth_logout(struct http_req *req, struct http_resp *resp);

#endif
