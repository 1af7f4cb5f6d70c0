/* Tests of workflows/bpmn.c: the conformance corpus of shared/testdata/bpmn
 * (every accept/ file compiles, every reject/ file is refused naming the
 * offending element), hostile XML (malformed, oversize, entity bomb,
 * external entity), and each structural rule of the subset on small
 * definitions written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bpmn.h"
#include "err.h"
#include "fixture.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS APPUI_SHARED_DIR "/testdata/bpmn"

/* 1 if some error of the report names `element` and contains `needle`. */
static int has_error(const struct bpmn_report *r, const char *element, const char *needle) {
  for (int i = 0; i < r->n; i++)
    if (r->items[i].error && (!element || strcmp(r->items[i].element, element) == 0) &&
        (!needle || strstr(r->items[i].message, needle)))
      return 1;
  return 0;
}

static void dump(const struct bpmn_report *r) {
  for (int i = 0; i < r->n; i++)
    fprintf(stderr, "  %s [%s] %s\n", r->items[i].error ? "ERREUR" : "avert.", r->items[i].element,
            r->items[i].message);
}

static int accept_all(const char *type) {
  (void)type;
  return 1;
}

static const struct bpmn_options any = {NULL, accept_all};

static void accept_corpus_compiles(void **state) {
  (void)state;
  DIR *d = opendir(CORPUS "/accept");
  assert_non_null(d);
  struct dirent *ent;
  int files = 0;
  while ((ent = readdir(d))) {
    if (!strstr(ent->d_name, ".bpmn")) continue;
    char path[512];
    size_t len;
    snprintf(path, sizeof path, CORPUS "/accept/%s", ent->d_name);
    char *xml = fixture_read(path, &len);
    struct bpmn_model *m;
    struct bpmn_report r;
    int rc = bpmn_compile(&m, &r, xml, len, &any);
    if (rc) {
      dump(&r);
      fail_msg("%s refused: %s", ent->d_name, err_msg());
    }
    assert_non_null(m);
    assert_true(m->start >= 0);
    assert_int_equal(m->elements[m->start].kind, BPMN_START);
    for (int i = 0; i < m->n_elements; i++) assert_int_equal(bpmn_find(m, m->elements[i].id), i);
    bpmn_free(m);
    bpmn_report_free(&r);
    free(xml);
    files++;
  }
  closedir(d);
  assert_int_equal(files, 12);
}

/* Each reject/ file with an element its refusal must name. */
static const struct {
  const char *file, *element, *needle;
} rejects[] = {
    {"18-nitram-lib-bpmn-engine--exclusive-gateway-with-condition.bpmn", NULL, "="},
    {"19-nitram-lib-bpmn-engine--timeout-example.bpmn", NULL, "eventBasedGateway"},
    {"20-nitram-lib-bpmn-engine--simple-link-events.bpmn", NULL, "intermediateThrowEvent"},
    {"22-camunda-bpm-platform--invoice.v2.bpmn", NULL, "autre moteur"},
    {"23-camunda-bpm-platform--BoundaryTimerNonInterruptingEventTest.testTimerWithCycle.bpmn", NULL, "R/PT1H"},
    {"25-camunda-bpm-platform--CallActivity.testCallSimpleSubProcess.bpmn", "callSubProcess", "callActivity"},
    {"28-bpmn-engine--mother-of-all.bpmn", NULL, "scriptTask"},
    {"30-bpmn-js--duplicate-ids.bpmn", "test", "double"},
};

static void reject_corpus_is_refused_naming_the_element(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof rejects / sizeof rejects[0]; k++) {
    char path[512];
    size_t len;
    snprintf(path, sizeof path, CORPUS "/reject/%s", rejects[k].file);
    char *xml = fixture_read(path, &len);
    struct bpmn_model *m = (struct bpmn_model *)1;
    struct bpmn_report r;
    int rc = bpmn_compile(&m, &r, xml, len, &any);
    if (rc != ERR_INVALID) fail_msg("%s: expected a refusal, got %d", rejects[k].file, rc);
    assert_null(m);
    assert_true(r.errors > 0);
    if (!has_error(&r, rejects[k].element, rejects[k].needle)) {
      dump(&r);
      fail_msg("%s: no error on %s mentioning « %s »", rejects[k].file, rejects[k].element ? rejects[k].element : "*",
               rejects[k].needle);
    }
    /* Every error names an element (or the document for whole-file rules). */
    for (int i = 0; i < r.n; i++)
      if (r.items[i].error && !r.items[i].element[0] && !strstr(r.items[i].message, "processus"))
        fail_msg("%s: error naming no element: %s", rejects[k].file, r.items[i].message);
    bpmn_report_free(&r);
    free(xml);
  }
}

/* Wraps process children into a definition with the usual namespaces. */
static char *definition(const char *body) {
  static const char head[] =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
      "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"d\" targetNamespace=\"t\">\n"
      "<bpmn:message id=\"m1\" name=\"pieces-recues\"/>\n"
      "<bpmn:process id=\"p\" isExecutable=\"true\">\n";
  static const char tail[] = "</bpmn:process>\n</bpmn:definitions>\n";
  size_t n = strlen(head) + strlen(body) + strlen(tail) + 1;
  char *s = malloc(n);
  snprintf(s, n, "%s%s%s", head, body, tail);
  return s;
}

#define FLOW(id, a, b) "<bpmn:sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>"
#define START "<bpmn:startEvent id=\"start\"/>"
#define END "<bpmn:endEvent id=\"end\"/>"
#define TASK(id) "<bpmn:userTask id=\"" id "\"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups=\"coordination\"/></bpmn:extensionElements></bpmn:userTask>"

static int compile_text(struct bpmn_model **m, struct bpmn_report *r, const char *body) {
  char *xml = definition(body);
  int rc = bpmn_compile(m, r, xml, strlen(xml), &any);
  free(xml);
  return rc;
}

/* Asserts that `body` is refused with an error on `element` containing `needle`. */
static void refused(const char *body, const char *element, const char *needle) {
  struct bpmn_model *m;
  struct bpmn_report r;
  int rc = compile_text(&m, &r, body);
  if (rc != ERR_INVALID || !has_error(&r, element, needle)) {
    dump(&r);
    fail_msg("expected a refusal on %s mentioning « %s » (rc %d)", element ? element : "*", needle, rc);
  }
  assert_null(m);
  /* The thread's message is the first error of the report. */
  int first = 0;
  while (first < r.n && !r.items[first].error) first++;
  assert_true(first < r.n);
  assert_non_null(strstr(err_msg(), r.items[first].message));
  bpmn_report_free(&r);
}

static struct bpmn_model *accepted(const char *body, struct bpmn_report *r) {
  struct bpmn_model *m;
  if (compile_text(&m, r, body)) {
    dump(r);
    fail_msg("refused: %s", err_msg());
  }
  return m;
}

static void a_small_process_compiles_to_its_model(void **state) {
  (void)state;
  struct bpmn_report r;
  struct bpmn_model *m = accepted(
      START TASK("qualifier")
      "<bpmn:exclusiveGateway id=\"gw\" default=\"f4\"/>"
      "<bpmn:serviceTask id=\"notifier\"><bpmn:extensionElements><zeebe:taskDefinition type=\"notify\" retries=\"5\"/>"
      "<zeebe:taskHeaders><zeebe:header key=\"modele\" value=\"accuse\"/></zeebe:taskHeaders>"
      "<zeebe:properties><zeebe:property name=\"statut\" value=\"En instruction\"/></zeebe:properties>"
      "</bpmn:extensionElements></bpmn:serviceTask>" END
      "<bpmn:boundaryEvent id=\"relance\" attachedToRef=\"qualifier\" cancelActivity=\"false\">"
      "<bpmn:timerEventDefinition><bpmn:timeCycle>R3/P2D</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
      "<bpmn:serviceTask id=\"rappel\"><bpmn:extensionElements><zeebe:taskDefinition type=\"log\"/></bpmn:extensionElements></bpmn:serviceTask>"
      "<bpmn:endEvent id=\"end2\"/>"
      FLOW("f1", "start", "qualifier") FLOW("f2", "qualifier", "gw")
      "<bpmn:sequenceFlow id=\"f3\" sourceRef=\"gw\" targetRef=\"notifier\"><bpmn:conditionExpression "
      "xsi:type=\"bpmn:tFormalExpression\">= montant &gt; 1000</bpmn:conditionExpression></bpmn:sequenceFlow>"
      FLOW("f4", "gw", "end") FLOW("f5", "notifier", "end") FLOW("f6", "relance", "rappel") FLOW("f7", "rappel", "end2"),
      &r);
  assert_string_equal(m->process_id, "p");
  assert_int_equal(m->n_elements, 8);
  assert_int_equal(m->n_flows, 7);
  int gw = bpmn_find(m, "gw"), n = bpmn_find(m, "notifier"), q = bpmn_find(m, "qualifier"), b = bpmn_find(m, "relance");
  assert_true(gw >= 0 && n >= 0 && q >= 0 && b >= 0);
  assert_int_equal(m->elements[gw].kind, BPMN_EXCLUSIVE);
  assert_int_equal(m->elements[gw].n_outgoing, 2);
  assert_string_equal(m->flows[m->elements[gw].outgoing[0]].id, "f3"); /* XML order */
  assert_string_equal(m->flows[m->elements[gw].default_flow].id, "f4");
  assert_non_null(m->flows[m->elements[gw].outgoing[0]].condition);
  assert_string_equal(m->elements[n].job_type, "notify");
  assert_int_equal(m->elements[n].retries, 5);
  assert_string_equal(bpmn_header(&m->elements[n], "modele"), "accuse");
  assert_string_equal(bpmn_property(&m->elements[n], "statut"), "En instruction");
  assert_null(bpmn_property(&m->elements[n], "autre"));
  assert_string_equal(m->elements[q].candidate_groups, "coordination");
  assert_int_equal(m->elements[q].n_boundaries, 1);
  assert_int_equal(m->elements[b].attached_to, q);
  assert_false(m->elements[b].interrupting);
  assert_int_equal(m->elements[b].timer.kind, TIMER_CYCLE);
  assert_int_equal(m->elements[b].timer.repeat, 3);
  assert_int_equal(bpmn_find(m, "absent"), -1);
  assert_int_equal(r.errors, 0);
  bpmn_free(m);
  bpmn_report_free(&r);
}

static void hostile_xml_is_refused(void **state) {
  (void)state;
  struct bpmn_model *m;
  struct bpmn_report r;
  /* Malformed. */
  const char *bad = "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><bpmn:process";
  assert_int_equal(bpmn_compile(&m, &r, bad, strlen(bad), &any), ERR_INVALID);
  assert_non_null(strstr(r.items[0].message, "XML mal formé"));
  bpmn_report_free(&r);
  /* 10 MiB. */
  size_t big = 10u * 1024 * 1024;
  char *huge = malloc(big);
  memset(huge, ' ', big);
  assert_int_equal(bpmn_compile(&m, &r, huge, big, &any), ERR_TOOLARGE);
  assert_null(m);
  assert_non_null(strstr(err_msg(), "1 Mio"));
  bpmn_report_free(&r);
  free(huge);
  /* Entity bomb and external entity: no DTD is accepted. */
  const char *bomb =
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY e \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
      "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><bpmn:process id=\"p\" "
      "isExecutable=\"true\" name=\"&e;\"/></bpmn:definitions>";
  assert_int_equal(bpmn_compile(&m, &r, bomb, strlen(bomb), &any), ERR_INVALID);
  assert_true(has_error(&r, "", "DOCTYPE"));
  bpmn_report_free(&r);
  const char *external =
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><bpmn:process id=\"p\" "
      "isExecutable=\"true\"><bpmn:documentation>&x;</bpmn:documentation></bpmn:process></bpmn:definitions>";
  assert_int_equal(bpmn_compile(&m, &r, external, strlen(external), &any), ERR_INVALID);
  assert_true(has_error(&r, "", "DOCTYPE"));
  for (int i = 0; i < r.n; i++) assert_null(strstr(r.items[i].message, "root:"));
  bpmn_report_free(&r);
  /* Not BPMN at all. */
  const char *other = "<html><body/></html>";
  assert_int_equal(bpmn_compile(&m, &r, other, strlen(other), &any), ERR_INVALID);
  assert_true(has_error(&r, "", "definitions"));
  bpmn_report_free(&r);
}

static void elements_outside_the_subset_are_refused_with_an_alternative(void **state) {
  (void)state;
  refused(START "<bpmn:task id=\"t\"/>" END FLOW("f1", "start", "t") FLOW("f2", "t", "end"), "t", "userTask");
  refused(START "<bpmn:scriptTask id=\"s\"/>" END FLOW("f1", "start", "s") FLOW("f2", "s", "end"), "s", "serviceTask");
  refused(START "<bpmn:callActivity id=\"c\"/>" END FLOW("f1", "start", "c") FLOW("f2", "c", "end"), "c", "subProcess");
  refused(START "<bpmn:intermediateThrowEvent id=\"x\"/>" END FLOW("f1", "start", "x") FLOW("f2", "x", "end"), "x",
          "notify");
  refused("<bpmn:startEvent id=\"start\"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
          "</bpmn:timerEventDefinition></bpmn:startEvent>" END FLOW("f1", "start", "end"),
          "start", "début");
  refused(START END "<bpmn:boundaryEvent id=\"err\" attachedToRef=\"end\"><bpmn:errorEventDefinition/>"
                    "</bpmn:boundaryEvent>" FLOW("f1", "start", "end"),
          "err", "errorEventDefinition");
  refused(START TASK("t") END FLOW("f1", "start", "t") FLOW("f2", "t", "end")
          "<bpmn:userTask id=\"m\"><bpmn:multiInstanceLoopCharacteristics/></bpmn:userTask>",
          "m", "dispatch");
  refused("<bpmn:subProcess id=\"evt\" triggeredByEvent=\"true\"/>" START END FLOW("f1", "start", "end"), "evt",
          "événement limite");
  /* Another engine's extensions. */
  refused(START "<bpmn:userTask id=\"t\" xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" camunda:assignee=\"x\"/>"
          END FLOW("f1", "start", "t") FLOW("f2", "t", "end"),
          "t", "Camunda 8");
  refused(START "<bpmn:serviceTask id=\"t\"><bpmn:extensionElements><zeebe:taskDefinition type=\"log\"/>"
                "<zeebe:ioMapping/></bpmn:extensionElements></bpmn:serviceTask>" END FLOW("f1", "start", "t")
                    FLOW("f2", "t", "end"),
          "t", "ioMapping");
  refused(START "<bpmn:userTask id=\"t\"><bpmn:extensionElements><zeebe:taskSchedule dueDate=\"x\"/>"
                "</bpmn:extensionElements></bpmn:userTask>" END FLOW("f1", "start", "t") FLOW("f2", "t", "end"),
          "t", "taskSchedule");
}

static void structural_rules(void **state) {
  (void)state;
  /* References resolve. */
  refused(START END FLOW("f1", "start", "nowhere"), "f1", "nowhere");
  /* One start per scope. */
  refused(START "<bpmn:startEvent id=\"start2\"/>" END FLOW("f1", "start", "end") FLOW("f2", "start2", "end"), "p",
          "exactement un");
  /* Reachability. */
  refused(START TASK("orphan") END FLOW("f1", "start", "end") FLOW("f2", "orphan", "end"), "orphan", "inaccessible");
  /* Conditions only after XOR/OR, every split flow conditioned or default, default without condition. */
  refused(START TASK("t") END
          "<bpmn:sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"t\"/>"
          "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"end\"><bpmn:conditionExpression>= ok"
          "</bpmn:conditionExpression></bpmn:sequenceFlow>",
          "f2", "passerelle exclusive");
  refused(START "<bpmn:exclusiveGateway id=\"gw\"/>" END "<bpmn:endEvent id=\"end2\"/>" FLOW("f1", "start", "gw")
              "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"gw\" targetRef=\"end\"><bpmn:conditionExpression>= ok"
              "</bpmn:conditionExpression></bpmn:sequenceFlow>" FLOW("f3", "gw", "end2"),
          "f3", "sans condition");
  refused(START "<bpmn:exclusiveGateway id=\"gw\" default=\"f2\"/>" END "<bpmn:endEvent id=\"end2\"/>"
          FLOW("f1", "start", "gw")
          "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"gw\" targetRef=\"end\"><bpmn:conditionExpression>= ok"
          "</bpmn:conditionExpression></bpmn:sequenceFlow>"
          "<bpmn:sequenceFlow id=\"f3\" sourceRef=\"gw\" targetRef=\"end2\"><bpmn:conditionExpression>= not(ok)"
          "</bpmn:conditionExpression></bpmn:sequenceFlow>",
          "gw", "par défaut");
  refused(START "<bpmn:parallelGateway id=\"gw\"/>" END FLOW("f1", "start", "gw")
              "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"gw\" targetRef=\"end\"><bpmn:conditionExpression>= ok"
              "</bpmn:conditionExpression></bpmn:sequenceFlow>",
          "f2", "parallèle");
  /* A condition that does not parse is refused at publish. */
  refused(START "<bpmn:exclusiveGateway id=\"gw\" default=\"f3\"/>" END "<bpmn:endEvent id=\"end2\"/>"
          FLOW("f1", "start", "gw")
          "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"gw\" targetRef=\"end\"><bpmn:conditionExpression>= a == 1"
          "</bpmn:conditionExpression></bpmn:sequenceFlow>" FLOW("f3", "gw", "end2"),
          "f2", "condition");
  refused(START "<bpmn:exclusiveGateway id=\"gw\" default=\"f3\"/>" END "<bpmn:endEvent id=\"end2\"/>"
          FLOW("f1", "start", "gw")
          "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"gw\" targetRef=\"end\"><bpmn:conditionExpression "
          "language=\"javascript\">a</bpmn:conditionExpression></bpmn:sequenceFlow>" FLOW("f3", "gw", "end2"),
          "f2", "javascript");
  /* Inclusive gateway: one incoming flow. */
  refused(START TASK("a") "<bpmn:inclusiveGateway id=\"gw\"/>" END FLOW("f1", "start", "a") FLOW("f2", "start", "gw")
              FLOW("f3", "a", "gw") FLOW("f4", "gw", "end"),
          "gw", "un flux entrant");
  /* Boundary events: attached to activities, one outgoing flow, no cycle when interrupting. */
  refused(START "<bpmn:exclusiveGateway id=\"gw\"/>" END FLOW("f1", "start", "gw") FLOW("f2", "gw", "end")
          "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"gw\"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H"
          "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>" FLOW("f3", "b", "end"),
          "b", "userTask, serviceTask ou subProcess");
  refused(START TASK("t") END FLOW("f1", "start", "t") FLOW("f2", "t", "end")
          "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"t\"><bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1H"
          "</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>" FLOW("f3", "b", "end"),
          "b", "non interrompant");
  refused(START TASK("t") END FLOW("f1", "start", "t") FLOW("f2", "t", "end")
          "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"t\"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H"
          "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>",
          "b", "exactement un flux sortant");
  refused(START TASK("t") END FLOW("f1", "start", "t") FLOW("f2", "t", "end")
          "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"t\" cancelActivity=\"false\"><bpmn:messageEventDefinition "
          "messageRef=\"m1\"/></bpmn:boundaryEvent>" FLOW("f3", "b", "end"),
          "b", "non interrompant");
  /* Timers: unbounded cycle, zone-less date, cron. */
  refused(START TASK("t") END FLOW("f1", "start", "t") FLOW("f2", "t", "end")
          "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"t\" cancelActivity=\"false\"><bpmn:timerEventDefinition>"
          "<bpmn:timeCycle>R/P1D</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>" FLOW("f3", "b", "end"),
          "b", "R/P1D");
  refused(START "<bpmn:intermediateCatchEvent id=\"w\"><bpmn:timerEventDefinition><bpmn:timeDate>2026-12-01T09:00:00"
                "</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>" END
                    FLOW("f1", "start", "w") FLOW("f2", "w", "end"),
          "w", "minuteur");
  /* Messages must be named and referenced. */
  refused(START "<bpmn:intermediateCatchEvent id=\"w\"><bpmn:messageEventDefinition messageRef=\"nope\"/>"
                "</bpmn:intermediateCatchEvent>" END FLOW("f1", "start", "w") FLOW("f2", "w", "end"),
          "w", "nope");
  /* Flows stay in their scope. */
  refused(START "<bpmn:subProcess id=\"sub\"><bpmn:startEvent id=\"s2\"/><bpmn:endEvent id=\"e2\"/>"
                FLOW("g1", "s2", "e2") "</bpmn:subProcess>" END FLOW("f1", "start", "sub") FLOW("f2", "sub", "end")
                    FLOW("f3", "e2", "end"),
          "f3", "sous-processus");
  /* A service task names a known action. */
  {
    char *xml = definition(START "<bpmn:serviceTask id=\"s\"><bpmn:extensionElements><zeebe:taskDefinition "
                                 "type=\"inconnue\"/></bpmn:extensionElements></bpmn:serviceTask>" END
                                     FLOW("f1", "start", "s") FLOW("f2", "s", "end"));
    struct bpmn_model *m;
    struct bpmn_report r;
    struct bpmn_options none = {NULL, NULL};
    assert_int_equal(bpmn_compile(&m, &r, xml, strlen(xml), &none), 0);
    bpmn_free(m);
    bpmn_report_free(&r);
    struct bpmn_options expected = {"autre", accept_all};
    assert_int_equal(bpmn_compile(&m, &r, xml, strlen(xml), &expected), ERR_INVALID);
    assert_true(has_error(&r, "p", "autre"));
    bpmn_report_free(&r);
    free(xml);
  }
}

static void warnings_do_not_refuse(void **state) {
  (void)state;
  struct bpmn_report r;
  struct bpmn_model *m = accepted(START "<bpmn:userTask id=\"t\"/>"
                                        "<bpmn:textAnnotation id=\"note\"><bpmn:text>x</bpmn:text></bpmn:textAnnotation>" END
                                            FLOW("f1", "start", "t") FLOW("f2", "t", "end"),
                                  &r);
  assert_int_equal(r.errors, 0);
  assert_true(r.warnings >= 2);
  int unassigned = 0, note = 0;
  for (int i = 0; i < r.n; i++) {
    unassigned += strcmp(r.items[i].element, "t") == 0 && strstr(r.items[i].message, "attribution") != NULL;
    note += strcmp(r.items[i].element, "note") == 0;
  }
  assert_int_equal(unassigned, 1);
  assert_int_equal(note, 1);
  bpmn_free(m);
  bpmn_report_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accept_corpus_compiles),
      cmocka_unit_test(reject_corpus_is_refused_naming_the_element),
      cmocka_unit_test(a_small_process_compiles_to_its_model),
      cmocka_unit_test(hostile_xml_is_refused),
      cmocka_unit_test(elements_outside_the_subset_are_refused_with_an_alternative),
      cmocka_unit_test(structural_rules),
      cmocka_unit_test(warnings_do_not_refuse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
