/* cli_territory — territory import and show, ad-hoc perimeters (see
 * commands.h). */
#include "commands.h"
#include "demo.h"
#include "err.h"
#include "perimeter.h"
#include "territory.h"
#include <stdio.h>
#include <string.h>

int cli_territory_import(struct cli *c) {
  const char *deps[128];
  int n = cli_opts(c, "departement", deps, 128);
  int all = cli_flag(c, "all");
  if (!n && !all) return cli_usage(c, "indiquez --departement CODE (répétable) ou --all");
  if (n && all) return cli_usage(c, "--departement et --all s'excluent");
  const char *source = cli_opt(c, "source");
  if (!source) source = demo_referential_default();
  struct territory_stats st;
  int rc = cli_actor(c);
  if (!rc) rc = territory_import(&st, c->db, &c->actor, source, deps, n, cli_progress());
  if (rc) return cli_fail(rc);
  printf("Import terminé : %lld départements, %lld communes, %lld EPCI (%lld ajoutés, %lld mis à jour)\n",
         (long long)st.departements, (long long)st.communes, (long long)st.epcis, (long long)st.inserted,
         (long long)st.updated);
  return EXIT_OK;
}

static const char *str(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

int cli_territory_show(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = territory_show(&o, c->db, c->pos[0]);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  const char *kind = str(o, "kind");
  printf("%s (%s, %s %s)\n", str(o, "name"), kind, strcmp(kind, "commune") == 0 ? "INSEE" : "SIREN", str(o, "code"));
  json_t *pop = json_object_get(o, "population");
  if (json_is_integer(pop)) {
    char n[32];
    cli_thousands(n, json_integer_value(pop));
    printf("Population : %s habitants\n", n);
  }
  json_t *dep = json_object_get(o, "departement");
  if (dep) printf("Département : %s %s\n", str(dep, "code"), str(dep, "name"));
  json_t *epci = json_object_get(o, "epci");
  if (epci) printf("EPCI : %s (%s, %s)\n", str(epci, "name"), str(epci, "code"), str(epci, "kind"));
  if (json_object_get(o, "epci_kind")) printf("Nature : %s\n", str(o, "epci_kind"));
  json_t *pcs = json_object_get(o, "postal_codes"), *x;
  size_t i;
  if (json_array_size(pcs)) {
    printf("Codes postaux :");
    json_array_foreach(pcs, i, x) printf("%s %s", i ? "," : "", json_string_value(x));
    printf("\n");
  }
  json_t *members = json_object_get(o, "members");
  if (members) {
    printf("Communes membres : %zu\n", json_array_size(members));
    json_array_foreach(members, i, x) printf("  %s %s\n", str(x, "code"), str(x, "name"));
  }
  json_decref(o);
  return EXIT_OK;
}

int cli_territory_perimeter_add(struct cli *c) {
  const char *slug = cli_need(c, "slug"), *name = slug ? cli_need(c, "name") : NULL;
  if (!slug || !name) return EXIT_USAGE;
  const char *communes[2048];
  int n = cli_opts(c, "commune", communes, 2048);
  int64_t id;
  int rc = cli_actor(c);
  if (!rc) rc = perimeter_create(&id, c->db, &c->actor, slug, name, communes, n);
  if (rc) return cli_fail(rc);
  printf("Périmètre créé : adhoc:%s (%d communes)\n", slug, n);
  return EXIT_OK;
}

int cli_territory_perimeter_list(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = perimeter_list(&o, c->db);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) printf("%-28s %-6lld %s\n", str(x, "spec"),
                                     (long long)json_integer_value(json_object_get(x, "communes")), str(x, "name"));
  json_decref(o);
  return EXIT_OK;
}
