/* command — the one command table: every command of `appui`, its
 * arguments, options and summary. `appui help` prints it. */
#include "commands.h"
#include <stdio.h>
#include <string.h>

#define JSON_OPT {"json", OPT_FLAG, NULL, "sortie JSON"}
#define AS_OPT {"as", OPT_VALUE, "EMAIL", "agir au nom de ce compte (droits du compte appliqués)"}
#define AT_OPT {"at", OPT_VALUE, "DATE", "instant à utiliser comme maintenant (2026-12-01T09:00:00+01:00)"}
#define VAR_OPT {"var", OPT_MULTI, "NOM=VALEUR", "variable de l'instance (valeur JSON ou texte ; répétable)"}


static const struct cli_command commands[] = {
    {"help", cli_admin_help, "[COMMANDE]", 0, 2, "afficher l'aide générale ou celle d'une commande", {{0}}},
    {"init", cli_admin_init, NULL, 0, 0, "créer le dossier de données et la base (ou la mettre à jour)", {{0}}},
    {"demo", cli_admin_demo, NULL, 0, 0,
     "créer les données de démonstration (Haute-Garonne, catalogue, comptes, demandes) si absentes",
     {{"source", OPT_VALUE, "DIR", "dossier data du paquet @etalab/decoupage-administratif"}}},
    {"serve", cli_serve_run, NULL, 0, 0, "servir la plateforme en HTTP (Ctrl-C pour arrêter)",
     {{"listen", OPT_VALUE, "ADRESSE:PORT", "adresse d'écoute (127.0.0.1:8080 par défaut)"},
      {"threads", OPT_VALUE, "N", "fils de traitement (deux par cœur par défaut)"},
      {"assets", OPT_VALUE, "DIR",
       "développement : lire gabarits (DIR/templates) et fichiers statiques (DIR/static) sur le disque, "
       "ex. --assets web"}}},
    {"journal", cli_admin_journal, NULL, 0, 0, "lire le journal des événements",
     {{"request", OPT_VALUE, "REF", "seulement les événements de cette demande"},
      {"after", OPT_VALUE, "ID", "à partir de l'événement suivant ID"},
      {"limit", OPT_VALUE, "N", "au plus N événements (100 par défaut)"},
      JSON_OPT}},

    {"territory import", cli_territory_import, NULL, 0, 0,
     "importer communes, EPCI et départements depuis @etalab/decoupage-administratif",
     {{"source", OPT_VALUE, "DIR", "dossier data du paquet (par défaut celui installé par make)"},
      {"departement", OPT_MULTI, "CODE", "département à importer (répétable : --departement 31 --departement 32)"},
      {"all", OPT_FLAG, NULL, "importer toute la France"}}},
    {"territory show", cli_territory_show, "CODE", 1, 1, "afficher une commune (code INSEE) ou un EPCI (SIREN)",
     {JSON_OPT}},
    {"perimeter add", cli_territory_perimeter_add, NULL, 0, 0, "créer un périmètre ad hoc (liste de communes)",
     {{"slug", OPT_VALUE, "SLUG", "identifiant"},
      {"name", OPT_VALUE, "NOM", "nom affiché"},
      {"commune", OPT_MULTI, "INSEE", "commune membre (répétable)"}}},
    {"perimeter list", cli_territory_perimeter_list, NULL, 0, 0, "lister les périmètres", {JSON_OPT}},

    {"org add", cli_catalog_org_add, NULL, 0, 0, "créer une structure (service, direction, satellite…)",
     {{"slug", OPT_VALUE, "SLUG", "identifiant (a-z, 0-9, -)"},
      {"name", OPT_VALUE, "NOM", "nom complet"},
      {"kind", OPT_VALUE, "TYPE", "direction, service, satellite, mission ou partner"},
      {"parent", OPT_VALUE, "SLUG", "structure parente"},
      {"email", OPT_VALUE, "EMAIL", "adresse de contact"},
      {"phone", OPT_VALUE, "TEL", "téléphone de contact"},
      {"capacity", OPT_VALUE, "N", "mises en relation ouvertes simultanément (20 par défaut)"}}},
    {"org list", cli_catalog_org_list, NULL, 0, 0, "lister les structures", {JSON_OPT}},
    {"org show", cli_catalog_org_show, "SLUG", 1, 1, "afficher une structure et ses offres", {JSON_OPT}},
    {"offer add", cli_catalog_offer_add, NULL, 0, 0, "créer une offre d'appui",
     {{"slug", OPT_VALUE, "SLUG", "identifiant"},
      {"org", OPT_VALUE, "SLUG", "structure qui la propose"},
      {"kind", OPT_VALUE, "TYPE", "conseil, amo, etude, subvention, formation ou evenement"},
      {"title", OPT_VALUE, "TITRE", "titre"},
      {"summary", OPT_VALUE, "TEXTE", "présentation"},
      {"theme", OPT_MULTI, "THEME", "thématique (répétable)"},
      {"audience", OPT_MULTI, "TYPE", "public : commune, epci, syndicat, service (répétable ; commune et epci par défaut)"},
      {"perimeter", OPT_VALUE, "SPEC", "périmètre : departement:31, epci:SIREN, commune:INSEE, adhoc:SLUG"},
      {"eligibility", OPT_VALUE, "EXPR", "règle d'éligibilité FEEL-lite (ex. « = population < 3500 »)"},
      {"members-only", OPT_FLAG, NULL, "réservée aux adhérents de la structure"},
      {"sla-ack", OPT_VALUE, "JOURS", "délai d'accusé de réception (jours ouvrés)"},
      {"sla-take", OPT_VALUE, "JOURS", "délai de prise en charge (jours ouvrés)"},
      {"sla-resolve", OPT_VALUE, "JOURS", "délai de résolution (jours ouvrés)"},
      {"process", OPT_VALUE, "ID", "circuit BPMN (demande-appui par défaut)"}}},
    {"offer list", cli_catalog_offer_list, NULL, 0, 0, "lister les offres",
     {{"theme", OPT_VALUE, "THEME", "seulement cette thématique"},
      {"org", OPT_VALUE, "SLUG", "seulement cette structure"},
      JSON_OPT}},
    {"offer show", cli_catalog_offer_show, "SLUG", 1, 1, "afficher une offre", {JSON_OPT}},
    {"membership add", cli_catalog_membership_add, NULL, 0, 0, "enregistrer l'adhésion d'une collectivité à une structure",
     {{"collectivity", OPT_VALUE, "CODE", "collectivité adhérente"},
      {"org", OPT_VALUE, "SLUG", "structure"},
      {"from", OPT_VALUE, "AAAA-MM-JJ", "premier jour"},
      {"until", OPT_VALUE, "AAAA-MM-JJ", "dernier jour (facultatif)"}}},
    {"membership list", cli_catalog_membership_list, NULL, 0, 0, "lister les adhésions",
     {{"collectivity", OPT_VALUE, "CODE", "d'une collectivité"},
      {"org", OPT_VALUE, "SLUG", "à une structure"},
      JSON_OPT}},

    {"user add", cli_user_add, NULL, 0, 0, "créer un compte",
     {{"email", OPT_VALUE, "EMAIL", "identifiant de connexion"},
      {"name", OPT_VALUE, "NOM", "nom affiché"},
      {"role", OPT_VALUE, "ROLE", "requester, agent, head, coordinator ou admin"},
      {"collectivity", OPT_VALUE, "CODE", "collectivité d'un demandeur"},
      {"org", OPT_VALUE, "SLUG", "structure d'un agent ou d'un chef de service"},
      {"password-stdin", OPT_FLAG, NULL, "lire le mot de passe sur l'entrée standard"}}},
    {"user list", cli_user_list, NULL, 0, 0, "lister les comptes", {JSON_OPT}},
    {"user password", cli_user_password, NULL, 0, 0, "changer un mot de passe (lu sur l'entrée standard)",
     {{"email", OPT_VALUE, "EMAIL", "compte"}}},
    {"token create", cli_user_token, NULL, 0, 0, "créer un jeton d'API (affiché une seule fois)",
     {{"email", OPT_VALUE, "EMAIL", "compte au nom duquel le jeton agit"},
      {"label", OPT_VALUE, "TEXTE", "usage du jeton"}}},

    {"request file", cli_request_file, NULL, 0, 0, "déposer une demande ; affiche sa référence",
     {{"collectivity", OPT_VALUE, "CODE", "collectivité demandeuse (celle du compte --as par défaut)"},
      {"title", OPT_VALUE, "TITRE", "titre (200 caractères au plus)"},
      {"description", OPT_VALUE, "TEXTE", "description ; « - » pour la lire sur l'entrée standard"},
      {"theme", OPT_MULTI, "THEME", "thématique (répétable)"},
      {"offer", OPT_VALUE, "SLUG", "offre choisie"},
      {"budget", OPT_VALUE, "EUROS", "budget estimé du projet"},
      {"desired-date", OPT_VALUE, "AAAA-MM-JJ", "date souhaitée"},
      AS_OPT}},
    {"request list", cli_request_list, NULL, 0, 0, "lister les demandes, les plus récentes d'abord",
     {{"status", OPT_VALUE, "STATUT", "filtre"},
      {"theme", OPT_VALUE, "THEME", "filtre"},
      {"collectivity", OPT_VALUE, "CODE", "filtre"},
      {"epci", OPT_VALUE, "SIREN", "demandes de l'EPCI et de ses communes"},
      {"q", OPT_VALUE, "MOTS", "recherche plein texte"},
      {"limit", OPT_VALUE, "N", "taille de page (20 par défaut)"},
      {"cursor", OPT_VALUE, "CURSEUR", "page suivante"},
      AS_OPT,
      JSON_OPT}},
    {"request show", cli_request_show, "REF", 1, 1, "afficher une demande avec son journal", {AS_OPT, JSON_OPT}},
    {"request message", cli_request_message, "REF", 1, 1, "écrire sur une demande",
     {{"body", OPT_VALUE, "TEXTE", "message ; « - » pour le lire sur l'entrée standard"},
      {"internal", OPT_FLAG, NULL, "note interne (services seulement)"},
      AS_OPT}},
    {"request attach", cli_request_attach, "REF FICHIER", 2, 2, "joindre un document à une demande",
     {{"type", OPT_VALUE, "TYPE", "type du fichier (deviné d'après l'extension sinon)"},
      {"name", OPT_VALUE, "NOM", "nom affiché (nom du fichier sinon)"},
      AS_OPT}},


    {"workflow validate", cli_workflow_validate, "FICHIER…", 1, CLI_MAX_POS,
     "vérifier des définitions BPMN (sous-ensemble exécutable)", {{0}}},
    {"workflow publish", cli_workflow_publish, "FICHIER", 1, 1, "publier une définition (nouvelle version si elle a changé)",
     {{"author", OPT_VALUE, "\"NOM <EMAIL>\"", "personne qui publie (auteur du commit)"},
      {"message", OPT_VALUE, "TEXTE", "message du commit"}}},
    {"workflow list", cli_workflow_list, NULL, 0, 0, "lister les versions publiées de chaque circuit", {JSON_OPT}},
    {"workflow log", cli_workflow_log, "PROCESSUS", 1, 1, "historique des publications d'un circuit", {JSON_OPT}},
    {"workflow show", cli_workflow_show, "PROCESSUS", 1, 1, "afficher les éléments d'une version",
     {{"version", OPT_VALUE, "N", "version (la dernière par défaut)"}, JSON_OPT}},
    {"workflow reconcile", cli_workflow_reconcile, NULL, 0, 0,
     "prendre en compte les commits poussés avec git (validés comme à la publication)", {{0}}},
    {"workflow diff", cli_workflow_diff, "PROCESSUS V1 V2", 3, 3, "différences entre deux versions, élément par élément",
     {{"patch", OPT_FLAG, NULL, "différence textuelle de git"}, JSON_OPT}},
    {"workflow instances", cli_workflow_instances, NULL, 0, 0, "lister les instances",
     {{"process", OPT_VALUE, "PROCESSUS", "seulement ce circuit"}, JSON_OPT}},
    {"workflow tasks", cli_workflow_tasks, NULL, 0, 0, "lister les tâches ouvertes",
     {{"instance", OPT_VALUE, "N", "seulement cette instance"}, JSON_OPT}},
    {"workflow complete", cli_workflow_complete, "TÂCHE", 1, 1, "terminer une tâche", {VAR_OPT, AT_OPT, AS_OPT}},
    {"workflow message", cli_workflow_message, "INSTANCE NOM", 2, 2, "remettre un message à une instance",
     {VAR_OPT, AT_OPT, AS_OPT}},
    {"workflow incidents", cli_workflow_incidents, NULL, 0, 0, "lister les incidents ouverts", {JSON_OPT}},
    {"workflow retry", cli_workflow_retry, "INCIDENT", 1, 1, "relancer un incident", {AT_OPT, AS_OPT}},
    {"workflow migrate", cli_workflow_migrate, NULL, 0, 0, "migrer des instances vers une autre version",
     {{"process", OPT_VALUE, "PROCESSUS", "circuit"},
      {"to", OPT_VALUE, "N", "version cible"},
      {"from", OPT_VALUE, "N", "seulement les instances de cette version"},
      {"instance", OPT_MULTI, "ID", "seulement ces instances (répétable)"},
      {"map", OPT_MULTI, "SOURCE=CIBLE", "associer un élément ou un flux (répétable)"},
      {"dry-run", OPT_FLAG, NULL, "vérifier sans rien changer"},
      AS_OPT,
      JSON_OPT}},
    {"workflow tick", cli_workflow_tick, NULL, 0, 0, "déclencher les minuteurs et travaux échus (tests, cron)", {AT_OPT}},
    {"rules publish", cli_workflow_rules_publish, "FICHIER", 1, 1,
     "publier des règles d'orientation (rules/NOM.rules du dépôt des circuits)",
     {{"name", OPT_VALUE, "NOM", "nom du jeu de règles (orientation par défaut)"},
      {"author", OPT_VALUE, "\"NOM <EMAIL>\"", "personne qui publie (auteur du commit)"},
      {"message", OPT_VALUE, "TEXTE", "message du commit"},
      AS_OPT}},
    {"rules list", cli_workflow_rules_list, "[NOM]", 0, 1, "lister les versions publiées des règles", {JSON_OPT}},
    {"rules show", cli_workflow_rules_show, "[NOM]", 0, 1, "afficher des règles publiées (orientation par défaut)",
     {{"version", OPT_VALUE, "N", "version (la dernière par défaut)"}}},

    {"match", cli_dispatch_match, "[REF]", 0, 1,
     "orientation proposée pour une demande, ou essai pour une collectivité (--collectivity, --theme, --text)",
     {{"collectivity", OPT_VALUE, "CODE", "essai : collectivité demandeuse"},
      {"theme", OPT_MULTI, "THEME", "essai : thématique (répétable)"},
      {"text", OPT_VALUE, "TEXTE", "essai : titre et description"},
      {"limit", OPT_VALUE, "N", "nombre d'offres classées (10 par défaut)"},
      {"explain", OPT_FLAG, NULL, "montrer aussi les offres écartées et les règles appliquées"},
      AT_OPT,
      AS_OPT,
      JSON_OPT}},
    {"part list", cli_dispatch_part_list, "REF", 1, 1, "mises en relation d'une demande", {AS_OPT, JSON_OPT}},
    {"part propose", cli_dispatch_part_propose, "REF STRUCTURE", 2, 2, "proposer une structure sur une demande",
     {{"role", OPT_VALUE, "ROLE", "lead (pilote, par défaut) ou contributor"},
      {"offer", OPT_VALUE, "SLUG", "offre de la structure"},
      AS_OPT}},
    {"part accept", cli_dispatch_part_move, "REF STRUCTURE", 2, 2, "accepter une mise en relation proposée", {AS_OPT}},
    {"part decline", cli_dispatch_part_move, "REF STRUCTURE", 2, 2, "décliner une mise en relation (motif obligatoire)",
     {{"reason", OPT_VALUE, "TEXTE", "motif"}, AS_OPT}},
    {"part start", cli_dispatch_part_move, "REF STRUCTURE", 2, 2, "commencer le travail sur une mise en relation acceptée",
     {AS_OPT}},
    {"part done", cli_dispatch_part_move, "REF STRUCTURE", 2, 2, "terminer une mise en relation en cours", {AS_OPT}},
    {"part cancel", cli_dispatch_part_move, "REF STRUCTURE", 2, 2, "annuler une mise en relation (motif obligatoire)",
     {{"reason", OPT_VALUE, "TEXTE", "motif"}, AS_OPT}},
    {"part assign", cli_dispatch_part_assign, "REF STRUCTURE", 2, 2, "assigner un agent (sans --agent : personne)",
     {{"agent", OPT_VALUE, "EMAIL", "agent de la structure"}, AS_OPT}},
    {"part handover", cli_dispatch_part_handover, "REF STRUCTURE", 2, 2, "passer la main à une autre structure",
     {{"to", OPT_VALUE, "STRUCTURE", "structure qui reprend"}, {"offer", OPT_VALUE, "SLUG", "son offre"}, AS_OPT}},
    {"part reassign", cli_dispatch_part_reassign, NULL, 0, 0,
     "réassigner toutes les mises en relation ouvertes d'un agent (départ, absence)",
     {{"from", OPT_VALUE, "EMAIL", "agent qui part"}, {"to", OPT_VALUE, "EMAIL", "agent qui reprend (personne sinon)"}, AS_OPT}},
    {"part queue", cli_dispatch_part_queue, NULL, 0, 0, "file d'une structure (mises en relation ouvertes par défaut)",
     {{"org", OPT_VALUE, "STRUCTURE", "structure (celle du compte --as par défaut)"},
      {"state", OPT_VALUE, "ETAT", "proposed, accepted, declined, in_progress, done ou cancelled"},
      {"limit", OPT_VALUE, "N", "50 par défaut, 500 au plus"},
      AS_OPT,
      JSON_OPT}},
    {"board", cli_board_show, NULL, 0, 0,
     "tableau de bord transversal : compteurs par statut et demandes filtrées (--csv / --xlsx : export de la vue)",
     {{"status", OPT_VALUE, "STATUT", "statut de la demande"},
      {"theme", OPT_VALUE, "THEME", "thématique"},
      {"org", OPT_VALUE, "STRUCTURE", "demandes où la structure a une mise en relation"},
      {"part-state", OPT_VALUE, "ETAT", "avec --org ou --agent : état de la mise en relation"},
      {"agent", OPT_VALUE, "EMAIL", "demandes assignées à cet agent"},
      {"collectivity", OPT_VALUE, "CODE", "collectivité"},
      {"epci", OPT_VALUE, "SIREN", "EPCI et ses communes"},
      {"late", OPT_VALUE, "yes|soon|no", "en retard, bientôt en retard, ou dans les délais"},
      {"limit", OPT_VALUE, "N", "taille de page (50 par défaut)"},
      {"cursor", OPT_VALUE, "CURSEUR", "page suivante"},
      {"csv", OPT_VALUE, "FICHIER", "exporter toute la vue filtrée en CSV"},
      {"xlsx", OPT_VALUE, "FICHIER", "exporter toute la vue filtrée en XLSX"},
      AT_OPT,
      AS_OPT,
      JSON_OPT}},
    {"stats", cli_board_stats, NULL, 0, 0,
     "statistiques : volumes par mois, thématique, structure, EPCI ; délais (médiane, 9e décile) ; part dans les délais",
     {{"theme", OPT_VALUE, "THEME", "thématique"},
      {"org", OPT_VALUE, "STRUCTURE", "structure"},
      {"collectivity", OPT_VALUE, "CODE", "collectivité"},
      {"epci", OPT_VALUE, "SIREN", "EPCI"},
      AT_OPT,
      AS_OPT,
      JSON_OPT}},
    {"sla show", cli_dispatch_sla_show, "REF", 1, 1, "délais d'une demande (jours ouvrés)", {AT_OPT, AS_OPT, JSON_OPT}},
    {"sla sweep", cli_dispatch_sla_sweep, NULL, 0, 0, "signaler au journal les délais dépassés (fait aussi par serve)",
     {AT_OPT}},
};

const struct cli_command *cli_commands(size_t *n) {
  *n = sizeof commands / sizeof commands[0];
  return commands;
}

static void print_command(const struct cli_command *k) {
  printf("Usage : appui [--data DIR] %s%s%s [options]\n\n%s.\n", k->name, k->pos ? " " : "", k->pos ? k->pos : "",
         k->summary);
  if (k->opts[0].name) printf("\nOptions :\n");
  for (int i = 0; i < CLI_MAX_OPTS && k->opts[i].name; i++) {
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", k->opts[i].name, k->opts[i].arg ? " " : "",
             k->opts[i].arg ? k->opts[i].arg : "");
    printf("  %-28s %s\n", left, k->opts[i].help);
  }
}

int cli_help(const char *name) {
  size_t n;
  const struct cli_command *t = cli_commands(&n);
  if (name) {
    int found = 0;
    for (size_t i = 0; i < n; i++)
      if (strcmp(t[i].name, name) == 0) {
        print_command(&t[i]);
        return EXIT_OK;
      }
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
      if (strncmp(t[i].name, name, len) == 0 && t[i].name[len] == ' ') {
        if (!found++) printf("Commandes « %s » :\n", name);
        printf("  appui %-22s %s\n", t[i].name, t[i].summary);
      }
    if (found) return EXIT_OK;
    fprintf(stderr, "appui : commande inconnue : « %s »\nAide : appui help\n", name);
    return EXIT_USAGE;
  }
  printf("appui — moteur de coordination des demandes d'appui aux territoires\n\n"
         "Usage : appui [--data DIR] COMMANDE [options]\n\n"
         "  --data DIR   dossier de données (APPUI_DATA, sinon ./appui-data)\n\n"
         "Commandes :\n");
  for (size_t i = 0; i < n; i++) printf("  %-22s %s\n", t[i].name, t[i].summary);
  printf("\nAide d'une commande : appui COMMANDE --help\n");
  return EXIT_OK;
}
