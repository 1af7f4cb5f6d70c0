/* route — the route table and the matcher (see route.h). */
#include "route.h"
#include "api.h"
#include "asset.h"
#include "attachment.h"
#include "page_admin.h"
#include "page_auth.h"
#include "page_catalog.h"
#include "page_request.h"
#include "page_board.h"
#include "page_work.h"
/* page headers (one per area) */
#include <string.h>

#define KIB 1024u
#define JSON_BODY (256u * KIB)

#define FORM_BODY (64u * KIB)

static const struct route routes[] = {
    {"GET", "/healthz", api_meta_health, ROUTE_PUBLIC, 0, "État du serveur"},
    /* HTML pages (page.h); the JSON view model to Accept: application/json. */
    {"GET", "/", page_auth_home, ROUTE_PAGE, 0, "Accueil (selon le rôle)"},
    {"GET", "/connexion", page_auth_login_form, ROUTE_PAGE, 0, "Formulaire de connexion"},
    {"POST", "/connexion", page_auth_login, ROUTE_PAGE, FORM_BODY, "Connexion"},
    {"POST", "/deconnexion", page_auth_logout, ROUTE_PAGE_USER, FORM_BODY, "Déconnexion"},
    /* pages: catalogue */
    {"GET", "/catalogue", page_catalog_list, ROUTE_PAGE, 0,
     "Catalogue des offres par thématique (theme) et « Suis-je éligible ? » (commune)"},
    {"GET", "/catalogue/{slug}", page_catalog_offer, ROUTE_PAGE, 0, "Une offre du catalogue"},

    /* pages: demandes */
    {"GET", "/demandes", page_request_list, ROUTE_PAGE_USER, 0,
     "Les demandes visibles (status, theme, q, cursor)"},
    {"POST", "/demandes", page_request_file, ROUTE_PAGE_USER, PAGE_REQUEST_UPLOAD_BODY,
     "Déposer une demande (formulaire multipart, pièce jointe facultative)"},
    {"GET", "/demandes/nouvelle", page_request_new, ROUTE_PAGE_USER, 0, "Formulaire de dépôt d'une demande"},
    {"GET", "/demandes/nouvelle/offres", page_request_offers, ROUTE_PAGE_USER, 0,
     "Offres suggérées pendant la saisie, avec l'éligibilité (fragment)"},
    {"GET", "/demandes/{ref}", page_request_show, ROUTE_PAGE_USER, 0, "La page d'une demande"},
    {"GET", "/demandes/{ref}/circuit.bpmn", page_request_circuit, ROUTE_PAGE_USER, 0,
     "Le circuit (BPMN) suivi par une demande"},
    {"POST", "/demandes/{ref}/messages", page_request_message, ROUTE_PAGE_USER, FORM_BODY,
     "Écrire un message ou une note interne sur une demande"},
    {"POST", "/demandes/{ref}/documents", page_request_attach, ROUTE_PAGE_USER, PAGE_REQUEST_UPLOAD_BODY,
     "Joindre un document à une demande"},
    {"GET", "/demandes/{ref}/documents/{id}", page_request_document, ROUTE_PAGE_USER, 0,
     "Télécharger un document d'une demande"},

    /* pages: file, tableau, statistiques, incidents */
    {"GET", "/file", page_work_queue, ROUTE_PAGE_USER, 0, "File d'une structure (state, mine, org)"},
    {"POST", "/file/{ref}/{op}", page_work_part_op, ROUTE_PAGE_USER, FORM_BODY,
     "Faire évoluer une mise en relation : accepter, decliner, demarrer, terminer, assigner, transmettre"},
    {"GET", "/demandes/{ref}/orientation", page_work_orientation, ROUTE_PAGE_USER, 0,
     "Orientation expliquée d'une demande (coordination)"},
    {"POST", "/demandes/{ref}/orientation", page_work_orient, ROUTE_PAGE_USER, FORM_BODY,
     "Orienter une demande vers une structure pilote et terminer sa qualification"},
    {"GET", "/tableau", page_board_show, ROUTE_PAGE_USER, 0, "Tableau de bord transversal (filtres, colonnes, liste)"},
    {"GET", "/tableau/export", page_board_export, ROUTE_PAGE_USER, 0, "Export CSV ou XLSX de la vue du tableau"},
    {"GET", "/statistiques", page_board_stats, ROUTE_PAGE_USER, 0, "Statistiques (graphiques et tableaux)"},
    {"GET", "/incidents", page_board_incidents, ROUTE_PAGE_USER, 0, "Incidents ouverts des circuits"},
    {"POST", "/incidents/{id}/relancer", page_board_retry, ROUTE_PAGE_USER, FORM_BODY, "Relancer un incident"},

    /* pages: administration */
    {"GET", "/admin", page_admin_index, ROUTE_PAGE_USER, 0, "Administration"},
    {"GET", "/admin/utilisateurs", page_admin_users, ROUTE_PAGE_USER, 0, "Comptes"},
    {"POST", "/admin/utilisateurs", page_admin_user_add, ROUTE_PAGE_USER, FORM_BODY, "Créer un compte"},
    {"POST", "/admin/utilisateurs/jeton", page_admin_token, ROUTE_PAGE_USER, FORM_BODY, "Créer un jeton d'API"},
    {"GET", "/admin/structures", page_admin_orgs, ROUTE_PAGE_USER, 0, "Structures"},
    {"POST", "/admin/structures", page_admin_org_add, ROUTE_PAGE_USER, FORM_BODY, "Créer une structure"},
    {"GET", "/admin/offres", page_admin_offers, ROUTE_PAGE_USER, 0, "Offres d'appui"},
    {"POST", "/admin/offres", page_admin_offer_add, ROUTE_PAGE_USER, FORM_BODY, "Créer une offre"},
    {"GET", "/admin/processus", page_admin_processes, ROUTE_PAGE_USER, 0, "Versions des circuits"},
    {"POST", "/admin/processus", page_admin_publish, ROUTE_PAGE_USER, 2u * 1024u * KIB,
     "Publier une définition BPMN (fichier)"},
    {"GET", "/admin/processus/{name}/{version}", page_admin_version, ROUTE_PAGE_USER, 0,
     "Une version d'un circuit : schéma, changements (…/N.bpmn : la définition)"},
    {"POST", "/admin/processus/{name}/{version}/migrer", page_admin_migrate, ROUTE_PAGE_USER, FORM_BODY,
     "Migrer l'instance d'une demande vers cette version (ref, essai)"},

    /* API */
    {"GET", "/static/{name}", asset_serve, ROUTE_PUBLIC, 0,
     "Fichiers statiques intégrés au programme (htmx, Chart.js, visionneuse BPMN, styles)"},
    {"GET", "/api/v1/openapi.json", api_meta_openapi, ROUTE_PUBLIC, 0, "Description OpenAPI 3.1 de l'API"},
    {"GET", "/api/v1/territory/communes/{code}", api_territory_commune, ROUTE_PUBLIC, 0,
     "Une commune : population, EPCI, codes postaux"},
    {"GET", "/api/v1/territory/collectivities/{code}", api_territory_collectivity, ROUTE_PUBLIC, 0,
     "Une collectivité (commune ou EPCI)"},
    {"GET", "/api/v1/themes", api_catalog_themes, ROUTE_PUBLIC, 0, "Les thématiques"},
    {"GET", "/api/v1/orgs", api_catalog_orgs, ROUTE_PUBLIC, 0, "Les structures"},
    {"GET", "/api/v1/orgs/{slug}", api_catalog_org, ROUTE_PUBLIC, 0, "Une structure et ses offres"},
    {"GET", "/api/v1/offers", api_catalog_offers, ROUTE_PUBLIC, 0, "Les offres d'appui (filtres theme, org)"},
    {"GET", "/api/v1/offers/{slug}", api_catalog_offer, ROUTE_PUBLIC, 0, "Une offre d'appui"},
    {"GET", "/api/v1/me", api_request_me, ROUTE_USER, 0, "Le compte authentifié"},
    {"GET", "/api/v1/requests", api_request_list, ROUTE_USER, 0,
     "Les demandes visibles (filtres status, theme, collectivity, epci, q ; pagination par curseur)"},
    {"POST", "/api/v1/requests", api_request_file, ROUTE_USER, JSON_BODY, "Déposer une demande"},
    {"GET", "/api/v1/requests/{ref}", api_request_show, ROUTE_USER, 0, "Une demande"},
    {"GET", "/api/v1/requests/{ref}/events", api_request_events, ROUTE_USER, 0, "Le journal d'une demande"},
    {"POST", "/api/v1/requests/{ref}/messages", api_request_message, ROUTE_USER, JSON_BODY,
     "Écrire un message sur une demande"},
    {"POST", "/api/v1/requests/{ref}/attachments", api_request_attach, ROUTE_USER, ATTACHMENT_MAX,
     "Joindre un document à une demande (corps brut, paramètre name)"},
    {"GET", "/api/v1/requests/{ref}/matches", api_dispatch_matches, ROUTE_USER, 0,
     "Orientation proposée d'une demande, expliquée (explain, limit)"},
    {"GET", "/api/v1/matches", api_dispatch_match_dry, ROUTE_USER, 0,
     "Essai d'orientation pour une collectivité (collectivity, theme=a,b, text, explain, limit)"},
    {"GET", "/api/v1/requests/{ref}/parts", api_dispatch_parts, ROUTE_USER, 0, "Les mises en relation d'une demande"},
    {"POST", "/api/v1/requests/{ref}/parts", api_dispatch_propose, ROUTE_USER, JSON_BODY,
     "Proposer une structure sur une demande (org, offer, role)"},
    {"POST", "/api/v1/requests/{ref}/parts/{org}/{op}", api_dispatch_part_op, ROUTE_USER, JSON_BODY,
     "Faire évoluer une mise en relation : accept, decline, start, done, cancel (reason), assign (agent), handover (to, "
     "offer)"},
    {"POST", "/api/v1/parts/reassign", api_dispatch_reassign, ROUTE_USER, JSON_BODY,
     "Réassigner toutes les mises en relation ouvertes d'un agent (from, to)"},
    {"GET", "/api/v1/orgs/{slug}/queue", api_dispatch_queue, ROUTE_USER, 0,
     "La file d'une structure (state, limit)"},
    {"GET", "/api/v1/requests/{ref}/sla", api_dispatch_sla, ROUTE_USER, 0, "Les délais d'une demande (jours ouvrés)"},
    {"GET", "/api/v1/board", api_board_show, ROUTE_USER, 0,
     "Le tableau de bord : compteurs par statut et demandes (status, theme, org, part_state, agent, collectivity, epci, "
     "late, cursor, limit)"},
    {"GET", "/api/v1/board/export", api_board_export, ROUTE_USER, 0,
     "Export de la vue filtrée du tableau de bord (format=csv ou xlsx, mêmes filtres)"},
    {"GET", "/api/v1/stats", api_board_stats, ROUTE_USER, 0,
     "Statistiques : volumes, délais de prise en charge et de résolution, part dans les délais (theme, org, "
     "collectivity, epci)"},
};

const struct route *route_table(size_t *n) {
  *n = sizeof routes / sizeof routes[0];
  return routes;
}

/* Matches `path` against `pattern`, storing parameters in m. */
static int match_one(struct route_match *m, const char *pattern, const char *path) {
  size_t used = 0;
  m->n_params = 0;
  while (*pattern && *path) {
    if (*pattern != '/' || *path != '/') return 0;
    pattern++;
    path++;
    const char *pe = strchr(pattern, '/'), *qe = strchr(path, '/');
    size_t plen = pe ? (size_t)(pe - pattern) : strlen(pattern);
    size_t qlen = qe ? (size_t)(qe - path) : strlen(path);
    if (plen > 1 && pattern[0] == '{') {
      if (qlen == 0 || m->n_params == HTTP_MAX_PARAMS || used + qlen + 1 > sizeof m->scratch) return 0;
      memcpy(m->scratch + used, path, qlen);
      m->scratch[used + qlen] = 0;
      m->params[m->n_params++] = m->scratch + used;
      used += qlen + 1;
    } else if (plen != qlen || memcmp(pattern, path, plen) != 0) {
      return 0;
    }
    pattern += plen;
    path += qlen;
  }
  return *pattern == 0 && *path == 0;
}

int route_match(struct route_match *m, const char *method, const char *path) {
  m->route = NULL;
  m->path_known = 0;
  m->n_params = 0;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (!match_one(m, routes[i].pattern, path)) continue;
    if (strcmp(routes[i].method, method) == 0 ||
        (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
      m->route = &routes[i];
      return 1;
    }
    m->path_known = 1;
  }
  m->n_params = 0;
  return 0;
}
