/* cli_catalog — orgs, offers and memberships (see commands.h). */
#include "catalog.h"
#include "commands.h"
#include "err.h"
#include <stdio.h>
#include <string.h>

static const char *str(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

int cli_catalog_org_add(struct cli *c) {
  long capacity = -1;
  if (cli_int(c, "capacity", 0, 100000, &capacity)) return EXIT_USAGE;
  struct catalog_org_new n = {cli_opt(c, "slug"), cli_opt(c, "name"), cli_opt(c, "kind"), cli_opt(c, "parent"),
                              cli_opt(c, "email"), cli_opt(c, "phone"), (int)capacity};
  int64_t id;
  int rc = cli_actor(c);
  if (!rc) rc = catalog_org_add(&id, c->db, &c->actor, &n);
  if (rc) return cli_fail(rc);
  printf("Structure créée : %s\n", n.slug);
  return EXIT_OK;
}

int cli_catalog_org_list(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = catalog_org_list(&o, c->db);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) printf("%-26s %-10s %3lld offre(s)  %s\n", str(x, "slug"), str(x, "kind"),
                                     (long long)json_integer_value(json_object_get(x, "offers")), str(x, "name"));
  json_decref(o);
  return EXIT_OK;
}

static void print_offer_line(json_t *x) {
  printf("  %-32s %-11s %s\n", str(x, "slug"), str(x, "kind"), str(x, "title"));
}

int cli_catalog_org_show(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = catalog_org_show(&o, c->db, c->pos[0]);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  printf("%s (%s)\nType : %s\n", str(o, "name"), str(o, "slug"), str(o, "kind_label"));
  if (*str(o, "parent")) printf("Rattachée à : %s\n", str(o, "parent"));
  if (*str(o, "email")) printf("Contact : %s %s\n", str(o, "email"), str(o, "phone"));
  printf("Capacité : %lld mises en relation ouvertes (actuellement %lld)\n",
         (long long)json_integer_value(json_object_get(o, "capacity")),
         (long long)json_integer_value(json_object_get(o, "open_parts")));
  size_t i;
  json_t *x;
  printf("Offres :\n");
  json_array_foreach(json_object_get(o, "offer_list"), i, x) print_offer_line(x);
  json_decref(o);
  return EXIT_OK;
}

static int days(struct cli *c, const char *name, int *out) {
  long v = -1;
  if (cli_int(c, name, 0, 365, &v)) return ERR_USAGE;
  *out = (int)v;
  return 0;
}

int cli_catalog_offer_add(struct cli *c) {
  const char *themes[16], *audience[4];
  struct catalog_offer_new n = {
      .slug = cli_opt(c, "slug"), .org = cli_opt(c, "org"), .kind = cli_opt(c, "kind"), .title = cli_opt(c, "title"),
      .summary = cli_opt(c, "summary"), .themes = themes, .n_themes = cli_opts(c, "theme", themes, 16),
      .audience = audience, .n_audience = cli_opts(c, "audience", audience, 4), .perimeter = cli_opt(c, "perimeter"),
      .eligibility = cli_opt(c, "eligibility"), .requires_membership = cli_flag(c, "members-only"),
      .process = cli_opt(c, "process")};
  if (days(c, "sla-ack", &n.sla_ack) || days(c, "sla-take", &n.sla_take) || days(c, "sla-resolve", &n.sla_resolve))
    return EXIT_USAGE;
  if (!n.org) return cli_usage(c, "l'option --org est obligatoire");
  int64_t id;
  int rc = cli_actor(c);
  if (!rc) rc = catalog_offer_add(&id, c->db, &c->actor, &n);
  if (rc) return cli_fail(rc);
  printf("Offre créée : %s\n", n.slug);
  return EXIT_OK;
}

int cli_catalog_offer_list(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = catalog_offer_list(&o, c->db, cli_opt(c, "theme"), cli_opt(c, "org"));
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) printf("%-32s %-24s %-11s %s\n", str(x, "slug"), str(json_object_get(x, "org"), "slug"),
                                     str(x, "kind"), str(x, "title"));
  json_decref(o);
  return EXIT_OK;
}

static void print_list(const char *label, json_t *a) {
  size_t i;
  json_t *x;
  printf("%s :", label);
  json_array_foreach(a, i, x) printf("%s %s", i ? "," : "", json_string_value(x));
  printf("\n");
}

int cli_catalog_offer_show(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = catalog_offer_show(&o, c->db, c->pos[0]);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  json_t *org = json_object_get(o, "org"), *per = json_object_get(o, "perimeter"), *sla = json_object_get(o, "sla");
  printf("%s (%s)\n%s, proposée par %s (%s)\n", str(o, "title"), str(o, "slug"), str(o, "kind_label"),
         str(org, "name"), str(org, "slug"));
  print_list("Thématiques", json_object_get(o, "themes"));
  print_list("Public", json_object_get(o, "audience"));
  printf("Périmètre : %s\n", json_is_object(per) ? str(per, "name") : "partout");
  if (*str(o, "eligibility")) printf("Éligibilité : %s\n", str(o, "eligibility"));
  if (json_is_true(json_object_get(o, "requires_membership"))) printf("Réservée aux adhérents\n");
  printf("Délais (jours ouvrés) : accusé %lld, prise en charge %lld, résolution %lld\n",
         (long long)json_integer_value(json_object_get(sla, "acknowledge")),
         (long long)json_integer_value(json_object_get(sla, "take_charge")),
         (long long)json_integer_value(json_object_get(sla, "resolve")));
  printf("Circuit : %s\n", str(o, "process"));
  if (*str(o, "summary")) printf("\n%s\n", str(o, "summary"));
  json_decref(o);
  return EXIT_OK;
}

int cli_catalog_membership_add(struct cli *c) {
  const char *coll = cli_need(c, "collectivity"), *org = coll ? cli_need(c, "org") : NULL;
  const char *from = org ? cli_need(c, "from") : NULL;
  if (!from) return EXIT_USAGE;
  int64_t id;
  int rc = cli_actor(c);
  if (!rc) rc = catalog_membership_add(&id, c->db, &c->actor, coll, org, from, cli_opt(c, "until"));
  if (rc) return cli_fail(rc);
  printf("Adhésion enregistrée : %s à %s depuis le %s\n", coll, org, from);
  return EXIT_OK;
}

int cli_catalog_membership_list(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = catalog_membership_list(&o, c->db, cli_opt(c, "collectivity"), cli_opt(c, "org"));
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) {
    json_t *col = json_object_get(x, "collectivity");
    char name[160];
    printf("%-16s %-10s %s %s → %s\n", str(json_object_get(x, "org"), "slug"), str(col, "code"),
           cli_cell(name, sizeof name, str(col, "name"), 32), str(x, "start"), *str(x, "end") ? str(x, "end") : "");
  }
  json_decref(o);
  return EXIT_OK;
}
