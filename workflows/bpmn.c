/* bpmn — BPMN 2.0 reader, subset checker and compiler (see bpmn.h).
 * Elements are matched by namespace URI, never by prefix. */
#define _GNU_SOURCE /* memmem */
#include "bpmn.h"
#include "err.h"
#include "expr.h"
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_BPMN "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define NS_ZEEBE "http://camunda.org/schema/zeebe/1.0"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Namespaces of modelers, kept but without meaning for execution. */
static const char *const tolerated_ns[] = {
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://camunda.org/schema/modeler/1.0",
    "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
    NS_XSI,
    "http://www.w3.org/XML/1998/namespace",
    NULL,
};

/* Elements ignored with a warning (no effect at run time). */
static const char *const ignored[] = {
    "documentation", "textAnnotation", "association", "group", "laneSet", "lane", "dataObject",
    "dataObjectReference", "dataStore", "dataStoreReference", "dataInputAssociation", "dataOutputAssociation",
    "category", "itemDefinition", "dataState", NULL,
};

/* Elements refused, with the supported alternative. */
static const struct {
  const char *name, *instead;
} refused[] = {
    {"task", "une userTask (tâche humaine) ou une serviceTask (action intégrée)"},
    {"manualTask", "une userTask"},
    {"scriptTask", "une serviceTask qui appelle une action intégrée"},
    {"businessRuleTask", "une passerelle exclusive avec des conditions FEEL-lite"},
    {"sendTask", "une serviceTask (action notify)"},
    {"receiveTask", "un événement intermédiaire de message (intermediateCatchEvent)"},
    {"callActivity", "un sous-processus intégré (subProcess)"},
    {"complexGateway", "des passerelles exclusives, parallèles ou inclusives"},
    {"eventBasedGateway", "un événement limite temporisé sur la tâche qui attend (passerelle prévue en v1.1)"},
    {"intermediateThrowEvent", "une serviceTask (action notify)"},
    {"transaction", "un sous-processus intégré (subProcess)"},
    {"adHocSubProcess", "un sous-processus intégré (subProcess)"},
    {"multiInstanceLoopCharacteristics", "une mise en relation par structure (action dispatch), sans boucle"},
    {"standardLoopCharacteristics", "une passerelle exclusive qui reboucle explicitement"},
    {"ioSpecification", "des variables de l'instance lues par « =chemin »"},
    {"property", "des variables de l'instance lues par « =chemin »"},
    {"messageFlow", "un seul participant : les messages arrivent par l'API"},
    {"potentialOwner", "zeebe:assignmentDefinition (assignee, candidateGroups)"},
    {"humanPerformer", "zeebe:assignmentDefinition (assignee, candidateGroups)"},
    {"errorEventDefinition", "un événement limite temporisé ou une passerelle exclusive"},
    {"signalEventDefinition", "un événement de message"},
    {"escalationEventDefinition", "un événement limite temporisé"},
    {"compensateEventDefinition", "des tâches d'annulation explicites"},
    {"conditionalEventDefinition", "une passerelle exclusive"},
    {"linkEventDefinition", "un flux de séquence direct"},
    {"cancelEventDefinition", "un événement de fin avec terminateEventDefinition"},
    {NULL, NULL},
};

struct pending_flow {
  char *source, *target; /* ids until resolved */
};

struct message {
  char *id, *name;
};

struct build {
  struct bpmn_model *m;
  struct bpmn_report *r;
  const struct bpmn_options *opt;
  struct pending_flow *pf;  /* parallel to m->flows */
  char **attached;          /* parallel to m->elements: boundary's attachedToRef */
  char **defaults;          /* parallel to m->elements: gateway's default */
  struct message *messages;
  int n_messages;
  int cap_elements, cap_flows;
  char **ids;               /* every id seen, for uniqueness */
  int n_ids, cap_ids;
};

__attribute__((format(printf, 4, 5))) static void issue(struct build *b, int error, const char *element,
                                                        const char *fmt, ...) {
  struct bpmn_report *r = b->r;
  if (r->n == r->cap) {
    int cap = r->cap ? r->cap * 2 : 16;
    struct bpmn_issue *p = realloc(r->items, (size_t)cap * sizeof *p);
    if (!p) return;
    r->items = p;
    r->cap = cap;
  }
  struct bpmn_issue *it = &r->items[r->n++];
  it->error = error;
  snprintf(it->element, sizeof it->element, "%s", element ? element : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(it->message, sizeof it->message, fmt, ap);
  va_end(ap);
  if (error) r->errors++;
  else r->warnings++;
}

#define ERROR(b, el, ...) issue(b, 1, el, __VA_ARGS__)
#define WARN(b, el, ...) issue(b, 0, el, __VA_ARGS__)

static int is(const xmlNode *n, const char *ns, const char *name) {
  return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0 &&
         (!name || strcmp((const char *)n->name, name) == 0);
}

static const char *ns_of(const xmlNode *n) { return n->ns && n->ns->href ? (const char *)n->ns->href : ""; }

static int tolerated(const char *ns) {
  for (const char *const *t = tolerated_ns; *t; t++)
    if (strcmp(*t, ns) == 0) return 1;
  return 0;
}

/* Attribute `name` (no namespace) as a malloc'ed string, or NULL. */
static char *attr(const xmlNode *n, const char *name) {
  xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
  if (!v) return NULL;
  char *s = strdup((const char *)v);
  xmlFree(v);
  return s;
}

/* Text content, trimmed, malloc'ed. */
static char *text_of(const xmlNode *n) {
  xmlChar *v = xmlNodeGetContent(n);
  const char *s = v ? (const char *)v : "";
  while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++;
  size_t len = strlen(s);
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\t' || s[len - 1] == '\r')) len--;
  char *out = malloc(len + 1);
  if (out) {
    memcpy(out, s, len);
    out[len] = 0;
  }
  xmlFree(v);
  return out;
}

/* The id of `n` for messages: its id attribute, or its tag. */
static void label_of(const xmlNode *n, char *out, size_t size) {
  xmlChar *id = xmlGetNoNsProp(n, (const xmlChar *)"id");
  snprintf(out, size, "%s", id ? (const char *)id : (const char *)n->name);
  xmlFree(id);
}

static void remember_id(struct build *b, const xmlNode *n) {
  char *id = attr(n, "id");
  if (!id) return;
  if (b->n_ids == b->cap_ids) {
    int cap = b->cap_ids ? b->cap_ids * 2 : 64;
    char **p = realloc(b->ids, (size_t)cap * sizeof *p);
    if (!p) {
      free(id);
      return;
    }
    b->ids = p;
    b->cap_ids = cap;
  }
  b->ids[b->n_ids++] = id;
}

/* Refuses attributes from a foreign namespace (another engine's). */
static void check_attributes(struct build *b, const xmlNode *n, const char *el) {
  for (const xmlAttr *a = n->properties; a; a = a->next) {
    if (!a->ns || !a->ns->href) continue;
    const char *ns = (const char *)a->ns->href;
    if (strcmp(ns, NS_BPMN) == 0 || tolerated(ns)) continue;
    if (strcmp(ns, NS_ZEEBE) == 0)
      ERROR(b, el, "%s : attribut zeebe:%s non pris en charge", el, (const char *)a->name);
    else
      ERROR(b, el, "%s : attribut %s:%s d'un autre moteur (%s) ; ce fichier vise un autre moteur, dessinez-le "
                   "en mode « Camunda 8 » (extensions zeebe:)",
            el, a->ns->prefix ? (const char *)a->ns->prefix : "?", (const char *)a->name, ns);
  }
}

static const char *refused_instead(const char *name) {
  for (int i = 0; refused[i].name; i++)
    if (strcmp(refused[i].name, name) == 0) return refused[i].instead;
  return NULL;
}

static int in_list(const char *const *list, const char *name) {
  for (; *list; list++)
    if (strcmp(*list, name) == 0) return 1;
  return 0;
}

static int new_element(struct build *b, const xmlNode *n, enum bpmn_kind kind, int scope) {
  struct bpmn_model *m = b->m;
  if (m->n_elements == b->cap_elements) {
    int cap = b->cap_elements ? b->cap_elements * 2 : 32;
    struct bpmn_element *p = realloc(m->elements, (size_t)cap * sizeof *p);
    char **a = realloc(b->attached, (size_t)cap * sizeof *a);
    if (a) b->attached = a;
    char **d = a ? realloc(b->defaults, (size_t)cap * sizeof *d) : NULL;
    if (d) b->defaults = d;
    if (!p || !a || !d) {
      if (p) m->elements = p;
      return -1;
    }
    m->elements = p;
    b->cap_elements = cap;
  }
  int i = m->n_elements++;
  struct bpmn_element *e = &m->elements[i];
  memset(e, 0, sizeof *e);
  e->id = attr(n, "id");
  e->name = attr(n, "name");
  e->kind = kind;
  e->scope = scope;
  e->default_flow = -1;
  e->attached_to = -1;
  e->interrupting = 1;
  e->retries = 3;
  e->start = -1;
  b->attached[i] = NULL;
  b->defaults[i] = NULL;
  if (!e->id) ERROR(b, (const char *)n->name, "un élément %s n'a pas d'identifiant (attribut id)", (const char *)n->name);
  return i;
}

static void add_pair(struct bpmn_pair **list, int *n, const xmlNode *node, const char *k, const char *v) {
  struct bpmn_pair *p = realloc(*list, (size_t)(*n + 1) * sizeof *p);
  if (!p) return;
  *list = p;
  p[*n].key = attr(node, k);
  p[*n].value = attr(node, v);
  if (!p[*n].key) p[*n].key = strdup("");
  if (!p[*n].value) p[*n].value = strdup("");
  (*n)++;
}

/* zeebe: extension elements of element `i`. */
static void read_extensions(struct build *b, const xmlNode *ext, int i) {
  struct bpmn_element *e = &b->m->elements[i];
  for (const xmlNode *x = ext->children; x; x = x->next) {
    if (x->type != XML_ELEMENT_NODE) continue;
    if (!is(x, NS_ZEEBE, NULL)) {
      if (tolerated(ns_of(x))) continue;
      ERROR(b, e->id, "%s : extension %s:%s d'un autre moteur (%s) ; seules les extensions zeebe: sont acceptées",
            e->id, x->ns && x->ns->prefix ? (const char *)x->ns->prefix : "?", (const char *)x->name, ns_of(x));
      continue;
    }
    const char *name = (const char *)x->name;
    int user = e->kind == BPMN_USER_TASK, service = e->kind == BPMN_SERVICE_TASK;
    if (strcmp(name, "properties") == 0) {
      for (const xmlNode *p = x->children; p; p = p->next)
        if (is(p, NS_ZEEBE, "property")) add_pair(&e->properties, &e->n_properties, p, "name", "value");
    } else if (user && strcmp(name, "assignmentDefinition") == 0) {
      e->assignee = attr(x, "assignee");
      e->candidate_groups = attr(x, "candidateGroups");
      e->candidate_users = attr(x, "candidateUsers");
    } else if (user && strcmp(name, "formDefinition") == 0) {
      e->form_key = attr(x, "formKey");
    } else if (user && strcmp(name, "userTask") == 0) {
      /* marker of a Zeebe user task: nothing to keep */
    } else if (service && strcmp(name, "taskDefinition") == 0) {
      e->job_type = attr(x, "type");
      char *retries = attr(x, "retries");
      if (retries) {
        char *end;
        long v = strtol(retries, &end, 10);
        if (!*retries || *end || v < 0 || v > 100)
          ERROR(b, e->id, "%s : retries=« %s » invalide (entier de 0 à 100)", e->id, retries);
        else e->retries = (int)v;
        free(retries);
      }
    } else if (service && strcmp(name, "taskHeaders") == 0) {
      for (const xmlNode *h = x->children; h; h = h->next)
        if (is(h, NS_ZEEBE, "header")) add_pair(&e->headers, &e->n_headers, h, "key", "value");
    } else if (strcmp(name, "ioMapping") == 0) {
      ERROR(b, e->id, "%s : zeebe:ioMapping non pris en charge ; lisez les variables de l'instance par « =chemin »",
            e->id);
    } else if (strcmp(name, "calledElement") == 0) {
      ERROR(b, e->id, "%s : zeebe:calledElement non pris en charge ; utilisez un sous-processus intégré", e->id);
    } else if (strcmp(name, "taskSchedule") == 0) {
      ERROR(b, e->id, "%s : zeebe:taskSchedule non pris en charge en v1 ; utilisez un événement limite temporisé",
            e->id);
    } else {
      ERROR(b, e->id, "%s : extension zeebe:%s non acceptée sur un élément %s", e->id, name,
            bpmn_kind_name(e->kind));
    }
  }
}

/* The event definition children of an event node: returns how many, and
 * the first in *def. Refused definitions are reported. */
static int event_definitions(struct build *b, const xmlNode *n, const char *el, const xmlNode **def) {
  int count = 0;
  *def = NULL;
  for (const xmlNode *c = n->children; c; c = c->next) {
    if (!is(c, NS_BPMN, NULL)) continue;
    const char *name = (const char *)c->name;
    size_t len = strlen(name);
    if (len < 15 || strcmp(name + len - 15, "EventDefinition") != 0) continue;
    if (!count) *def = c;
    count++;
    const char *instead = refused_instead(name);
    if (instead) ERROR(b, el, "%s : %s non pris en charge ; à la place : %s", el, name, instead);
  }
  return count;
}

static void read_timer(struct build *b, const xmlNode *def, int i) {
  struct bpmn_element *e = &b->m->elements[i];
  const xmlNode *value = NULL;
  enum timer_kind kind = TIMER_DURATION;
  int n = 0;
  for (const xmlNode *c = def->children; c; c = c->next) {
    if (is(c, NS_BPMN, "timeDuration")) kind = TIMER_DURATION;
    else if (is(c, NS_BPMN, "timeDate")) kind = TIMER_DATE;
    else if (is(c, NS_BPMN, "timeCycle")) kind = TIMER_CYCLE;
    else continue;
    value = c;
    n++;
  }
  if (n != 1) {
    ERROR(b, e->id, "%s : un minuteur a exactement une valeur (timeDuration, timeDate ou timeCycle)", e->id);
    return;
  }
  e->timer_text = text_of(value);
  char why[300];
  if (timer_parse(&e->timer, kind, e->timer_text ? e->timer_text : "", why, sizeof why))
    ERROR(b, e->id, "%s : minuteur « %s » refusé : %s", e->id, e->timer_text ? e->timer_text : "", why);
}

static void read_message(struct build *b, const xmlNode *def, int i) {
  struct bpmn_element *e = &b->m->elements[i];
  char *ref = attr(def, "messageRef");
  if (!ref) {
    ERROR(b, e->id, "%s : l'événement de message doit désigner un message (messageRef)", e->id);
    return;
  }
  for (int k = 0; k < b->n_messages; k++)
    if (strcmp(b->messages[k].id, ref) == 0 && b->messages[k].name) e->message = strdup(b->messages[k].name);
  if (!e->message) ERROR(b, e->id, "%s : messageRef « %s » ne désigne aucun message nommé du fichier", e->id, ref);
  free(ref);
}

static void read_scope(struct build *b, const xmlNode *parent, int scope);

static void read_flow(struct build *b, const xmlNode *n, const char *el) {
  struct bpmn_model *m = b->m;
  if (m->n_flows == b->cap_flows) {
    int cap = b->cap_flows ? b->cap_flows * 2 : 32;
    struct bpmn_flow *p = realloc(m->flows, (size_t)cap * sizeof *p);
    struct pending_flow *q = realloc(b->pf, (size_t)cap * sizeof *q);
    if (p) m->flows = p;
    if (q) b->pf = q;
    if (!p || !q) return;
    b->cap_flows = cap;
  }
  struct bpmn_flow *f = &m->flows[m->n_flows];
  struct pending_flow *pf = &b->pf[m->n_flows];
  m->n_flows++;
  memset(f, 0, sizeof *f);
  f->id = attr(n, "id");
  f->name = attr(n, "name");
  f->source = f->target = -1;
  pf->source = attr(n, "sourceRef");
  pf->target = attr(n, "targetRef");
  if (!f->id) ERROR(b, el, "un flux de séquence n'a pas d'identifiant");
  for (const xmlNode *c = n->children; c; c = c->next) {
    if (!is(c, NS_BPMN, "conditionExpression")) continue;
    char *lang = attr(c, "language");
    if (lang && strcmp(lang, "http://www.omg.org/spec/FEEL/20140401") != 0 && strcmp(lang, "feel") != 0 &&
        strcmp(lang, "FEEL") != 0)
      ERROR(b, el, "%s : condition en langage « %s » non prise en charge ; écrivez-la en FEEL-lite (« = montant > 0 »)",
            el, lang);
    free(lang);
    f->condition_text = text_of(c);
    struct expr_error xe;
    if (expr_parse(&f->condition, f->condition_text ? f->condition_text : "", &xe))
      ERROR(b, el, "%s : condition « %s » invalide (colonne %d) : %s", el,
            f->condition_text ? f->condition_text : "", xe.column, xe.message);
  }
}

/* One child of a process or subProcess. */
static void read_node(struct build *b, const xmlNode *n, int scope) {
  char el[128];
  label_of(n, el, sizeof el);
  if (!is(n, NS_BPMN, NULL)) {
    if (!tolerated(ns_of(n)) && strcmp(ns_of(n), NS_ZEEBE) != 0)
      ERROR(b, el, "%s : élément %s d'un autre moteur (%s)", el, (const char *)n->name, ns_of(n));
    else if (strcmp(ns_of(n), NS_ZEEBE) == 0)
      ERROR(b, el, "zeebe:%s doit se trouver dans extensionElements", (const char *)n->name);
    return;
  }
  remember_id(b, n);
  check_attributes(b, n, el);
  const char *name = (const char *)n->name;
  const char *instead = refused_instead(name);
  if (instead) {
    ERROR(b, el, "%s : élément %s non pris en charge ; à la place : %s", el, name, instead);
    return;
  }
  if (in_list(ignored, name)) {
    WARN(b, el, "%s : élément %s ignoré (sans effet à l'exécution)", el, name);
    if (strcmp(name, "laneSet") == 0)
      for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) remember_id(b, c);
    return;
  }
  if (strcmp(name, "extensionElements") == 0 || strcmp(name, "incoming") == 0 || strcmp(name, "outgoing") == 0)
    return;
  if (strcmp(name, "sequenceFlow") == 0) {
    read_flow(b, n, el);
    return;
  }
  const xmlNode *def = NULL;
  int i = -1;
  if (strcmp(name, "startEvent") == 0) {
    i = new_element(b, n, BPMN_START, scope);
    if (event_definitions(b, n, el, &def))
      ERROR(b, el, "%s : un événement de début n'a pas de définition (minuteur, message…) : les instances "
                   "démarrent au dépôt d'une demande",
            el);
  } else if (strcmp(name, "endEvent") == 0) {
    int k = event_definitions(b, n, el, &def);
    i = new_element(b, n, BPMN_END, scope);
    if (k == 1 && is(def, NS_BPMN, "terminateEventDefinition")) b->m->elements[i].kind = BPMN_TERMINATE;
    else if (k == 1 && !refused_instead((const char *)def->name))
      ERROR(b, el, "%s : événement de fin %s non pris en charge ; fin simple ou terminateEventDefinition", el,
            (const char *)def->name);
    else if (k > 1) ERROR(b, el, "%s : un événement de fin a au plus une définition", el);
  } else if (strcmp(name, "userTask") == 0) {
    i = new_element(b, n, BPMN_USER_TASK, scope);
  } else if (strcmp(name, "serviceTask") == 0) {
    i = new_element(b, n, BPMN_SERVICE_TASK, scope);
  } else if (strcmp(name, "exclusiveGateway") == 0 || strcmp(name, "parallelGateway") == 0 ||
             strcmp(name, "inclusiveGateway") == 0) {
    i = new_element(b, n, name[0] == 'e' ? BPMN_EXCLUSIVE : name[0] == 'p' ? BPMN_PARALLEL : BPMN_INCLUSIVE, scope);
    if (i >= 0) b->defaults[i] = attr(n, "default");
  } else if (strcmp(name, "subProcess") == 0) {
    char *ev = attr(n, "triggeredByEvent");
    int event_sub = ev && strcmp(ev, "true") == 0;
    free(ev);
    if (event_sub) {
      ERROR(b, el, "%s : sous-processus d'événement non pris en charge ; utilisez un événement limite sur l'activité",
            el);
      return;
    }
    i = new_element(b, n, BPMN_SUBPROCESS, scope);
  } else if (strcmp(name, "boundaryEvent") == 0 || strcmp(name, "intermediateCatchEvent") == 0) {
    int boundary = name[0] == 'b';
    int k = event_definitions(b, n, el, &def);
    int timer = k == 1 && is(def, NS_BPMN, "timerEventDefinition");
    int message = k == 1 && is(def, NS_BPMN, "messageEventDefinition");
    if (!timer && !message) {
      if (k == 0 || (k == 1 && !refused_instead((const char *)def->name)) || k > 1)
        ERROR(b, el, "%s : %s attend exactement une définition de minuteur ou de message", el, name);
      return;
    }
    i = new_element(b, n, boundary ? (timer ? BPMN_BOUNDARY_TIMER : BPMN_BOUNDARY_MESSAGE)
                                   : (timer ? BPMN_CATCH_TIMER : BPMN_CATCH_MESSAGE),
                    scope);
    if (i < 0) return;
    if (boundary) {
      b->attached[i] = attr(n, "attachedToRef");
      char *cancel = attr(n, "cancelActivity");
      b->m->elements[i].interrupting = !(cancel && strcmp(cancel, "false") == 0);
      free(cancel);
    }
    if (timer) read_timer(b, def, i);
    else read_message(b, def, i);
  } else {
    ERROR(b, el, "%s : élément %s inconnu du sous-ensemble exécutable", el, name);
    return;
  }
  if (i < 0) return;
  for (const xmlNode *c = n->children; c; c = c->next) {
    if (is(c, NS_BPMN, "extensionElements")) read_extensions(b, c, i);
    else if (c->type == XML_ELEMENT_NODE && !is(c, NS_BPMN, "incoming") && !is(c, NS_BPMN, "outgoing") &&
             b->m->elements[i].kind != BPMN_SUBPROCESS) {
      const char *cn = (const char *)c->name;
      size_t len = strlen(cn);
      if (!is(c, NS_BPMN, NULL) && !tolerated(ns_of(c)))
        ERROR(b, el, "%s : élément %s d'un autre moteur (%s)", el, cn, ns_of(c));
      else if (is(c, NS_BPMN, NULL) && refused_instead(cn) && !(len >= 15 && strcmp(cn + len - 15, "EventDefinition") == 0))
        ERROR(b, el, "%s : %s non pris en charge ; à la place : %s", el, cn, refused_instead(cn));
      else if (is(c, NS_BPMN, "documentation"))
        WARN(b, el, "%s : documentation ignorée à l'exécution", el);
    }
  }
  if (b->m->elements[i].kind == BPMN_SUBPROCESS) read_scope(b, n, i);
}

static void read_scope(struct build *b, const xmlNode *parent, int scope) {
  for (const xmlNode *n = parent->children; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && !is(n, NS_BPMN, "extensionElements")) read_node(b, n, scope);
}

static int index_of(const struct bpmn_model *m, const char *id) {
  if (!id) return -1;
  for (int i = 0; i < m->n_elements; i++)
    if (m->elements[i].id && strcmp(m->elements[i].id, id) == 0) return i;
  return -1;
}

static int push(int **list, int *n, int v) {
  int *p = realloc(*list, (size_t)(*n + 1) * sizeof *p);
  if (!p) return -1;
  *list = p;
  p[(*n)++] = v;
  return 0;
}

static int is_activity(enum bpmn_kind k) {
  return k == BPMN_USER_TASK || k == BPMN_SERVICE_TASK || k == BPMN_SUBPROCESS;
}

static int is_boundary(enum bpmn_kind k) { return k == BPMN_BOUNDARY_TIMER || k == BPMN_BOUNDARY_MESSAGE; }

/* Every id of the document is unique. */
static void check_ids(struct build *b) {
  for (int i = 0; i < b->n_ids; i++)
    for (int j = 0; j < i; j++)
      if (strcmp(b->ids[i], b->ids[j]) == 0) {
        ERROR(b, b->ids[i], "identifiant en double : « %s » (chaque élément a un id unique)", b->ids[i]);
        break;
      }
}

/* Resolves references, then checks structure. */
static void link_and_check(struct build *b) {
  struct bpmn_model *m = b->m;
  /* Flows. */
  for (int f = 0; f < m->n_flows; f++) {
    struct bpmn_flow *fl = &m->flows[f];
    const char *id = fl->id ? fl->id : "?";
    fl->source = index_of(m, b->pf[f].source);
    fl->target = index_of(m, b->pf[f].target);
    if (fl->source < 0)
      ERROR(b, id, "%s : sourceRef « %s » ne désigne aucun élément exécutable", id, b->pf[f].source ? b->pf[f].source : "");
    if (fl->target < 0)
      ERROR(b, id, "%s : targetRef « %s » ne désigne aucun élément exécutable", id, b->pf[f].target ? b->pf[f].target : "");
    if (fl->source < 0 || fl->target < 0) continue;
    struct bpmn_element *s = &m->elements[fl->source], *t = &m->elements[fl->target];
    if (s->scope != t->scope)
      ERROR(b, id, "%s : un flux ne sort pas d'un sous-processus (%s → %s) ; reliez le sous-processus lui-même", id,
            s->id, t->id);
    push(&s->outgoing, &s->n_outgoing, f);
    push(&t->incoming, &t->n_incoming, f);
    if (fl->condition_text && s->kind != BPMN_EXCLUSIVE && s->kind != BPMN_INCLUSIVE)
      ERROR(b, id, "%s : condition sur un flux qui sort de %s (%s) ; placez une passerelle exclusive après l'élément",
            id, s->id, bpmn_kind_name(s->kind));
  }
  /* Elements. */
  for (int i = 0; i < m->n_elements; i++) {
    struct bpmn_element *e = &m->elements[i];
    const char *id = e->id ? e->id : "?";
    if (b->defaults[i]) {
      int f;
      for (f = 0; f < m->n_flows; f++)
        if (m->flows[f].id && strcmp(m->flows[f].id, b->defaults[i]) == 0) break;
      if (f == m->n_flows || m->flows[f].source != i)
        ERROR(b, id, "%s : le flux par défaut « %s » n'est pas un flux sortant de la passerelle", id, b->defaults[i]);
      else if (m->flows[f].condition_text)
        ERROR(b, id, "%s : le flux par défaut %s ne porte pas de condition", id, m->flows[f].id);
      else e->default_flow = f;
      if (e->kind == BPMN_PARALLEL) ERROR(b, id, "%s : une passerelle parallèle n'a pas de flux par défaut", id);
    }
    if (b->attached[i] || is_boundary(e->kind)) {
      e->attached_to = index_of(m, b->attached[i]);
      if (e->attached_to < 0) {
        ERROR(b, id, "%s : attachedToRef « %s » ne désigne aucune activité", id, b->attached[i] ? b->attached[i] : "");
      } else {
        struct bpmn_element *a = &m->elements[e->attached_to];
        if (!is_activity(a->kind))
          ERROR(b, id, "%s : un événement limite s'attache à une userTask, serviceTask ou subProcess, pas à %s (%s)",
                id, a->id, bpmn_kind_name(a->kind));
        else push(&a->boundaries, &a->n_boundaries, i);
        if (a->scope != e->scope) ERROR(b, id, "%s : l'événement limite et son activité sont dans des portées différentes", id);
      }
      if (e->n_incoming) ERROR(b, id, "%s : un événement limite n'a pas de flux entrant", id);
      if (e->n_outgoing != 1) ERROR(b, id, "%s : un événement limite a exactement un flux sortant (%d ici)", id, e->n_outgoing);
      if (e->kind == BPMN_BOUNDARY_MESSAGE && !e->interrupting)
        ERROR(b, id, "%s : événement limite de message non interrompant non pris en charge en v1 (cancelActivity=\"true\")", id);
    }
    if (e->kind == BPMN_BOUNDARY_TIMER || e->kind == BPMN_CATCH_TIMER) {
      if (e->timer.kind == TIMER_CYCLE && (e->kind != BPMN_BOUNDARY_TIMER || e->interrupting))
        ERROR(b, id, "%s : un cycle (timeCycle) n'est permis que sur un événement limite non interrompant ; "
                     "utilisez une durée (timeDuration)",
              id);
    }
    switch (e->kind) {
    case BPMN_START:
      if (e->n_incoming) ERROR(b, id, "%s : un événement de début n'a pas de flux entrant", id);
      if (e->n_outgoing < 1) ERROR(b, id, "%s : l'événement de début n'a pas de flux sortant", id);
      break;
    case BPMN_END:
    case BPMN_TERMINATE:
      if (e->n_outgoing) ERROR(b, id, "%s : un événement de fin n'a pas de flux sortant", id);
      break;
    case BPMN_USER_TASK:
      if (!e->assignee && !e->candidate_groups && !e->candidate_users)
        WARN(b, id, "%s : tâche sans attribution (zeebe:assignmentDefinition) : confiée au groupe par défaut "
                    "(coordination)",
             id);
      break;
    case BPMN_SERVICE_TASK:
      if (!e->job_type || !*e->job_type)
        ERROR(b, id, "%s : une serviceTask indique son action (zeebe:taskDefinition type=\"…\")", id);
      else if (b->opt && b->opt->known_action && !b->opt->known_action(e->job_type))
        WARN(b, id, "%s : action « %s » inconnue du registre des actions intégrées : ses travaux tomberont en "
                    "incident tant qu'elle n'existe pas",
             id, e->job_type);
      break;
    case BPMN_EXCLUSIVE:
    case BPMN_INCLUSIVE:
      if (e->kind == BPMN_INCLUSIVE && e->n_incoming != 1)
        ERROR(b, id, "%s : une passerelle inclusive a exactement un flux entrant (%d ici) ; pour synchroniser, mettez "
                     "les branches dans un sous-processus",
              id, e->n_incoming);
      if (e->n_outgoing > 1)
        for (int k = 0; k < e->n_outgoing; k++) {
          const struct bpmn_flow *fl = &m->flows[e->outgoing[k]];
          if (e->outgoing[k] != e->default_flow && !fl->condition_text)
            ERROR(b, fl->id, "%s : flux sortant de la passerelle %s sans condition ; ajoutez une condition ou "
                             "faites-en le flux par défaut",
                  fl->id, id);
        }
      if (e->n_outgoing < 1) ERROR(b, id, "%s : passerelle sans flux sortant", id);
      break;
    case BPMN_PARALLEL:
      for (int k = 0; k < e->n_outgoing; k++)
        if (m->flows[e->outgoing[k]].condition_text)
          ERROR(b, m->flows[e->outgoing[k]].id, "%s : pas de condition après une passerelle parallèle",
                m->flows[e->outgoing[k]].id);
      if (e->n_outgoing < 1) ERROR(b, id, "%s : passerelle sans flux sortant", id);
      break;
    default:
      if (e->kind != BPMN_START && !is_boundary(e->kind) && e->n_outgoing < 1 && e->kind != BPMN_END &&
          e->kind != BPMN_TERMINATE)
        ERROR(b, id, "%s : élément sans flux sortant ; reliez-le à la suite ou à un événement de fin", id);
      break;
    }
  }
  /* One start event per scope (process and each subProcess). */
  for (int s = -1; s < m->n_elements; s++) {
    if (s >= 0 && m->elements[s].kind != BPMN_SUBPROCESS) continue;
    int count = 0, first = -1;
    for (int i = 0; i < m->n_elements; i++)
      if (m->elements[i].scope == s && m->elements[i].kind == BPMN_START && count++ == 0) first = i;
    const char *where = s < 0 ? (m->process_id ? m->process_id : "") : m->elements[s].id;
    if (count != 1)
      ERROR(b, where, "%s : il faut exactement un événement de début (%d ici)", where, count);
    if (s < 0) m->start = first;
    else m->elements[s].start = first;
  }
}

/* Marks what is reachable from each scope's start (error otherwise), and
 * warns for what cannot reach an end. */
static void check_paths(struct build *b) {
  struct bpmn_model *m = b->m;
  if (m->start < 0 || b->r->errors) return;
  int n = m->n_elements;
  char *seen = calloc((size_t)n + 1, 1), *done = calloc((size_t)n + 1, 1);
  int *stack = malloc(((size_t)n + 1) * sizeof *stack);
  if (!seen || !done || !stack) goto out;
  int top = 0;
  stack[top++] = m->start;
  seen[m->start] = 1;
  while (top) {
    int i = stack[--top];
    struct bpmn_element *e = &m->elements[i];
    int next[3] = {-1, -1, -1};
    if (e->kind == BPMN_SUBPROCESS) next[0] = e->start;
    for (int k = 0; k < e->n_outgoing + e->n_boundaries + 1; k++) {
      int t = k < e->n_outgoing ? m->flows[e->outgoing[k]].target
              : k < e->n_outgoing + e->n_boundaries ? e->boundaries[k - e->n_outgoing]
                                                     : next[0];
      if (t >= 0 && !seen[t]) {
        seen[t] = 1;
        stack[top++] = t;
      }
    }
  }
  for (int i = 0; i < n; i++)
    if (!seen[i])
      ERROR(b, m->elements[i].id, "%s : élément inaccessible depuis l'événement de début", m->elements[i].id);
  /* Reaching an end: ends, then whatever leads to something done; a
   * subProcess is done when its inside can end. */
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = 0; i < n; i++) {
      struct bpmn_element *e = &m->elements[i];
      if (done[i]) continue;
      int ok = e->kind == BPMN_END || e->kind == BPMN_TERMINATE;
      for (int k = 0; !ok && k < e->n_outgoing; k++) ok = done[m->flows[e->outgoing[k]].target];
      if (!ok && e->scope >= 0 && (e->kind == BPMN_END || e->kind == BPMN_TERMINATE)) ok = 1;
      if (ok) done[i] = changed = 1;
    }
  }
  for (int i = 0; i < n; i++)
    if (!done[i])
      WARN(b, m->elements[i].id, "%s : aucun chemin de cet élément ne mène à un événement de fin", m->elements[i].id);
out:
  free(seen);
  free(done);
  free(stack);
}

/* Sorts m->by_id by element id (shell sort: no global comparison state). */
static void sort_by_id(struct bpmn_model *m) {
  int n = m->n_elements, *a = m->by_id;
  for (int gap = n / 2; gap > 0; gap /= 2)
    for (int i = gap; i < n; i++) {
      int v = a[i], j = i;
      while (j >= gap && strcmp(m->elements[a[j - gap]].id, m->elements[v].id) > 0) {
        a[j] = a[j - gap];
        j -= gap;
      }
      a[j] = v;
    }
}

/* Frees what only the build needed. */
static void build_free(struct build *b) {
  int flows = b->m ? b->m->n_flows : 0, elements = b->m ? b->m->n_elements : 0;
  for (int f = 0; b->pf && f < flows; f++) {
    free(b->pf[f].source);
    free(b->pf[f].target);
  }
  for (int i = 0; b->attached && i < elements; i++) {
    free(b->attached[i]);
    free(b->defaults[i]);
  }
  free(b->pf);
  free(b->attached);
  free(b->defaults);
  for (int i = 0; i < b->n_ids; i++) free(b->ids[i]);
  free(b->ids);
  for (int i = 0; i < b->n_messages; i++) {
    free(b->messages[i].id);
    free(b->messages[i].name);
  }
  free(b->messages);
}

static void read_definitions(struct build *b, const xmlNode *root) {
  struct bpmn_model *m = b->m;
  const xmlNode *process = NULL;
  int processes = 0, executable = 0;
  for (const xmlNode *n = root->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    char el[128];
    label_of(n, el, sizeof el);
    if (!is(n, NS_BPMN, NULL)) {
      if (!tolerated(ns_of(n)))
        ERROR(b, el, "%s : élément %s d'un autre moteur (%s)", el, (const char *)n->name, ns_of(n));
      continue;
    }
    remember_id(b, n);
    check_attributes(b, n, el);
    const char *name = (const char *)n->name;
    if (strcmp(name, "process") == 0) {
      processes++;
      char *ex = attr(n, "isExecutable");
      if (ex && strcmp(ex, "true") == 0) {
        executable++;
        process = n;
      }
      free(ex);
    } else if (strcmp(name, "message") == 0) {
      struct message *p = realloc(b->messages, (size_t)(b->n_messages + 1) * sizeof *p);
      if (!p) continue;
      b->messages = p;
      p[b->n_messages].id = attr(n, "id");
      p[b->n_messages].name = attr(n, "name");
      if (!p[b->n_messages].id) p[b->n_messages].id = strdup("");
      if (!p[b->n_messages].name) ERROR(b, el, "%s : un message a un nom (attribut name)", el);
      b->n_messages++;
      for (const xmlNode *x = n->children; x; x = x->next)
        if (is(x, NS_BPMN, "extensionElements"))
          for (const xmlNode *z = x->children; z; z = z->next)
            if (z->type == XML_ELEMENT_NODE && !is(z, NS_ZEEBE, "subscription") && !tolerated(ns_of(z)))
              ERROR(b, el, "%s : extension %s non acceptée sur un message", el, (const char *)z->name);
    } else if (strcmp(name, "collaboration") == 0) {
      int participants = 0;
      for (const xmlNode *c = n->children; c; c = c->next) {
        if (is(c, NS_BPMN, "participant")) participants++;
        else if (is(c, NS_BPMN, "messageFlow")) {
          char cl[128];
          label_of(c, cl, sizeof cl);
          ERROR(b, cl, "%s : messageFlow non pris en charge ; à la place : %s", cl, refused_instead("messageFlow"));
        }
        if (c->type == XML_ELEMENT_NODE) remember_id(b, c);
      }
      if (participants > 1)
        ERROR(b, el, "%s : collaboration à %d participants ; un seul participant (un seul couloir) est accepté", el,
              participants);
    } else if (strcmp(name, "error") == 0 || strcmp(name, "signal") == 0 || strcmp(name, "escalation") == 0) {
      WARN(b, el, "%s : définition %s ignorée (sans usage dans le sous-ensemble)", el, name);
    } else if (in_list(ignored, name)) {
      WARN(b, el, "%s : élément %s ignoré (sans effet à l'exécution)", el, name);
    } else if (strcmp(name, "extensionElements") == 0 || strcmp(name, "documentation") == 0) {
      continue;
    } else {
      ERROR(b, el, "%s : élément racine %s non pris en charge", el, name);
    }
  }
  if (processes != 1 || executable != 1) {
    ERROR(b, "", "le fichier doit contenir exactement un processus, exécutable (isExecutable=\"true\") : %d "
                 "processus dont %d exécutable(s)",
          processes, executable);
    if (executable != 1) return;
  }
  m->process_id = attr(process, "id");
  m->name = attr(process, "name");
  if (!m->process_id) {
    ERROR(b, "", "le processus n'a pas d'identifiant (attribut id)");
    return;
  }
  if (b->opt && b->opt->process_id && strcmp(b->opt->process_id, m->process_id) != 0)
    ERROR(b, m->process_id, "le processus s'appelle « %s » mais le fichier attend « %s » (processes/<id>.bpmn)",
          m->process_id, b->opt->process_id);
  read_scope(b, process, -1);
}

int bpmn_compile(struct bpmn_model **out, struct bpmn_report *report, const char *xml, size_t len,
                 const struct bpmn_options *opt) {
  struct build b = {0};
  xmlDocPtr doc = NULL;
  xmlParserCtxtPtr ctxt = NULL;
  int rc = 0;
  *out = NULL;
  memset(report, 0, sizeof *report);
  b.r = report;
  b.opt = opt;
  if (len > BPMN_MAX_BYTES) {
    ERROR(&b, "", "fichier de %zu octets : une définition fait au plus %d octets (1 Mio)", len, BPMN_MAX_BYTES);
    return err_set(ERR_TOOLARGE, "file", "%s", report->items[0].message);
  }
  b.m = calloc(1, sizeof *b.m);
  if (!b.m) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  b.m->start = -1;
  /* No DTD, hence no entity of any kind: refused before libxml2 sees it. */
  if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8)) {
    ERROR(&b, "", "déclaration DOCTYPE refusée : une définition BPMN n'a ni DTD ni entités");
    goto check;
  }
  ctxt = xmlNewParserCtxt();
  if (!ctxt) {
    rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    goto done;
  }
  /* No entity substitution, no DTD loading, no network, quiet. */
  doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "definition.bpmn", NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) {
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    char msg[256] = "";
    if (e && e->message) snprintf(msg, sizeof msg, "%s", e->message);
    msg[strcspn(msg, "\n")] = 0;
    ERROR(&b, "", "XML mal formé, ligne %d : %s", e ? e->line : 0, msg[0] ? msg : "document illisible");
    goto check;
  }
  if (doc->intSubset || doc->extSubset) {
    ERROR(&b, "", "déclaration DOCTYPE refusée : une définition BPMN n'a ni DTD ni entités");
    goto check;
  }
  xmlNode *root = xmlDocGetRootElement(doc);
  if (!root || !is(root, NS_BPMN, "definitions")) {
    ERROR(&b, "", "l'élément racine doit être definitions de l'espace de noms %s (BPMN 2.0)", NS_BPMN);
    goto check;
  }
  check_attributes(&b, root, "definitions");
  read_definitions(&b, root);
  check_ids(&b);
  if (b.m->process_id) {
    link_and_check(&b);
    check_paths(&b);
  }
check:
  if (report->errors) {
    for (int i = 0; i < report->n; i++)
      if (report->items[i].error) {
        rc = err_set(ERR_INVALID, "file", "%s%s", report->items[i].message,
                     report->errors > 1 ? " (et d'autres erreurs)" : "");
        break;
      }
  } else {
    b.m->by_id = malloc((size_t)(b.m->n_elements ? b.m->n_elements : 1) * sizeof *b.m->by_id);
    if (!b.m->by_id) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
      goto done;
    }
    for (int i = 0; i < b.m->n_elements; i++) b.m->by_id[i] = i;
    sort_by_id(b.m);
  }
done:
  build_free(&b);
  if (rc || report->errors) {
    bpmn_free(b.m);
    b.m = NULL;
  }
  *out = b.m;
  xmlFreeDoc(doc);
  xmlFreeParserCtxt(ctxt);
  return rc;
}

static void free_pairs(struct bpmn_pair *p, int n) {
  for (int i = 0; i < n; i++) {
    free(p[i].key);
    free(p[i].value);
  }
  free(p);
}

void bpmn_free(struct bpmn_model *m) {
  if (!m) return;
  for (int i = 0; i < m->n_elements; i++) {
    struct bpmn_element *e = &m->elements[i];
    free(e->id);
    free(e->name);
    free(e->incoming);
    free(e->outgoing);
    free(e->assignee);
    free(e->candidate_groups);
    free(e->candidate_users);
    free(e->form_key);
    free(e->job_type);
    free_pairs(e->headers, e->n_headers);
    free_pairs(e->properties, e->n_properties);
    free(e->timer_text);
    free(e->message);
    free(e->boundaries);
  }
  for (int f = 0; f < m->n_flows; f++) {
    free(m->flows[f].id);
    free(m->flows[f].name);
    free(m->flows[f].condition_text);
    expr_free(m->flows[f].condition);
  }
  free(m->elements);
  free(m->flows);
  free(m->by_id);
  free(m->process_id);
  free(m->name);
  free(m);
}

void bpmn_report_free(struct bpmn_report *r) {
  free(r->items);
  memset(r, 0, sizeof *r);
}

int bpmn_find(const struct bpmn_model *m, const char *id) {
  int lo = 0, hi = m->n_elements - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2, c = strcmp(m->elements[m->by_id[mid]].id, id);
    if (c == 0) return m->by_id[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

static const char *pair_value(const struct bpmn_pair *p, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(p[i].key, key) == 0) return p[i].value;
  return NULL;
}

const char *bpmn_property(const struct bpmn_element *e, const char *name) {
  return pair_value(e->properties, e->n_properties, name);
}

const char *bpmn_header(const struct bpmn_element *e, const char *key) {
  return pair_value(e->headers, e->n_headers, key);
}

const char *bpmn_kind_name(enum bpmn_kind k) {
  static const char *const names[] = {
      [BPMN_START] = "startEvent",
      [BPMN_END] = "endEvent",
      [BPMN_TERMINATE] = "endEvent (terminate)",
      [BPMN_USER_TASK] = "userTask",
      [BPMN_SERVICE_TASK] = "serviceTask",
      [BPMN_EXCLUSIVE] = "exclusiveGateway",
      [BPMN_PARALLEL] = "parallelGateway",
      [BPMN_INCLUSIVE] = "inclusiveGateway",
      [BPMN_SUBPROCESS] = "subProcess",
      [BPMN_BOUNDARY_TIMER] = "boundaryEvent (timer)",
      [BPMN_BOUNDARY_MESSAGE] = "boundaryEvent (message)",
      [BPMN_CATCH_TIMER] = "intermediateCatchEvent (timer)",
      [BPMN_CATCH_MESSAGE] = "intermediateCatchEvent (message)",
  };
  return names[k];
}
