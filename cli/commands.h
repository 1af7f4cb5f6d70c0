/* commands — the handlers of the command table, one file per group
 * (cli_admin.c, cli_territory.c, cli_catalog.c, cli_user.c, cli_request.c,
 * cli_serve.c, cli_workflow.c, cli_dispatch.c, cli_board.c). Each returns the process exit status. */
#ifndef APPUI_COMMANDS_H
#define APPUI_COMMANDS_H
#include "cli.h"

int cli_admin_help(struct cli *c);
int cli_admin_init(struct cli *c);
int cli_admin_demo(struct cli *c);
int cli_admin_journal(struct cli *c);

int cli_territory_import(struct cli *c);
int cli_territory_show(struct cli *c);
int cli_territory_perimeter_add(struct cli *c);
int cli_territory_perimeter_list(struct cli *c);

int cli_catalog_org_add(struct cli *c);
int cli_catalog_org_list(struct cli *c);
int cli_catalog_org_show(struct cli *c);
int cli_catalog_offer_add(struct cli *c);
int cli_catalog_offer_list(struct cli *c);
int cli_catalog_offer_show(struct cli *c);
int cli_catalog_membership_add(struct cli *c);
int cli_catalog_membership_list(struct cli *c);

int cli_user_add(struct cli *c);
int cli_user_list(struct cli *c);
int cli_user_password(struct cli *c);
int cli_user_token(struct cli *c);

int cli_request_file(struct cli *c);
int cli_request_list(struct cli *c);
int cli_request_show(struct cli *c);
int cli_request_message(struct cli *c);
int cli_request_attach(struct cli *c);

int cli_serve_run(struct cli *c);

int cli_workflow_validate(struct cli *c);
int cli_workflow_publish(struct cli *c);
int cli_workflow_list(struct cli *c);
int cli_workflow_log(struct cli *c);
int cli_workflow_show(struct cli *c);
int cli_workflow_reconcile(struct cli *c);
int cli_workflow_diff(struct cli *c);
int cli_workflow_instances(struct cli *c);
int cli_workflow_tasks(struct cli *c);
int cli_workflow_complete(struct cli *c);
int cli_workflow_message(struct cli *c);
int cli_workflow_incidents(struct cli *c);
int cli_workflow_retry(struct cli *c);
int cli_workflow_migrate(struct cli *c);
int cli_workflow_tick(struct cli *c);

/* Prints the list of commands, or the help of `name` ("territory import",
 * or a group such as "territory"). Returns EXIT_OK, or EXIT_USAGE if
 * unknown. */
int cli_help(const char *name);

int cli_workflow_rules_publish(struct cli *c);
int cli_workflow_rules_list(struct cli *c);
int cli_workflow_rules_show(struct cli *c);

int cli_dispatch_match(struct cli *c);
int cli_dispatch_part_list(struct cli *c);
int cli_dispatch_part_propose(struct cli *c);
int cli_dispatch_part_move(struct cli *c);
int cli_dispatch_part_assign(struct cli *c);
int cli_dispatch_part_handover(struct cli *c);
int cli_dispatch_part_reassign(struct cli *c);
int cli_dispatch_part_queue(struct cli *c);
int cli_dispatch_sla_show(struct cli *c);
int cli_dispatch_sla_sweep(struct cli *c);

int cli_board_show(struct cli *c);
int cli_board_stats(struct cli *c);


#endif
