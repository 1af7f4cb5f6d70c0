/* bench_gen — builds the national benchmark database of issue 2: every
 * French commune (territory_import of all départements), a small national
 * catalogue, a coordinator and a requester with API tokens, and N requests
 * (1,000,000 by default) filed over random communes of all France with one
 * to three themes and French titles and descriptions composed from word
 * lists, so that the full-text index holds realistic content.
 *
 * Requests go through request_file_tx() (validation, reference, themes,
 * FTS trigger and the `request.filed` journal event) inside large write
 * transactions. Their filing times are spread from 2019-01-01 to
 * 2025-12-31 in increasing order, so references stay below the 999,999
 * per-year limit and the current year is left to the POST benchmarks.
 * Everything but tokens and wall-clock stamps is a function of --seed.
 *
 * Re-running on a complete database generates nothing and only issues
 * fresh tokens (tokens are never stored in clear). Output on stdout, one
 * KEY=value per line, for tests/bench/run.sh: TOKEN_COORDINATOR,
 * TOKEN_REQUESTER, REQUESTER_COLLECTIVITY, BENCH_REQUESTS, BENCH_REFS
 * (year:count,…), GEN_SECONDS, GEN_RATE, GEN_REUSED. Progress and messages
 * go to standard error.
 *
 * Exit status: 0 done, 1 failure, 2 usage, 3 the directory holds a partial
 * benchmark database (an interrupted run): delete it and start again. */
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "journal.h"
#include "log.h"
#include "progress.h"
#include "request.h"
#include "territory.h"
#include "user.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef APPUI_REFERENTIAL_DIR
#define APPUI_REFERENTIAL_DIR "node_modules/@etalab/decoupage-administratif/data"
#endif

#define EXIT_PARTIAL 3
#define COORDINATOR_EMAIL "coordination@bench.appui.example"
#define REQUESTER_EMAIL "mairie@bench.appui.example"
#define REQUESTER_COMMUNE "31555" /* Toulouse; the first commune if absent */
#define FIRST_YEAR 2019
#define LAST_YEAR 2025
#define MAX_YEARS (LAST_YEAR - FIRST_YEAR + 1)

/* ---- deterministic pseudo-random numbers (splitmix64) ---- */

struct rng {
  uint64_t s;
};

static uint64_t rng_next(struct rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rng_below(struct rng *r, uint32_t n) {
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#define PICK(r, arr) ((arr)[rng_below((r), (uint32_t)(sizeof(arr) / sizeof(arr)[0]))])

/* ---- word lists ---- */

#define OBJETS_MAX 10
#define CONSTATS_MAX 6

/* For each theme: projects ("objets", lower-case, no article, usable as a
 * title) and observations ("constats", lower-case sentence bodies). */
struct theme_words {
  const char *code, *label;
  const char *objets[OBJETS_MAX];
  const char *constats[CONSTATS_MAX];
};

static const struct theme_words words[] = {
    {"voirie", "voirie",
     {"réfection de la chaussée", "aménagement d'un plateau ralentisseur", "création d'un trottoir accessible",
      "reprise des accotements", "sécurisation d'un carrefour", "renouvellement de la signalisation horizontale",
      "curage des fossés", "élargissement d'un chemin rural", "réparation d'un pont communal",
      "programme pluriannuel de voirie"},
     {"la chaussée présente de nombreux nids-de-poule et des affaissements en rive",
      "les véhicules circulent trop vite à l'entrée du bourg",
      "les piétons, notamment les enfants, n'ont pas de cheminement sécurisé",
      "les eaux de pluie stagnent sur la voie après chaque orage",
      "le pont communal montre des fissures inquiétantes",
      "le revêtement n'a pas été repris depuis plus de vingt ans"}},
    {"eau-assainissement", "eau et assainissement",
     {"mise aux normes de la station d'épuration", "extension du réseau d'assainissement collectif",
      "renouvellement des canalisations d'eau potable", "schéma directeur d'assainissement",
      "diagnostic du réseau d'eaux pluviales", "contrôle des installations d'assainissement non collectif",
      "sécurisation de la ressource en eau", "création d'un bassin de rétention"},
     {"des fuites importantes sont constatées sur le réseau d'eau potable",
      "la station d'épuration arrive en limite de capacité",
      "plusieurs habitations ne sont pas raccordées au réseau collectif",
      "des débordements ont lieu lors des fortes pluies",
      "le rendement du réseau est inférieur aux objectifs réglementaires",
      "la qualité de l'eau distribuée a fait l'objet d'alertes de l'agence régionale de santé"}},
    {"batiments", "bâtiments",
     {"rénovation de la salle des fêtes", "mise en accessibilité de la mairie", "extension de l'école primaire",
      "réhabilitation d'un logement communal", "réfection de la toiture de l'église",
      "construction d'un local technique", "désamiantage de l'ancienne poste",
      "aménagement d'une maison de santé"},
     {"la toiture présente des infiltrations à chaque épisode pluvieux",
      "le bâtiment n'est pas accessible aux personnes à mobilité réduite",
      "les effectifs scolaires augmentent et les classes sont saturées",
      "le diagnostic a révélé la présence d'amiante", "le bâtiment est vacant depuis plusieurs années",
      "les menuiseries sont vétustes et peu isolantes"}},
    {"urbanisme", "urbanisme",
     {"révision du plan local d'urbanisme", "élaboration d'une carte communale", "aménagement du centre-bourg",
      "étude de revitalisation du cœur de village", "création d'un lotissement communal",
      "instruction d'un permis de construire complexe", "requalification d'une friche",
      "opération d'aménagement d'ensemble"},
     {"le document d'urbanisme actuel date de plus de quinze ans",
      "plusieurs commerces du centre ont fermé ces dernières années",
      "la commune reçoit des demandes de terrains à bâtir qu'elle ne peut satisfaire",
      "une friche industrielle est à l'abandon en entrée de ville",
      "la compatibilité avec le SCoT doit être vérifiée",
      "les habitants demandent des espaces publics plus conviviaux"}},
    {"energie", "énergie",
     {"audit énergétique des bâtiments communaux", "rénovation de l'éclairage public",
      "installation de panneaux photovoltaïques", "remplacement de la chaudière au fioul",
      "création d'un réseau de chaleur bois", "extinction nocturne de l'éclairage",
      "isolation des combles de l'école", "installation de bornes de recharge pour véhicules électriques"},
     {"la facture énergétique de la commune a doublé en deux ans",
      "les luminaires sont anciens et très consommateurs",
      "la chaudière de l'école tombe régulièrement en panne",
      "le décret tertiaire impose une baisse des consommations",
      "les toitures communales sont bien orientées pour le solaire",
      "les habitants se plaignent du froid dans la salle des fêtes"}},
    {"environnement", "environnement",
     {"restauration d'une zone humide", "plan de gestion des espaces verts sans pesticides",
      "plantation de haies bocagères", "lutte contre les espèces invasives", "création d'un sentier de découverte",
      "réduction des déchets à la cantine", "désimperméabilisation de la cour d'école",
      "protection d'un espace naturel sensible"},
     {"la biodiversité recule sur plusieurs parcelles communales",
      "la renouée du Japon colonise les berges de la rivière",
      "les épisodes de canicule rendent la cour d'école difficilement supportable",
      "la commune souhaite respecter la loi zéro phyto",
      "un site naturel remarquable est menacé par la fréquentation",
      "le gaspillage alimentaire à la cantine reste élevé"}},
    {"numerique", "numérique",
     {"dématérialisation des démarches en ligne", "renouvellement du parc informatique de la mairie",
      "sécurisation du système d'information", "création d'un site internet communal",
      "déploiement du wifi public", "ouverture d'un espace numérique", "formation des agents aux outils collaboratifs",
      "mise en conformité avec le RGPD"},
     {"les postes informatiques de la mairie ont plus de dix ans",
      "une tentative de rançongiciel a visé une commune voisine",
      "les habitants âgés ont du mal avec les démarches en ligne",
      "le site internet actuel n'est plus mis à jour",
      "la commune ne dispose d'aucune sauvegarde externalisée",
      "le registre des traitements de données n'a jamais été tenu"}},
    {"mobilite", "mobilité",
     {"création d'une piste cyclable", "mise en place d'un transport à la demande",
      "aménagement d'une aire de covoiturage", "plan de mobilité simplifié", "sécurisation des abords de l'école",
      "création d'une voie verte", "organisation du stationnement en centre-bourg",
      "liaison douce vers la gare"},
     {"de nombreux habitants n'ont pas de véhicule",
      "les parents d'élèves stationnent de façon dangereuse aux heures d'entrée",
      "aucune liaison cyclable ne relie le bourg au collège",
      "le covoiturage se pratique sur le bas-côté de la départementale",
      "les personnes âgées isolées ne peuvent plus se rendre au marché",
      "le stationnement anarchique gêne les commerces du centre"}},
    {"democratie-participative", "démocratie participative",
     {"mise en place d'un budget participatif", "création d'un conseil municipal des jeunes",
      "concertation sur le projet de place", "organisation d'ateliers citoyens",
      "consultation des habitants sur le plan de mandat", "création d'un conseil des sages",
      "démarche de participation pour le projet d'école", "charte de la participation citoyenne"},
     {"les habitants expriment le souhait d'être davantage associés aux décisions",
      "la participation aux réunions publiques est très faible",
      "les jeunes de la commune ne se sentent pas écoutés",
      "le projet suscite des inquiétudes chez les riverains",
      "l'équipe municipale manque d'outils pour animer la concertation",
      "une pétition a circulé au sujet de l'aménagement prévu"}},
    {"social", "social",
     {"analyse des besoins sociaux", "création d'une épicerie solidaire",
      "accompagnement du centre communal d'action sociale", "lutte contre l'isolement des personnes âgées",
      "ouverture d'une crèche intercommunale", "projet d'habitat inclusif",
      "création d'un accueil de loisirs pour les enfants", "mise en place d'un portage de repas"},
     {"le nombre de familles en difficulté augmente",
      "plusieurs personnes âgées vivent isolées dans les hameaux",
      "les parents manquent de solutions de garde",
      "le CCAS ne dispose que d'un agent à temps partiel",
      "la précarité énergétique touche de nombreux foyers",
      "aucun service d'aide à domicile n'intervient sur la commune"}},
    {"culture-patrimoine", "culture et patrimoine",
     {"restauration du lavoir communal", "sauvegarde des vitraux de l'église", "création d'une médiathèque",
      "valorisation du patrimoine bâti", "inventaire du petit patrimoine", "programmation culturelle estivale",
      "restauration d'un retable classé", "aménagement d'un musée de site"},
     {"le lavoir se dégrade faute d'entretien",
      "les vitraux de l'église présentent des lacunes importantes",
      "la bibliothèque bénévole manque de place",
      "un retable classé monument historique nécessite une intervention",
      "le patrimoine communal est mal connu des habitants",
      "les associations culturelles cherchent un lieu de diffusion"}},
    {"tourisme", "tourisme",
     {"aménagement d'une aire de camping-cars", "balisage d'un itinéraire de randonnée",
      "création d'un point d'information touristique", "valorisation d'un site de baignade",
      "développement de l'itinérance à vélo", "rénovation d'un gîte communal",
      "installation d'une signalétique touristique", "création d'une base de loisirs"},
     {"la fréquentation touristique augmente chaque été",
      "les camping-cars stationnent sans aménagement adapté",
      "les sentiers de randonnée ne sont plus balisés",
      "le gîte communal n'est plus aux normes de classement",
      "les visiteurs ne trouvent pas d'information à leur arrivée",
      "la baignade naturelle doit faire l'objet d'un profil de baignade"}},
    {"finances", "finances",
     {"préparation du budget primitif", "analyse financière rétrospective", "plan pluriannuel d'investissement",
      "renégociation des emprunts", "montage du plan de financement", "optimisation des bases fiscales",
      "recherche de subventions", "passage à la nomenclature M57"},
     {"la capacité d'autofinancement de la commune diminue",
      "l'encours de dette pèse sur les marges de manœuvre",
      "plusieurs projets doivent être hiérarchisés",
      "la commune découvre les appels à projets de l'État",
      "le passage à la M57 doit intervenir au premier janvier",
      "les dotations ont baissé de manière sensible"}},
    {"juridique", "juridique",
     {"rédaction d'un arrêté de police du maire", "contentieux avec un riverain",
      "procédure de biens sans maître", "statut d'un chemin rural", "convention de mise à disposition",
      "délégation de service public", "reprise de concessions funéraires",
      "gestion d'un immeuble menaçant ruine"},
     {"un immeuble du centre menace de s'effondrer sur la voie publique",
      "un riverain conteste la propriété d'un chemin",
      "plusieurs concessions du cimetière sont à l'abandon",
      "la commune a reçu une requête du tribunal administratif",
      "la convention avec l'association arrive à échéance",
      "un terrain semble sans propriétaire connu depuis des décennies"}},
    {"commande-publique", "commande publique",
     {"rédaction d'un dossier de consultation des entreprises", "passation d'un marché de travaux",
      "analyse des offres d'un appel d'offres", "groupement de commandes pour l'entretien",
      "marché de maîtrise d'œuvre", "avenant à un marché en cours", "accord-cadre de fournitures",
      "résiliation d'un marché"},
     {"la commune n'a jamais passé de marché de cette ampleur",
      "les offres reçues dépassent largement l'estimation",
      "l'entreprise titulaire ne respecte pas les délais",
      "plusieurs communes voisines ont les mêmes besoins",
      "le seuil de procédure formalisée risque d'être dépassé",
      "un candidat évincé demande des explications"}},
};
#define N_THEMES ((int)(sizeof words / sizeof words[0]))

static const char *const lieux[] = {
    "rue de l'Église", "chemin des Vignes", "route de la Gare", "place de la Mairie", "quartier du Moulin",
    "hameau des Granges", "centre-bourg", "lotissement Les Acacias", "avenue de la République",
    "impasse des Lilas", "allée des Platanes", "secteur de la Fontaine", "zone artisanale", "école communale",
    "salle des fêtes", "stade municipal", "bords de la rivière", "cimetière communal"};

/* Opening sentences: {C} "de <commune>", {P} population, {O} "de <objet>",
 * {Y} year. Those with {P} are only used when the population is known. */
static const char *const contextes[] = {
    "La commune {C} ({P} habitants) porte un projet {O}.",
    "Le conseil municipal {C} a délibéré en faveur d'un projet {O}.",
    "La mairie {C} sollicite l'appui des services pour un projet {O}.",
    "Nous envisageons pour {Y} un projet {O} sur le territoire de la commune.",
    "L'équipe municipale {C} souhaite être accompagnée dans son projet {O}.",
    "Commune rurale de {P} habitants, nous préparons un projet {O}."};

static const char *const besoins[] = {
    "définir le programme des travaux", "estimer le coût de l'opération",
    "rédiger le cahier des charges de la consultation", "identifier les subventions mobilisables",
    "choisir la procédure de marché adaptée", "analyser les offres des entreprises",
    "associer les habitants au projet", "préparer la délibération du conseil municipal",
    "établir un calendrier réaliste", "vérifier la conformité réglementaire du projet",
    "comparer plusieurs scénarios techniques", "suivre le chantier jusqu'à la réception"};

static const char *const contraintes[] = {
    "Les travaux devraient idéalement être réalisés avant l'été.",
    "Le projet a été présenté lors de la dernière réunion publique.",
    "La commune ne dispose pas de service technique.",
    "L'intercommunalité a été informée de la démarche.",
    "Une subvention de la région a déjà été sollicitée.",
    "Le dossier de demande de DETR doit être déposé avant la fin de l'année.",
    "Un bureau d'études est déjà intervenu il y a quelques années.",
    "Les riverains ont été prévenus par un courrier du maire."};

static const char *const formules[] = {
    "Merci par avance pour votre retour.",
    "Le secrétariat de mairie est joignable du lundi au vendredi matin.",
    "Nous restons à votre disposition pour une visite sur place.",
    "Le maire et la première adjointe peuvent vous recevoir en mairie.",
    "Cordialement."};

/* ---- French text helpers ---- */

static int starts_vowel(const char *s) {
  unsigned char c = (unsigned char)s[0];
  if (strchr("aeiouyhAEIOUYH", c) && c) return 1;
  /* é è ê É È Ê Î Â Œ œ in UTF-8 */
  return c == 0xC3 || (c == 0xC5 && ((unsigned char)s[1] == 0x92 || (unsigned char)s[1] == 0x93));
}

/* Appends "de X" with elision and contraction ("du Havre", "d'Agen"). */
static void put_de(struct buf *b, const char *name) {
  if (strncmp(name, "Le ", 3) == 0) buf_printf(b, "du %s", name + 3);
  else if (strncmp(name, "Les ", 4) == 0) buf_printf(b, "des %s", name + 4);
  else if (starts_vowel(name)) buf_printf(b, "d'%s", name);
  else buf_printf(b, "de %s", name);
}

/* Appends "à X" with contraction ("au Havre", "aux Mureaux"). */
static void put_a(struct buf *b, const char *name) {
  if (strncmp(name, "Le ", 3) == 0) buf_printf(b, "au %s", name + 3);
  else if (strncmp(name, "Les ", 4) == 0) buf_printf(b, "aux %s", name + 4);
  else buf_printf(b, "à %s", name);
}

/* Appends `s` with its first letter in upper case (ASCII or é). */
static void put_cap(struct buf *b, const char *s) {
  unsigned char c = (unsigned char)s[0];
  if (c >= 'a' && c <= 'z') {
    char first = (char)(c - 'a' + 'A');
    buf_append(b, &first, 1);
    buf_puts(b, s + 1);
  } else if (c == 0xC3 && (unsigned char)s[1] >= 0xA0 && (unsigned char)s[1] <= 0xBE) {
    char first[2] = {(char)0xC3, (char)((unsigned char)s[1] - 0x20)};
    buf_append(b, first, 2);
    buf_puts(b, s + 2);
  } else {
    buf_puts(b, s);
  }
}

/* Appends n with a space every three digits ("12 500"). */
static void put_int(struct buf *b, long long n) {
  char digits[24];
  int len = snprintf(digits, sizeof digits, "%lld", n);
  for (int i = 0; i < len; i++) {
    if (i && (len - i) % 3 == 0) buf_puts(b, " ");
    buf_append(b, digits + i, 1);
  }
}

/* ---- the data set ---- */

struct commune {
  char code[8];
  char *name;
  long long population; /* < 0 when unknown */
};

struct gen {
  struct db *db;
  struct user system, coordinator;
  struct rng rng;
  struct commune *communes;
  size_t n_communes;
  int offer_of_theme[N_THEMES][4]; /* indexes into offers[], -1 = none */
  int64_t per_year[MAX_YEARS];
  int tty;
};

struct offer_def {
  const char *slug, *org, *kind, *title, *summary;
  const char *themes[4];
};

static const struct catalog_org_new orgs[] = {
    {"plateforme", "Plateforme d'appuis aux territoires", "mission", NULL, "plateforme@bench.appui.example", NULL, 60},
    {"agence-technique", "Agence technique départementale", "satellite", NULL, "contact@atd.bench.appui.example",
     "05 00 00 00 00", 40},
    {"caue", "Conseil d'architecture, d'urbanisme et de l'environnement", "satellite", NULL,
     "contact@caue.bench.appui.example", NULL, 20},
    {"syndicat-energie", "Syndicat départemental d'énergie", "satellite", NULL, "contact@sde.bench.appui.example",
     NULL, 25},
    {"routes-mobilites", "Direction des routes et des mobilités", "direction", NULL, "routes@bench.appui.example",
     NULL, 25},
    {"solidarites", "Direction des solidarités", "direction", NULL, "solidarites@bench.appui.example", NULL, 20},
    {"participation", "Mission démocratie participative", "mission", "plateforme",
     "dialogue.citoyen@bench.appui.example", NULL, 15},
    {"culture-tourisme", "Direction de la culture et du tourisme", "direction", NULL, "culture@bench.appui.example",
     NULL, 15},
};

static const struct offer_def offers[] = {
    {"atd-voirie", "agence-technique", "amo", "Assistance technique en voirie communale",
     "Programmation et suivi des travaux de voirie, diagnostic des ouvrages, passation des marchés.",
     {"voirie", "commande-publique"}},
    {"atd-eau", "agence-technique", "amo", "Eau potable et assainissement : études et travaux",
     "Schémas directeurs, diagnostics des réseaux, suivi des travaux d'eau et d'assainissement.",
     {"eau-assainissement"}},
    {"atd-juridique", "agence-technique", "conseil", "Conseil juridique, financier et commande publique",
     "Réponses aux questions juridiques, analyse financière, marchés publics.",
     {"juridique", "commande-publique", "finances"}},
    {"caue-architecture", "caue", "conseil", "Conseil en architecture et aménagement",
     "Conseil en amont des projets de construction, de rénovation et d'aménagement d'espaces publics.",
     {"batiments", "urbanisme", "culture-patrimoine"}},
    {"caue-paysage", "caue", "conseil", "Conseil en paysage et environnement",
     "Projets de paysage, de végétalisation et de préservation de la biodiversité.",
     {"environnement", "urbanisme"}},
    {"sde-renovation", "syndicat-energie", "etude", "Audit et rénovation énergétique des bâtiments",
     "Diagnostic énergétique du patrimoine, préconisations de travaux, plan de financement.",
     {"energie", "batiments"}},
    {"mobilite-rurale", "routes-mobilites", "conseil", "Conseil en mobilité et sécurité routière",
     "Transport à la demande, covoiturage, itinéraires cyclables, traversées d'agglomération.",
     {"mobilite", "voirie"}},
    {"fonds-participation", "participation", "subvention", "Fonds de soutien à la démocratie participative",
     "Soutien aux démarches qui associent les habitants aux projets et politiques locales.",
     {"democratie-participative"}},
    {"besoins-sociaux", "solidarites", "etude", "Analyse des besoins sociaux",
     "Accompagnement des CCAS dans l'analyse des besoins sociaux et le plan d'action.", {"social"}},
    {"patrimoine-tourisme", "culture-tourisme", "conseil", "Patrimoine, lecture publique et tourisme",
     "Restauration du patrimoine non protégé, médiathèques, projets touristiques.",
     {"culture-patrimoine", "tourisme"}},
    {"numerique", "plateforme", "conseil", "Transformation numérique des collectivités",
     "Équipement, cybersécurité, démarches en ligne et inclusion numérique.", {"numerique"}},
};
#define N_OFFERS ((int)(sizeof offers / sizeof offers[0]))

static int n_strings(const char *const *v, int max) {
  int n = 0;
  while (n < max && v[n]) n++;
  return n;
}

static int theme_index(const char *code) {
  for (int i = 0; i < N_THEMES; i++)
    if (strcmp(words[i].code, code) == 0) return i;
  return -1;
}

static int add_catalog(struct gen *g) {
  int rc = 0;
  for (size_t i = 0; i < sizeof orgs / sizeof orgs[0] && !rc; i++) {
    int64_t id;
    rc = catalog_org_add(&id, g->db, &g->system, &orgs[i]);
  }
  for (int i = 0; i < N_OFFERS && !rc; i++) {
    const struct offer_def *o = &offers[i];
    struct catalog_offer_new n = {.slug = o->slug, .org = o->org, .kind = o->kind, .title = o->title,
                                  .summary = o->summary, .themes = o->themes, .n_themes = n_strings(o->themes, 4),
                                  .sla_ack = 2, .sla_take = 10, .sla_resolve = 60};
    int64_t id;
    rc = catalog_offer_add(&id, g->db, &g->system, &n);
  }
  return rc;
}

/* Fills offer_of_theme: for each theme, the offers that cover it. */
static void index_offers(struct gen *g) {
  memset(g->offer_of_theme, -1, sizeof g->offer_of_theme);
  for (int i = 0; i < N_OFFERS; i++)
    for (int k = 0; k < 4 && offers[i].themes[k]; k++) {
      int t = theme_index(offers[i].themes[k]);
      for (int j = 0; t >= 0 && j < 4; j++)
        if (g->offer_of_theme[t][j] < 0) {
          g->offer_of_theme[t][j] = i;
          break;
        }
    }
}

static int load_communes(struct gen *g) {
  sqlite3_stmt *st;
  int64_t count = 0;
  int rc = db_int_for(&count, g->db, "SELECT count(*) FROM collectivity WHERE kind = ?", "commune");
  if (rc) return rc;
  if (count == 0) return err_set(ERR_INTERNAL, NULL, "aucune commune importée");
  g->communes = calloc((size_t)count, sizeof *g->communes);
  if (!g->communes) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  if ((rc = db_prepare(&st, g->db,
                       "SELECT code, name, population FROM collectivity WHERE kind = 'commune' ORDER BY code")))
    return rc;
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW && g->n_communes < (size_t)count) {
    struct commune *c = &g->communes[g->n_communes++];
    snprintf(c->code, sizeof c->code, "%s", db_col_text(st, 0));
    c->name = db_col_strdup(st, 1);
    c->population = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
    if (!c->name) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      break;
    }
  }
  if (!rc && s != SQLITE_ROW && s != SQLITE_DONE) rc = db_fail(g->db, s, "lecture des communes");
  db_done(st);
  return rc;
}

/* One request's text, themes and options; strings point into `title`,
 * `desc`, `date` or the word lists. */
struct draft {
  struct buf title, desc;
  const char *themes[3];
  char date[16];
  struct request_new n;
};

static void compose(struct gen *g, struct draft *d, const struct commune *c, int64_t at) {
  struct rng *r = &g->rng;
  struct civil cv;
  clock_paris(at, &cv);
  buf_reset(&d->title);
  buf_reset(&d->desc);

  /* Themes: a primary one, then up to two distinct others. */
  int n_themes = 1 + (int)rng_below(r, 3), idx[3];
  idx[0] = (int)rng_below(r, N_THEMES);
  for (int i = 1; i < n_themes; i++) {
    int t, dup;
    do {
      t = (int)rng_below(r, N_THEMES);
      dup = 0;
      for (int j = 0; j < i; j++) dup |= idx[j] == t;
    } while (dup);
    idx[i] = t;
  }
  for (int i = 0; i < n_themes; i++) d->themes[i] = words[idx[i]].code;
  const struct theme_words *w = &words[idx[0]];
  const char *objet = w->objets[rng_below(r, (uint32_t)n_strings(w->objets, OBJETS_MAX))];

  /* Title: the project, sometimes with a place or the commune. */
  put_cap(&d->title, objet);
  uint32_t k = rng_below(r, 3);
  if (k == 1) buf_printf(&d->title, " – %s", PICK(r, lieux));
  else if (k == 2) {
    buf_puts(&d->title, " ");
    put_a(&d->title, c->name);
  }

  /* Budget, desired date, offer. */
  int64_t budget = -1;
  if (rng_below(r, 10) < 7) { /* 5 k€ to ~2.6 M€, log-uniform-ish */
    int64_t euros = 5000LL << rng_below(r, 10);
    euros += (int64_t)rng_below(r, (uint32_t)euros);
    budget = euros / 100 * 100 * 100; /* rounded to the hundred euros, in cents */
  }
  d->n.desired_date = NULL;
  if (rng_below(r, 10) < 3) {
    int y, m, dd;
    clock_civil_from_days(clock_days_from_civil(cv.year, cv.month, cv.day) + 30 + rng_below(r, 335), &y, &m, &dd);
    snprintf(d->date, sizeof d->date, "%04d-%02d-%02d", y % 10000, m, dd);
    d->n.desired_date = d->date;
  }
  d->n.offer = NULL;
  if (rng_below(r, 10) < 2) {
    int n_off = 0;
    while (n_off < 4 && g->offer_of_theme[idx[0]][n_off] >= 0) n_off++;
    if (n_off) d->n.offer = offers[g->offer_of_theme[idx[0]][rng_below(r, (uint32_t)n_off)]].slug;
  }

  /* Description: context, observations, needs, constraints, closing. */
  const char *ctx;
  do ctx = PICK(r, contextes);
  while (c->population < 0 && strstr(ctx, "{P}"));
  for (const char *p = ctx; *p; p++) {
    if (p[0] == '{' && p[1] && p[2] == '}') {
      switch (p[1]) {
      case 'C': put_de(&d->desc, c->name); break;
      case 'P': put_int(&d->desc, c->population); break;
      case 'Y': buf_printf(&d->desc, "%d", cv.year + (int)rng_below(r, 2)); break;
      case 'O': buf_puts(&d->desc, starts_vowel(objet) ? "d'" : "de "); buf_puts(&d->desc, objet); break;
      }
      p += 2;
    } else {
      buf_append(&d->desc, p, 1);
    }
  }
  uint32_t c1 = rng_below(r, (uint32_t)n_strings(w->constats, CONSTATS_MAX));
  buf_puts(&d->desc, " ");
  put_cap(&d->desc, w->constats[c1]);
  buf_puts(&d->desc, ".");
  if (rng_below(r, 10) < 4) {
    uint32_t c2 = rng_below(r, (uint32_t)n_strings(w->constats, CONSTATS_MAX));
    if (c2 != c1) buf_printf(&d->desc, " De plus, %s.", w->constats[c2]);
  }
  for (int i = 1; i < n_themes; i++) {
    const struct theme_words *w2 = &words[idx[i]];
    buf_printf(&d->desc, i == 1 ? " Le projet a aussi un volet %s : %s." : " Il touche enfin au volet %s : %s.",
               w2->label,
               w2->constats[rng_below(r, (uint32_t)n_strings(w2->constats, CONSTATS_MAX))]);
  }
  const char *b1 = PICK(r, besoins), *b2 = PICK(r, besoins);
  if (b2 != b1 && rng_below(r, 2)) buf_printf(&d->desc, " Nous souhaiterions être accompagnés pour %s et %s.", b1, b2);
  else buf_printf(&d->desc, " Nous souhaiterions être accompagnés pour %s.", b1);
  if (budget > 0) {
    buf_puts(&d->desc, " Le budget estimé est de ");
    put_int(&d->desc, budget / 100);
    buf_puts(&d->desc, " € HT.");
  }
  if (rng_below(r, 10) < 6) buf_printf(&d->desc, " %s", PICK(r, contraintes));
  if (rng_below(r, 10) < 5) buf_printf(&d->desc, " %s", PICK(r, formules));

  d->n.collectivity = c->code;
  d->n.title = buf_str(&d->title);
  d->n.description = buf_str(&d->desc);
  d->n.themes = d->themes;
  d->n.n_themes = n_themes;
  d->n.budget_cents = budget;
}

/* ---- settings (marks of a benchmark database) ---- */

static int setting_get(char **out, struct db *db, const char *key) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, "SELECT value FROM setting WHERE key = ?");
  if (rc) return rc;
  db_bind_text(st, 1, key);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) *out = db_col_strdup(st, 0);
  else if (s != SQLITE_DONE) rc = db_fail(db, s, "lecture d'un réglage");
  db_done(st);
  return rc;
}

/* Stores setting `key` = JSON `value` and journals `type`, in one
 * transaction. */
static int setting_put(struct db *db, const struct user *actor, const char *key, json_t *value, const char *type) {
  char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
  if (!text) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  int rc = db_begin(db);
  if (rc) goto done;
  sqlite3_stmt *st;
  if (!(rc = db_prepare(&st, db, "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)"))) {
    db_bind_text(st, 1, key);
    db_bind_text(st, 2, text);
    int s = sqlite3_step(st);
    db_done(st);
    if (s != SQLITE_DONE) rc = db_fail(db, s, "écriture d'un réglage");
  }
  if (!rc) rc = journal_append(db, actor, 0, type, value);
  if (rc) db_rollback(db);
  else rc = db_commit(db);
done:
  free(text);
  return rc;
}

/* ---- progress ---- */

static void draw(void *ctx, const char *label, int64_t done, int64_t total) {
  struct gen *g = ctx;
  if (g->tty) {
    if (total > 0)
      fprintf(stderr, "\r%s : %lld / %lld (%d %%)\033[K", label, (long long)done, (long long)total,
              (int)(done * 100 / total));
    else
      fprintf(stderr, "\r%s : %lld\033[K", label, (long long)done);
    if (total > 0 && done >= total) fputc('\n', stderr);
    fflush(stderr);
  }
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- the steps ---- */

static int file_requests(struct gen *g, int64_t total, int batch, double *secs) {
  struct draft d = {BUF_INIT, BUF_INIT, {0}, "", {0}};
  struct progress prog = {draw, g};
  int64_t start = clock_days_from_civil(FIRST_YEAR, 1, 1) * 86400000LL;
  int64_t end = clock_days_from_civil(LAST_YEAR, 12, 31) * 86400000LL + 22 * 3600000LL; /* 23:00 Paris */
  double step = (double)(end - start) / (double)total;
  struct timespec t0, tb;
  int rc = 0;
  int64_t i = 0, tenth = total >= 10 ? total / 10 : 1, next_line = tenth, last_line = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  tb = t0;
  while (i < total && !rc) {
    if ((rc = db_begin(g->db))) break;
    int64_t stop = i + batch < total ? i + batch : total;
    for (; i < stop && !rc; i++) {
      const struct commune *c = &g->communes[rng_below(&g->rng, (uint32_t)g->n_communes)];
      int64_t at = start + (int64_t)((double)i * step) + (int64_t)rng_below(&g->rng, (uint32_t)(step > 1 ? step : 1));
      compose(g, &d, c, at);
      char ref[REQUEST_REF_SIZE];
      rc = request_file_tx(ref, NULL, g->db, &g->coordinator, &d.n, at);
      if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err_msg());
        err_set(rc, NULL, "demande n° %lld (%s) : %s", (long long)i + 1, d.n.title, msg);
        break;
      }
      int year = atoi(ref);
      if (year >= FIRST_YEAR && year <= LAST_YEAR) g->per_year[year - FIRST_YEAR]++;
      if ((i + 1) % 1000 == 0) progress_report(&prog, "Demandes", i + 1, total);
    }
    if (rc) {
      db_rollback(g->db);
      break;
    }
    if ((rc = db_commit(g->db))) break;
    /* Without a terminal, about one line per tenth, with that tenth's rate. */
    if (!g->tty && (i >= next_line || i == total)) {
      double dt = seconds_since(&tb);
      clock_gettime(CLOCK_MONOTONIC, &tb);
      fprintf(stderr, "Demandes : %lld / %lld (%.0f s ; %.0f demandes/s depuis la ligne précédente)\n",
              (long long)i, (long long)total, seconds_since(&t0), dt > 0 ? (double)(i - last_line) / dt : 0);
      last_line = i;
      while (next_line <= i) next_line += tenth;
    }
  }
  if (!rc) progress_report(&prog, "Demandes", total, total);
  *secs = seconds_since(&t0);
  buf_free(&d.title);
  buf_free(&d.desc);
  return rc;
}

static int create_users(struct gen *g, const char **requester_commune) {
  int64_t id, one;
  *requester_commune = REQUESTER_COMMUNE;
  if (db_int_for(&one, g->db, "SELECT 1 FROM collectivity WHERE code = ?", REQUESTER_COMMUNE) != 0)
    *requester_commune = g->communes[0].code;
  struct user_new coord = {COORDINATOR_EMAIL, "Claire Coordination", "coordinator", NULL, NULL, NULL};
  struct user_new req = {REQUESTER_EMAIL, "Secrétariat de mairie", "requester", *requester_commune, NULL, NULL};
  int rc = user_add(&id, g->db, &g->system, &coord);
  if (!rc) rc = user_add(&id, g->db, &g->system, &req);
  return rc;
}

/* Prints fresh tokens for both accounts and the requester's collectivity. */
static int print_tokens(struct gen *g) {
  char *t1 = NULL, *t2 = NULL;
  struct user req;
  int rc = user_token_create(&t1, g->db, &g->system, COORDINATOR_EMAIL, "bench");
  if (!rc) rc = user_token_create(&t2, g->db, &g->system, REQUESTER_EMAIL, "bench");
  if (!rc) rc = user_get_by_email(&req, g->db, REQUESTER_EMAIL);
  if (!rc)
    printf("TOKEN_COORDINATOR=%s\nTOKEN_REQUESTER=%s\nREQUESTER_COLLECTIVITY=%s\n", t1, t2, req.collectivity);
  free(t1);
  free(t2);
  return rc;
}

/* Prints the figures kept in the completion mark. */
static int print_mark(const char *mark, int reused) {
  json_error_t e;
  json_t *m = json_loads(mark, 0, &e);
  if (!m) return err_set(ERR_MALFORMED, NULL, "marque bench.complete illisible : %s", e.text);
  printf("BENCH_REQUESTS=%lld\nBENCH_REFS=", (long long)json_integer_value(json_object_get(m, "requests")));
  const char *year;
  json_t *count;
  int first = 1;
  json_object_foreach(json_object_get(m, "refs"), year, count) {
    printf("%s%s:%lld", first ? "" : ",", year, (long long)json_integer_value(count));
    first = 0;
  }
  double secs = json_number_value(json_object_get(m, "seconds"));
  double n = (double)json_integer_value(json_object_get(m, "requests"));
  printf("\nGEN_SECONDS=%.1f\nGEN_RATE=%.0f\nGEN_REUSED=%d\n", secs, secs > 0 ? n / secs : 0, reused);
  json_decref(m);
  return 0;
}

/* Creates directory `path` and its missing parents (like mkdir -p).
 * Returns 0, or -1 with errno set. */
static int mkdir_p(const char *path) {
  char p[4096];
  if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *q = p + 1; *q; q++)
    if (*q == '/') {
      *q = 0;
      if (mkdir(p, 0750) != 0 && errno != EEXIST) return -1;
      *q = '/';
    }
  return mkdir(p, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int usage(const char *argv0) {
  fprintf(stderr,
          "Usage : %s --data DIR [--requests N] [--seed N] [--batch N] [--source DIR]\n\n"
          "Crée la base nationale de mesure : toutes les communes, un petit catalogue,\n"
          "un compte de coordination et un compte demandeur (jetons affichés),\n"
          "puis N demandes (1 000 000 par défaut) réparties sur toute la France.\n"
          "Sur une base déjà complète, n'émet que de nouveaux jetons.\n",
          argv0);
  return 2;
}

int main(int argc, char **argv) {
  const char *data = NULL, *source = APPUI_REFERENTIAL_DIR;
  long long n_requests = 1000000, seed = 20261122, batch = 20000;
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(argv[0]);
      return 0;
    }
    if (!v) return usage(argv[0]);
    if (strcmp(a, "--data") == 0) data = v;
    else if (strcmp(a, "--source") == 0) source = v;
    else if (strcmp(a, "--requests") == 0) n_requests = strtoll(v, &end, 10);
    else if (strcmp(a, "--seed") == 0) seed = strtoll(v, &end, 10);
    else if (strcmp(a, "--batch") == 0) batch = strtoll(v, &end, 10);
    else return usage(argv[0]);
    if (end && *end) return usage(argv[0]);
  }
  if (!data || n_requests < 0 || n_requests > (long long)MAX_YEARS * 900000 || batch < 1 || batch > 1000000)
    return usage(argv[0]);

  struct gen g = {0};
  char path[4096], *mark = NULL;
  int rc = 0, status = 1;
  const char *requester_commune = NULL;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  log_init();
  g.tty = isatty(STDERR_FILENO);
  g.rng.s = (uint64_t)seed;
  user_system(&g.system, "bench_gen");
  index_offers(&g);

  snprintf(path, sizeof path, "%s/blobs", data);
  if (mkdir_p(path) != 0) {
    fprintf(stderr, "bench_gen : impossible de créer %s : %s\n", path, strerror(errno));
    return 1;
  }
  snprintf(path, sizeof path, "%s/appui.db", data);
  if ((rc = db_open(&g.db, path, DB_MIGRATE))) goto done;
  /* A larger page cache for this bulk load only (the indexes of request and
   * event grow in random order); the server keeps its own settings. */
  if ((rc = db_exec(g.db, "PRAGMA cache_size = -262144"))) goto done;

  if ((rc = setting_get(&mark, g.db, "bench.complete"))) goto done;
  if (mark) {
    json_t *m = json_loads(mark, 0, NULL);
    long long have = m ? (long long)json_integer_value(json_object_get(m, "requests")) : -1;
    json_decref(m);
    if (have != n_requests) {
      fprintf(stderr, "bench_gen : %s contient déjà une base de mesure de %lld demandes (%lld demandées) : "
                      "supprimez le dossier ou changez --data\n", data, have, n_requests);
      goto done;
    }
    fprintf(stderr, "Base de mesure complète réutilisée : %s (%lld demandes)\n", data, have);
    if ((rc = print_tokens(&g)) || (rc = print_mark(mark, 1))) goto done;
    status = 0;
    goto done;
  }
  if ((rc = setting_get(&mark, g.db, "bench.started"))) goto done;
  if (mark) {
    fprintf(stderr, "bench_gen : %s contient une base de mesure inachevée (génération interrompue) : "
                    "supprimez le dossier et relancez\n", data);
    status = EXIT_PARTIAL;
    goto done;
  }
  int64_t existing = 0;
  if ((rc = db_int_for(&existing, g.db, "SELECT (SELECT count(*) FROM request) + (SELECT count(*) FROM user) "
                                        "+ (SELECT count(*) FROM collectivity) WHERE ?1 IS NULL", NULL)))
    goto done;
  if (existing) {
    fprintf(stderr, "bench_gen : %s contient déjà des données qui ne viennent pas de bench_gen : "
                    "choisissez un dossier vide\n", data);
    goto done;
  }

  json_t *started = json_pack("{s:I, s:I}", "requests", (json_int_t)n_requests, "seed", (json_int_t)seed);
  rc = setting_put(g.db, &g.system, "bench.started", started, "bench.started");
  json_decref(started);
  if (rc) goto done;

  struct progress prog = {draw, &g};
  struct territory_stats ts;
  struct timespec tt;
  clock_gettime(CLOCK_MONOTONIC, &tt);
  if ((rc = territory_import(&ts, g.db, &g.system, source, NULL, 0, &prog))) goto done;
  fprintf(stderr, "Référentiel : %lld départements, %lld communes, %lld EPCI en %.1f s\n",
          (long long)ts.departements, (long long)ts.communes, (long long)ts.epcis, seconds_since(&tt));
  if ((rc = add_catalog(&g)) || (rc = load_communes(&g)) || (rc = create_users(&g, &requester_commune)) ||
      (rc = user_get_by_email(&g.coordinator, g.db, COORDINATOR_EMAIL)))
    goto done;
  fprintf(stderr, "Catalogue : %d structures, %d offres ; comptes %s et %s (%s)\n", (int)(sizeof orgs / sizeof orgs[0]),
          N_OFFERS, COORDINATOR_EMAIL, REQUESTER_EMAIL, requester_commune);

  double secs = 0;
  if ((rc = file_requests(&g, n_requests, (int)batch, &secs))) goto done;
  double all = seconds_since(&t0);
  fprintf(stderr, "%lld demandes déposées en %.1f s (%.0f demandes/s) ; %.1f s au total avec le référentiel\n",
          n_requests, secs, secs > 0 ? (double)n_requests / secs : 0, all);

  json_t *refs = json_object();
  for (int y = 0; y < MAX_YEARS; y++)
    if (g.per_year[y]) {
      char key[8];
      snprintf(key, sizeof key, "%d", FIRST_YEAR + y);
      json_object_set_new(refs, key, json_integer(g.per_year[y]));
    }
  json_t *complete = json_pack("{s:I, s:I, s:o, s:f, s:f}", "requests", (json_int_t)n_requests, "seed",
                               (json_int_t)seed, "refs", refs, "seconds", secs, "total_seconds", all);
  rc = setting_put(g.db, &g.system, "bench.complete", complete, "bench.generated");
  json_decref(complete);
  if (rc) goto done;
  free(mark);
  if ((rc = setting_get(&mark, g.db, "bench.complete"))) goto done;
  if ((rc = print_tokens(&g)) || (rc = print_mark(mark, 0))) goto done;
  status = 0;
done:
  if (rc) fprintf(stderr, "bench_gen : %s\n", err_msg()[0] ? err_msg() : "échec");
  for (size_t i = 0; i < g.n_communes; i++) free(g.communes[i].name);
  free(g.communes);
  free(mark);
  db_close(g.db);
  fflush(stdout);
  return status;
}
