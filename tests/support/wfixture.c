/* wfixture — workflow test fixture (see wfixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wfixture.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "fixture.h"
#include "store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wfixture_open(struct wfixture *w) {
  char git[300];
  snprintf(git, sizeof git, "%s/workflows.git", w->dir);
  user_system(&w->admin, "test");
  if (store_open(&w->store, git, 1) || engine_new(&w->engine, w->db)) {
    fprintf(stderr, "wfixture: %s\n", err_msg());
    return -1;
  }
  return 0;
}

void wfixture_close(struct wfixture *w) {
  engine_free(w->engine);
  store_close(w->store);
  db_close(w->db);
  fixture_rmdir(w->dir);
  w->engine = NULL;
  w->store = NULL;
  w->db = NULL;
}

int64_t wfixture_publish(struct wfixture *w, const char *xml, size_t len) {
  struct store_version v;
  struct bpmn_report r;
  if (store_publish(&v, &r, w->store, w->db, &w->admin, xml, len, "Test <test@appui.example>", NULL)) {
    for (int i = 0; i < r.n; i++)
      fprintf(stderr, "  %s [%s] %s\n", r.items[i].error ? "erreur" : "avertissement", r.items[i].element,
              r.items[i].message);
    fail_msg("publish: %s", err_msg());
  }
  bpmn_report_free(&r);
  return v.id;
}

int64_t wfixture_publish_body(struct wfixture *w, const char *id, const char *body) {
  static const char fmt[] =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
      "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" targetNamespace=\"t\">\n"
      "<bpmn:message id=\"m1\" name=\"pieces\"/><bpmn:message id=\"m2\" name=\"annulation\"/>\n"
      "<bpmn:process id=\"%s\" isExecutable=\"true\">%s</bpmn:process></bpmn:definitions>\n";
  size_t n = sizeof fmt + strlen(id) + strlen(body);
  char *xml = malloc(n);
  assert_non_null(xml);
  snprintf(xml, n, fmt, id, body);
  int64_t v = wfixture_publish(w, xml, strlen(xml));
  free(xml);
  return v;
}
