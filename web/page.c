/* page — the common layer of the HTML pages (see page.h). */
#include "page.h"
#include "embed.h"
#include "err.h"
#include "log.h"
#include "template.h"
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

extern const struct embed_file page_files[];
extern const size_t page_files_count;

static struct template_set *embedded;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;
static char dev_dir[1024];

static void load_embedded(void) {
  init_rc = template_set_new(&embedded);
  if (!init_rc) init_rc = template_add_files(embedded, page_files, page_files_count);
  if (init_rc) log_error("gabarits des pages : %s", err_msg());
}

int page_init(void) {
  pthread_once(&once, load_embedded);
  return init_rc;
}

int page_set_dir(const char *dir) {
  struct stat st;
  if (!dir) {
    dev_dir[0] = 0;
    return 0;
  }
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return err_set(ERR_IO, NULL, "répertoire des gabarits introuvable : %s", dir);
  snprintf(dev_dir, sizeof dev_dir, "%s", dir);
  return 0;
}

/* Development mode: a set read from the directory, each template falling
 * back to its embedded copy when absent there. A file of the directory
 * that does not parse is an error for the page `name` that is rendered
 * (the message names its line and column), and is replaced by its embedded
 * copy for the others (the error page among them). Returns 0 or an error. */
static int load_dev(struct template_set **out, const char *name) {
  int rc = template_set_new(out);
  for (size_t i = 0; !rc && i < page_files_count; i++) {
    const char *file = page_files[i].name;
    size_t n = strlen(file);
    if (n < 10 || strcmp(file + n - 9, ".mustache") != 0) continue;
    char path[2048], tname[256];
    snprintf(path, sizeof path, "%s/%s", dev_dir, file);
    snprintf(tname, sizeof tname, "%.*s", (int)(n - 9), file);
    FILE *f = fopen(path, "rb");
    if (f) {
      struct buf b = BUF_INIT;
      char chunk[8192];
      size_t k;
      while ((k = fread(chunk, 1, sizeof chunk, f)) > 0 && !(rc = buf_append(&b, chunk, k))) {
      }
      fclose(f);
      if (!rc) rc = template_add(*out, tname, b.data ? b.data : "", b.len);
      buf_free(&b);
      if (rc == ERR_INVALID && strcmp(tname, name) != 0)
        rc = template_add(*out, tname, page_files[i].data, page_files[i].size);
    } else {
      rc = template_add(*out, tname, page_files[i].data, page_files[i].size);
    }
  }
  if (rc) {
    template_set_free(*out);
    *out = NULL;
  }
  return rc;
}

int page_wants_json(const struct http_req *q) {
  const char *a = http_header(q, "Accept");
  return a && strncasecmp(a, "application/json", 16) == 0;
}

int page_is_htmx(const struct http_req *q) {
  const char *h = http_header(q, "HX-Request");
  return h && strcmp(h, "true") == 0;
}

struct nav_item {
  const char *href, *label;
};

static const struct nav_item nav_anonymous[] = {{"/", "Accueil"}, {"/catalogue", "Catalogue des offres"},
                                                {"/connexion", "Se connecter"}, {NULL, NULL}};
static const struct nav_item nav_requester[] = {{"/", "Accueil"},
                                                {"/demandes", "Mes demandes"},
                                                {"/demandes/nouvelle", "Nouvelle demande"},
                                                {"/catalogue", "Catalogue des offres"},
                                                {NULL, NULL}};
static const struct nav_item nav_staff[] = {{"/", "Accueil"},
                                            {"/file", "File de la structure"},
                                            {"/demandes", "Demandes"},
                                            {"/catalogue", "Catalogue des offres"},
                                            {NULL, NULL}};
static const struct nav_item nav_coordinator[] = {{"/", "Accueil"},
                                                  {"/tableau", "Tableau de bord"},
                                                  {"/demandes", "Demandes"},
                                                  {"/statistiques", "Statistiques"},
                                                  {"/incidents", "Incidents"},
                                                  {"/catalogue", "Catalogue des offres"},
                                                  {NULL, NULL}};
static const struct nav_item nav_admin[] = {{"/", "Accueil"},
                                            {"/tableau", "Tableau de bord"},
                                            {"/demandes", "Demandes"},
                                            {"/statistiques", "Statistiques"},
                                            {"/incidents", "Incidents"},
                                            {"/admin", "Administration"},
                                            {NULL, NULL}};

static const struct nav_item *nav_of(const struct http_req *q) {
  if (!q->authenticated) return nav_anonymous;
  switch (q->user.role) {
  case ROLE_REQUESTER: return nav_requester;
  case ROLE_AGENT:
  case ROLE_HEAD: return nav_staff;
  case ROLE_COORDINATOR: return nav_coordinator;
  case ROLE_ADMIN: return nav_admin;
  }
  return nav_anonymous;
}

/* 1 when menu entry `href` is the current page or one of its sub-pages. */
static int is_current(const char *href, const char *path) {
  size_t n = strlen(href);
  if (strcmp(href, "/") == 0) return strcmp(path, "/") == 0;
  if (strncmp(path, href, n) != 0 || (path[n] && path[n] != '/')) return 0;
  /* "/demandes/nouvelle" has its own entry: "/demandes" is not current there. */
  return !(strcmp(href, "/demandes") == 0 && strcmp(path, "/demandes/nouvelle") == 0);
}

void page_common(json_t *view, const struct http_req *q) {
  const char *path = q->path ? q->path : "/";
  if (q->authenticated) {
    json_t *me = user_to_json(&q->user);
    json_object_set_new(me, "role_label", json_string(user_role_label(q->user.role)));
    json_object_set_new(view, "me", me);
    enum role r = q->user.role;
    if (r == ROLE_REQUESTER) json_object_set_new(view, "is_requester", json_true());
    if (r == ROLE_AGENT || r == ROLE_HEAD) json_object_set_new(view, "is_staff", json_true());
    if (r == ROLE_HEAD) json_object_set_new(view, "is_head", json_true());
    if (user_coordinates(&q->user)) json_object_set_new(view, "is_coordinator", json_true());
    if (r == ROLE_ADMIN) json_object_set_new(view, "is_admin", json_true());
  }
  if (q->csrf[0]) json_object_set_new(view, "csrf", json_string(q->csrf));
  json_t *nav = json_array();
  for (const struct nav_item *i = nav_of(q); i->href; i++) {
    json_t *e = json_pack("{s:s, s:s}", "href", i->href, "label", i->label);
    if (is_current(i->href, path)) json_object_set_new(e, "current", json_true());
    json_array_append_new(nav, e);
  }
  json_object_set_new(view, "nav", nav);
  json_object_set_new(view, "path", json_string(path));
}

int page_render(struct http_resp *r, const struct http_req *q, int status, const char *name, json_t *view) {
  if (!view) view = json_object();
  page_common(view, q);
  if (page_wants_json(q)) return http_json(r, status, view);
  int rc = page_init();
  struct template_set *dev = NULL;
  if (!rc && dev_dir[0]) rc = load_dev(&dev, name);
  struct buf out = BUF_INIT;
  if (!rc) rc = template_render(&out, dev ? dev : embedded, name, view);
  template_set_free(dev);
  json_decref(view);
  if (rc) {
    /* A template that does not parse or render is the program's fault
     * (or the development directory's), never the visitor's: 500. */
    buf_free(&out);
    if (rc == ERR_NOMEM) return rc;
    char msg[400];
    snprintf(msg, sizeof msg, "%s", err_msg());
    return err_set(ERR_INTERNAL, NULL, "gabarit de page « %s » : %s", name, msg);
  }
  return http_take(r, status, "text/html; charset=utf-8", out.data ? out.data : strdup(""), out.len);
}

int page_local_path(const char *path) {
  if (!path || path[0] != '/' || path[1] == '/' || path[1] == '\\') return 0;
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++, n++)
    if (*p < 0x20 || *p == 0x7f) return 0;
  return n < sizeof ((struct http_resp *)0)->location;
}

int page_redirect(struct http_resp *r, const struct http_req *q, const char *location) {
  if (!page_local_path(location)) location = "/";
  snprintf(r->location, sizeof r->location, "%s", location);
  if (page_is_htmx(q)) {
    r->hx_redirect = 1;
    return http_bytes(r, 200, "text/html; charset=utf-8", "", 0);
  }
  return http_bytes(r, 303, "text/html; charset=utf-8", "", 0);
}

/* What to do after an error, by status. */
static const char *advice_of(int status) {
  switch (status) {
  case 400: return "La requête est mal formée. Revenez à la page précédente et réessayez.";
  case 401: return "Connectez-vous pour continuer.";
  case 403: return "Votre compte n'a pas accès à cette page. Si vous pensez que c'est une erreur, contactez la coordination.";
  case 404: return "Vérifiez l'adresse, ou revenez à l'accueil.";
  case 409: return "La situation a changé entre-temps : rechargez la page pour voir son état actuel.";
  case 413: return "Le fichier ou le formulaire est trop volumineux : réduisez-le puis réessayez.";
  case 415: return "Ce type de contenu n'est pas accepté ici.";
  case 422: return "Corrigez la saisie indiquée puis réessayez.";
  case 429: return "Trop de tentatives : patientez quelques minutes avant de réessayer.";
  case 503: return "La plateforme est momentanément occupée : réessayez dans un instant.";
  default: return "Une erreur est survenue de notre côté ; rien n'a été enregistré. Réessayez, puis contactez la coordination si elle persiste.";
  }
}

static const char *title_of(int status) {
  switch (status) {
  case 400: return "Requête incorrecte";
  case 401: return "Connexion requise";
  case 403: return "Accès refusé";
  case 404: return "Page introuvable";
  case 409: return "Action impossible dans l'état actuel";
  case 413: return "Envoi trop volumineux";
  case 415: return "Type de contenu refusé";
  case 422: return "Saisie à corriger";
  case 429: return "Trop de tentatives";
  case 503: return "Service momentanément indisponible";
  default: return "Erreur du serveur";
  }
}

int page_error(struct http_resp *r, const struct http_req *q, int rc) {
  int status = http_status_of(rc);
  if (page_wants_json(q)) {
    http_error(r, rc);
    return 0;
  }
  const char *msg = err_msg()[0] ? err_msg() : title_of(status);
  json_t *v = json_pack("{s:s, s:s, s:s, s:i}", "title", title_of(status), "message", msg, "advice",
                        advice_of(status), "status", status);
  char saved[512];
  snprintf(saved, sizeof saved, "%s", msg);
  if (page_render(r, q, status, "erreur", v)) {
    /* The error page itself failed: plain text, still in French. */
    char text[700];
    int n = snprintf(text, sizeof text, "%s\n", saved);
    http_bytes(r, status, "text/plain; charset=utf-8", text, (size_t)n);
  }
  return 0;
}

void page_error_text(char *out, size_t size) {
  snprintf(out, size, "%s", err_msg());
  if (out[0] >= 'a' && out[0] <= 'z') out[0] = (char)(out[0] - 'a' + 'A');
}

void page_cookie(struct http_resp *r, const struct http_req *q, int i, const char *name, const char *value,
                 long max_age) {
  const char *proto = http_header(q, "X-Forwarded-Proto");
  int secure = proto && strcasecmp(proto, "https") == 0;
  snprintf(r->cookies[i], sizeof r->cookies[i], "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s", name,
           value, max_age, secure ? "; Secure" : "");
}
