/* cli_user — accounts, passwords and API tokens (see commands.h). */
#include "commands.h"
#include "err.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_user_add(struct cli *c) {
  char *password = NULL;
  if (cli_flag(c, "password-stdin") && !(password = cli_read_stdin(4096))) return EXIT_REFUSED;
  struct user_new n = {cli_opt(c, "email"), cli_opt(c, "name"), cli_opt(c, "role"), cli_opt(c, "collectivity"),
                       cli_opt(c, "org"), password};
  int64_t id;
  int rc = cli_actor(c);
  if (!rc) rc = user_add(&id, c->db, &c->actor, &n);
  if (password) {
    memset(password, 0, strlen(password));
    free(password);
  }
  if (rc) return cli_fail(rc);
  printf("Compte créé : %s (%s)%s\n", n.email, n.role, n.password ? "" : ", sans mot de passe");
  return EXIT_OK;
}

int cli_user_list(struct cli *c) {
  json_t *o;
  int rc = cli_db(c);
  if (!rc) rc = user_list(&o, c->db);
  if (rc) return cli_fail(rc);
  if (cli_flag(c, "json")) return cli_print_json(o);
  size_t i;
  json_t *x;
  json_array_foreach(o, i, x) {
    const char *bound = json_string_value(json_object_get(x, "collectivity"));
    if (!bound) bound = json_string_value(json_object_get(x, "org"));
    printf("%-36s %-12s %-12s %s\n", json_string_value(json_object_get(x, "email")),
           json_string_value(json_object_get(x, "role")), bound ? bound : "",
           json_string_value(json_object_get(x, "name")));
  }
  json_decref(o);
  return EXIT_OK;
}

int cli_user_password(struct cli *c) {
  const char *email = cli_need(c, "email");
  if (!email) return EXIT_USAGE;
  char *password = cli_read_stdin(4096);
  if (!password) return EXIT_REFUSED;
  int rc = cli_actor(c);
  if (!rc) rc = user_set_password(c->db, &c->actor, email, password);
  memset(password, 0, strlen(password));
  free(password);
  if (rc) return cli_fail(rc);
  printf("Mot de passe changé pour %s\n", email);
  return EXIT_OK;
}

int cli_user_token(struct cli *c) {
  const char *email = cli_need(c, "email");
  if (!email) return EXIT_USAGE;
  char *token = NULL;
  int rc = cli_actor(c);
  if (!rc) rc = user_token_create(&token, c->db, &c->actor, email, cli_opt(c, "label"));
  if (rc) return cli_fail(rc);
  printf("%s\n", token);
  fprintf(stderr, "Jeton créé pour %s : il ne sera plus affiché, conservez-le.\n", email);
  free(token);
  return EXIT_OK;
}
