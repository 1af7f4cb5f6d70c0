/* demo — demonstration data set (see demo.h). The catalogue and requests
 * are JSON files in core/demo/, embedded in the binary. */
#include "demo.h"
#include "catalog.h"
#include "clock.h"
#include "db.h"
#include "embed.h"
#include "err.h"
#include "journal.h"
#include "message.h"
#include "progress.h"
#include "request.h"
#include "user.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct embed_file demo_files[];
extern const size_t demo_files_count;

#ifndef APPUI_REFERENTIAL_DIR
#define APPUI_REFERENTIAL_DIR "node_modules/@etalab/decoupage-administratif/data"
#endif

const char *demo_referential_default(void) { return APPUI_REFERENTIAL_DIR; }

const char *demo_rules(size_t *len) {
  const struct embed_file *f = embed_find(demo_files, demo_files_count, "orientation.rules");
  *len = f ? f->size : 0;
  return f ? f->data : NULL;
}

static json_t *load_embedded(const char *name) {
  const struct embed_file *f = embed_find(demo_files, demo_files_count, name);
  return f ? json_loadb(f->data, f->size, 0, NULL) : NULL;
}

static const char *s(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The string members of array `a` as a NULL-terminated vector in `v` (max n). */
static int strings(const char **v, int n, const json_t *a) {
  int k = 0;
  size_t i;
  json_t *x;
  json_array_foreach(a, i, x) if (k < n) v[k++] = json_string_value(x);
  return k;
}

static int done_already(struct db *db, int *yes) {
  int64_t one;
  int rc = db_int_for(&one, db, "SELECT 1 FROM setting WHERE key = ?", "demo.created_at");
  *yes = rc == 0;
  return rc == ERR_NOTFOUND ? 0 : rc;
}

static int add_orgs(struct demo_result *out, struct db *db, const struct user *actor, json_t *cat) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(cat, "orgs"), i, o) {
    int64_t id;
    if (catalog_org_id(&id, db, s(o, "slug"), "slug") == 0) continue;
    json_t *cap = json_object_get(o, "capacity");
    struct catalog_org_new n = {s(o, "slug"), s(o, "name"), s(o, "kind"), s(o, "parent"), s(o, "email"),
                                s(o, "phone"), cap ? (int)json_integer_value(cap) : -1};
    int rc = catalog_org_add(&id, db, actor, &n);
    if (rc) return rc;
    out->orgs++;
  }
  return 0;
}

static int add_offers(struct demo_result *out, struct db *db, const struct user *actor, json_t *cat) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(cat, "offers"), i, o) {
    int64_t id;
    if (catalog_offer_id(&id, db, s(o, "slug"), "slug") == 0) continue;
    const char *themes[16], *audience[4];
    json_t *sla = json_object_get(o, "sla");
    struct catalog_offer_new n = {
        .slug = s(o, "slug"), .org = s(o, "org"), .kind = s(o, "kind"), .title = s(o, "title"),
        .summary = s(o, "summary"), .themes = themes,
        .n_themes = strings(themes, 16, json_object_get(o, "themes")), .audience = audience,
        .n_audience = strings(audience, 4, json_object_get(o, "audience")), .perimeter = s(o, "perimeter"),
        .eligibility = s(o, "eligibility"), .requires_membership = json_is_true(json_object_get(o, "requires_membership")),
        .sla_ack = sla ? (int)json_integer_value(json_array_get(sla, 0)) : -1,
        .sla_take = sla ? (int)json_integer_value(json_array_get(sla, 1)) : -1,
        .sla_resolve = sla ? (int)json_integer_value(json_array_get(sla, 2)) : -1, .process = s(o, "process")};
    int rc = catalog_offer_add(&id, db, actor, &n);
    if (rc) return rc;
    out->offers++;
  }
  return 0;
}

static int add_memberships(struct demo_result *out, struct db *db, const struct user *actor, json_t *cat) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(cat, "memberships"), i, m) {
    int64_t org;
    int rc = catalog_org_id(&org, db, s(m, "org"), "org");
    if (rc) return rc;
    json_t *codes = json_array();
    sqlite3_stmt *st;
    /* Members: communes under a population (of one département when
     * given), or the communes of some EPCI; those already members are
     * skipped. */
    rc = db_prepare(&st, db,
                    "SELECT c.code FROM collectivity c WHERE c.kind = 'commune' "
                    "AND (c.population < ?1 OR c.epci IN (SELECT value FROM json_each(?2))) "
                    "AND (?4 IS NULL OR c.departement = ?4) "
                    "AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.collectivity = c.code AND m.org = ?3) "
                    "ORDER BY c.code");
    if (rc) {
      json_decref(codes);
      return rc;
    }
    json_t *below = json_object_get(m, "population_below");
    sqlite3_bind_int64(st, 1, below ? json_integer_value(below) : -1);
    json_t *list = json_object_get(m, "epcis");
    char *epcis = list ? json_dumps(list, 0) : NULL;
    db_bind_text(st, 2, epcis ? epcis : "[]");
    free(epcis);
    sqlite3_bind_int64(st, 3, org);
    db_bind_text(st, 4, s(m, "departement"));
    while (sqlite3_step(st) == SQLITE_ROW) json_array_append_new(codes, json_string(db_col_text(st, 0)));
    db_done(st);
    size_t k;
    json_t *c;
    json_array_foreach(codes, k, c) {
      int64_t id;
      rc = catalog_membership_add(&id, db, actor, json_string_value(c), s(m, "org"), s(m, "start"), NULL);
      if (rc) break;
      out->memberships++;
    }
    json_decref(codes);
    if (rc) return rc;
  }
  return 0;
}

static void random_password(char out[32]) {
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (int i = 0; i < 18; i++) out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  out[18] = 0;
}

static int add_accounts(struct demo_result *out, struct db *db, const struct user *actor, json_t *cat) {
  size_t i;
  json_t *a;
  if (sodium_init() < 0) return err_set(ERR_INTERNAL, NULL, "libsodium indisponible");
  json_array_foreach(json_object_get(cat, "accounts"), i, a) {
    struct user u;
    if (user_get_by_email(&u, db, s(a, "email")) == 0) continue;
    if (out->n_accounts == DEMO_ACCOUNTS_MAX) break;
    char pw[32];
    random_password(pw);
    struct user_new n = {s(a, "email"), s(a, "name"), s(a, "role"), s(a, "collectivity"), s(a, "org"), pw};
    int64_t id;
    int rc = user_add(&id, db, actor, &n);
    if (rc) return rc;
    snprintf(out->accounts[out->n_accounts].email, sizeof out->accounts[0].email, "%s", n.email);
    snprintf(out->accounts[out->n_accounts].role, sizeof out->accounts[0].role, "%s", n.role);
    snprintf(out->accounts[out->n_accounts].password, sizeof out->accounts[0].password, "%s", pw);
    out->n_accounts++;
  }
  return 0;
}

/* Files the demo requests, their messages, and the "created" mark, in one
 * transaction: all or nothing. */
static int oldest_first(const void *a, const void *b) {
  json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "days_ago"));
  json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "days_ago"));
  return (y > x) - (y < x);
}

static int add_requests(struct demo_result *out, struct db *db, const struct user *actor, json_t *reqs) {
  /* Filed in the order of their filing dates, so references follow time. */
  size_t count = json_array_size(reqs), i;
  json_t **order = calloc(count ? count : 1, sizeof *order);
  if (!order) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  for (i = 0; i < count; i++) order[i] = json_array_get(reqs, i);
  qsort(order, count, sizeof *order, oldest_first);
  int rc = db_begin(db);
  if (rc) {
    free(order);
    return rc;
  }
  int64_t now = clock_now_ms();
  for (i = 0; i < count; i++) {
    json_t *r = order[i];
    const char *themes[8];
    json_t *budget = json_object_get(r, "budget");
    struct request_new n = {s(r, "collectivity"), s(r, "title"), s(r, "description"), themes,
                            strings(themes, 8, json_object_get(r, "themes")), s(r, "offer"),
                            budget ? (int64_t)json_integer_value(budget) * 100 : -1, NULL};
    int64_t at = now - json_integer_value(json_object_get(r, "days_ago")) * 86400000LL;
    int64_t id;
    char ref[REQUEST_REF_SIZE];
    if ((rc = request_file_tx(ref, &id, db, actor, &n, at))) break;
    out->requests++;
    size_t k;
    json_t *m;
    json_array_foreach(json_object_get(r, "messages"), k, m) {
      struct user author;
      if ((rc = user_get_by_email(&author, db, s(m, "from")))) break;
      rc = message_post_tx(NULL, db, &author, id, "public", s(m, "body"), at + (int64_t)(k + 1) * 3600000LL);
      if (rc) break;
    }
    if (rc) break;
  }
  if (!rc) {
    char when[32];
    clock_format(now, when);
    sqlite3_stmt *st;
    if (!(rc = db_prepare(&st, db, "INSERT INTO setting (key, value) VALUES ('demo.created_at', ?)"))) {
      db_bind_text(st, 1, when);
      int step = sqlite3_step(st);
      db_done(st);
      if (step != SQLITE_DONE) rc = db_fail(db, step, "marque de démonstration");
    }
    if (!rc) {
      json_t *data = json_pack("{s:I}", "requests", (json_int_t)out->requests);
      rc = journal_append(db, actor, 0, "demo.created", data);
      json_decref(data);
    }
  }
  free(order);
  if (rc) {
    db_rollback(db);
    out->requests = 0;
    return rc;
  }
  return db_commit(db);
}

int demo_create(struct demo_result *out, struct db *db, const char *referential,
                const struct progress *progress) {
  struct user actor;
  json_t *cat = NULL, *reqs = NULL;
  int rc, already;
  memset(out, 0, sizeof *out);
  user_system(&actor, "démo");
  if ((rc = done_already(db, &already)) || already) return rc;
  cat = load_embedded("catalog.json");
  reqs = load_embedded("requests.json");
  if (!cat || !reqs) {
    rc = err_set(ERR_INTERNAL, NULL, "données de démonstration illisibles");
    goto done;
  }
  const char *deps[8];
  int n = strings(deps, 8, json_object_get(cat, "departements"));
  if ((rc = territory_import(&out->territory, db, &actor, referential ? referential : demo_referential_default(),
                             deps, n, progress)))
    goto done;
  progress_report(progress, "Catalogue", 0, 4);
  if ((rc = add_orgs(out, db, &actor, cat))) goto done;
  if ((rc = add_offers(out, db, &actor, cat))) goto done;
  progress_report(progress, "Catalogue", 1, 4);
  if ((rc = add_memberships(out, db, &actor, cat))) goto done;
  progress_report(progress, "Catalogue", 2, 4);
  if ((rc = add_accounts(out, db, &actor, cat))) goto done;
  progress_report(progress, "Catalogue", 3, 4);
  if ((rc = add_requests(out, db, &actor, reqs))) goto done;
  progress_report(progress, "Catalogue", 4, 4);
  out->created = 1;
done:
  json_decref(cat);
  json_decref(reqs);
  return rc;
}
