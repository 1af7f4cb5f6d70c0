/* cli_request — filing, listing, showing and writing on requests (see
 * commands.h). */
#include "attachment.h"
#include "commands.h"
#include "err.h"
#include "message.h"
#include "request.h"
#include "workflow.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *str(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* The text of option `name`, read from standard input when it is "-". *owned
 * receives what to free. */
static const char *text_opt(struct cli *c, const char *name, char **owned) {
  const char *v = cli_opt(c, name);
  *owned = NULL;
  if (v && strcmp(v, "-") == 0) v = *owned = cli_read_stdin(1u << 20);
  return v;
}

int cli_request_file(struct cli *c) {
  const char *themes[16];
  char *desc_owned;
  struct request_new n = {cli_opt(c, "collectivity"), cli_opt(c, "title"), text_opt(c, "description", &desc_owned),
                          themes, cli_opts(c, "theme", themes, 16), cli_opt(c, "offer"), -1,
                          cli_opt(c, "desired-date")};
  const char *budget = cli_opt(c, "budget");
  if (budget) {
    char *end;
    errno = 0;
    double b = strtod(budget, &end);
    if (!*budget || *end || errno || !(b >= 0) || b > 1e12) {
      free(desc_owned);
      return cli_usage(c, "--budget : un montant positif en euros est attendu, reçu « %s »", budget);
    }
    n.budget_cents = (int64_t)llround(b * 100.0);
  }
  char ref[REQUEST_REF_SIZE];
  int rc = cli_actor(c);
  if (!rc) rc = cli_engine(c);
  if (!rc) rc = workflow_file(ref, NULL, c->engine, &c->actor, &n);
  free(desc_owned);
  if (rc) return cli_fail(rc);
  printf("%s\n", ref);
  return EXIT_OK;
}

int cli_request_list(struct cli *c) {
  long limit = 20;
  if (cli_int(c, "limit", 1, REQUEST_LIST_MAX, &limit)) return EXIT_USAGE;
  struct request_filter f = {cli_opt(c, "status"), cli_opt(c, "theme"), cli_opt(c, "collectivity"),
                             cli_opt(c, "epci"),   cli_opt(c, "q"),     cli_opt(c, "cursor"), (int)limit};
  json_t *items;
  char *next = NULL;
  int rc = cli_actor(c);
  if (!rc) rc = request_list(&items, &next, c->db, &c->actor, &f);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) {
    json_t *o = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
    free(next);
    return cli_print_json(o);
  }
  size_t i;
  json_t *x;
  json_array_foreach(items, i, x) {
    json_t *col = json_object_get(x, "collectivity");
    char status[96], name[128];
    printf("%-12s %s %s %s\n", str(x, "ref"), cli_cell(status, sizeof status, str(x, "status_label"), 16),
           cli_cell(name, sizeof name, str(col, "name"), 24), str(x, "title"));
  }
  if (!json_array_size(items)) printf("Aucune demande.\n");
  if (next) printf("\nSuite : appui request list --cursor %s\n", next);
  free(next);
  json_decref(items);
  return EXIT_OK;
}

int cli_request_show(struct cli *c) {
  json_t *o;
  int rc = cli_actor(c);
  if (!rc) rc = request_show(&o, c->db, &c->actor, c->pos[0], REQUEST_WITH_EVENTS);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  json_t *col = json_object_get(o, "collectivity"), *x;
  size_t i;
  printf("%s  %s\nStatut : %s\nCollectivité : %s (%s)\n", str(o, "ref"), str(o, "title"), str(o, "status_label"),
         str(col, "name"), str(col, "code"));
  printf("Thématiques :");
  json_array_foreach(json_object_get(o, "themes"), i, x) printf("%s %s", i ? "," : "", json_string_value(x));
  printf("\n");
  json_t *offer = json_object_get(o, "offer");
  if (json_is_object(offer)) printf("Offre : %s (%s)\n", str(offer, "title"), str(offer, "slug"));
  json_t *budget = json_object_get(o, "budget");
  if (json_is_number(budget)) {
    char n[32];
    cli_thousands(n, (long long)llround(json_number_value(budget)));
    printf("Budget estimé : %s €\n", n);
  }
  if (*str(o, "desired_date")) printf("Date souhaitée : %s\n", str(o, "desired_date"));
  printf("Déposée le %s%s%s\n\n%s\n", str(o, "filed_at"), *str(o, "filed_by") ? " par " : "", str(o, "filed_by"),
         str(o, "description"));
  json_t *parts = json_object_get(o, "parts");
  if (json_array_size(parts)) {
    printf("\nMises en relation :\n");
    json_array_foreach(parts, i, x) printf("  %-12s %-12s %s\n", str(x, "role"), str(x, "state"),
                                           str(json_object_get(x, "org"), "name"));
  }
  json_t *msgs = json_object_get(o, "messages");
  if (json_array_size(msgs)) {
    printf("\nMessages :\n");
    json_array_foreach(msgs, i, x) printf("  [%s] %s%s : %s\n", str(x, "at"), str(json_object_get(x, "author"), "name"),
                                          strcmp(str(x, "visibility"), "internal") == 0 ? " (note interne)" : "",
                                          str(x, "body"));
  }
  json_t *atts = json_object_get(o, "attachments");
  if (json_array_size(atts)) {
    printf("\nDocuments :\n");
    json_array_foreach(atts, i, x) printf("  %s (%s, %lld octets)\n", str(x, "name"), str(x, "media_type"),
                                          (long long)json_integer_value(json_object_get(x, "size")));
  }
  printf("\nJournal :\n");
  json_array_foreach(json_object_get(o, "events"), i, x) printf("  %-6lld %s  %-20s %s\n",
                                                                (long long)json_integer_value(json_object_get(x, "id")),
                                                                str(x, "at"), str(x, "type"), str(x, "actor"));
  json_decref(o);
  return EXIT_OK;
}

int cli_request_message(struct cli *c) {
  char *owned;
  const char *body = text_opt(c, "body", &owned);
  if (!body) return cli_usage(c, "l'option --body est obligatoire");
  int64_t id;
  int rc = cli_actor(c);
  if (!rc) rc = message_post(&id, c->db, &c->actor, c->pos[0], cli_flag(c, "internal") ? "internal" : "public", body);
  free(owned);
  if (rc) return cli_fail(rc);
  printf("Message %lld écrit sur %s\n", (long long)id, c->pos[0]);
  return EXIT_OK;
}

static const char *guess_type(const char *path) {
  static const struct {
    const char *ext, *type;
  } map[] = {{".pdf", "application/pdf"}, {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
             {".txt", "text/plain"}, {".csv", "text/csv"}, {".odt", "application/vnd.oasis.opendocument.text"},
             {".ods", "application/vnd.oasis.opendocument.spreadsheet"},
             {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
             {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, {".zip", "application/zip"}};
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
    if (strcasecmp(dot, map[i].ext) == 0) return map[i].type;
  return NULL;
}

int cli_request_attach(struct cli *c) {
  const char *path = c->pos[1];
  const char *type = cli_opt(c, "type") ? cli_opt(c, "type") : guess_type(path);
  const char *name = cli_opt(c, "name");
  if (!name) name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  if (!type) return cli_usage(c, "type de fichier inconnu pour « %s » : précisez --type", path);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "appui : impossible de lire %s : %s\n", path, strerror(errno));
    return EXIT_REFUSED;
  }
  size_t cap = (size_t)ATTACHMENT_MAX + 1;
  char *data = malloc(cap);
  size_t n = data ? fread(data, 1, cap, f) : 0;
  int bad = !data || ferror(f);
  fclose(f);
  if (bad) {
    free(data);
    fprintf(stderr, "appui : lecture de %s impossible\n", path);
    return EXIT_REFUSED;
  }
  char blobs[4096];
  int64_t id;
  int rc = cli_actor(c);
  cli_blobs(c, blobs, sizeof blobs);
  if (!rc) rc = attachment_add(&id, c->db, &c->actor, blobs, c->pos[0], name, type, data, n);
  free(data);
  if (rc) return cli_fail(rc);
  printf("Document %lld joint à %s : %s (%s, %zu octets)\n", (long long)id, c->pos[0], name, type, n);
  return EXIT_OK;
}
