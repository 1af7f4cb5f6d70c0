/* store — git repository of process definitions and version registry (see
 * store.h). libgit2 call sequences: shared/workflow-subset.md §9. */
#include "store.h"
#include "action.h"
#include "clock.h"
#include "db.h"
#include "embed.h"
#include "err.h"
#include "journal.h"
#include "rule.h"
#include "text.h"
#include "user.h"
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store {
  git_repository *repo;
};

static int git_fail(const char *what) {
  const git_error *e = git_error_last();
  return err_set(ERR_IO, NULL, "dépôt des circuits, %s : %s", what, e && e->message ? e->message : "erreur inconnue");
}

int store_open(struct store **out, const char *path, int create) {
  *out = NULL;
  struct store *s = calloc(1, sizeof *s);
  if (!s) return err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  git_libgit2_init();
  int rc = git_repository_open_bare(&s->repo, path);
  if (rc == GIT_ENOTFOUND && create) {
    git_repository_init_options o;
    git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    o.initial_head = "main";
    rc = git_repository_init_ext(&s->repo, path, &o);
  }
  if (rc) {
    int code = rc == GIT_ENOTFOUND ? err_set(ERR_NOTFOUND, NULL, "dépôt des circuits absent : %s (lancez « appui init »)", path)
                                   : git_fail("ouverture");
    free(s);
    git_libgit2_shutdown();
    return code;
  }
  *out = s;
  return 0;
}

void store_close(struct store *s) {
  if (!s) return;
  git_repository_free(s->repo);
  free(s);
  git_libgit2_shutdown();
}

static const char *oid_hex(char out[41], const git_oid *oid) {
  git_oid_tostr(out, 41, oid);
  return out;
}

/* Splits "Name <email>" (email required). */
static int parse_author(char *name, size_t nsize, char *email, size_t esize, const char *author) {
  const char *lt = author ? strchr(author, '<') : NULL, *gt = lt ? strchr(lt, '>') : NULL;
  if (!lt || !gt || gt[1] || gt - lt < 4 || lt == author) goto bad;
  size_t n = (size_t)(lt - author);
  while (n && author[n - 1] == ' ') n--;
  if (!n || n >= nsize || (size_t)(gt - lt - 1) >= esize) goto bad;
  memcpy(name, author, n);
  name[n] = 0;
  memcpy(email, lt + 1, (size_t)(gt - lt - 1));
  email[gt - lt - 1] = 0;
  if (!strchr(email, '@')) goto bad;
  return 0;
bad:
  return err_set(ERR_INVALID, "author", "auteur invalide : « %s » (attendu « Prénom Nom <adresse@exemple.fr> »)",
                 author ? author : "");
}

/* Latest registered blob and version number ("" and 0 when none) of the
 * process or ruleset named `name`, read by the one-parameter query `sql`. */
static int latest_of(char blob[41], int *version, struct db *db, const char *sql, const char *name) {
  sqlite3_stmt *st;
  blob[0] = 0;
  *version = 0;
  int rc = db_prepare(&st, db, sql);
  if (rc) return rc;
  db_bind_text(st, 1, name);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    snprintf(blob, 41, "%s", db_col_text(st, 0));
    *version = sqlite3_column_int(st, 1);
  } else if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "lecture des versions");
  }
  db_done(st);
  return rc;
}

static int latest_blob(char blob[41], int *version, struct db *db, const char *process) {
  return latest_of(blob, version, db,
                   "SELECT blob, version FROM process_version WHERE process = ? ORDER BY version DESC LIMIT 1", process);
}

static int latest_rules_blob(char blob[41], int *version, struct db *db, const char *name) {
  return latest_of(blob, version, db,
                   "SELECT blob, version FROM ruleset_version WHERE name = ? ORDER BY version DESC LIMIT 1", name);
}

struct reg {
  struct store_version *v;
  const struct user *actor;
  const char *xml;
  size_t len;
  const char *author;
};

/* Registers a version inside the caller's transaction. */
static int register_tx(struct db *db, void *arg) {
  struct reg *r = arg;
  struct store_version *v = r->v;
  char blob[41];
  int number;
  int rc = latest_blob(blob, &number, db, v->process);
  if (rc) return rc;
  if (strcmp(blob, v->blob) == 0) { /* registered meanwhile */
    v->version = number;
    v->created = 0;
    return 0;
  }
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "INSERT INTO process_version (process, version, blob, commit_id, xml, author, "
                                "published_at) VALUES (?, ?, ?, ?, ?, ?, ?)")))
    return rc;
  db_bind_text(st, 1, v->process);
  sqlite3_bind_int(st, 2, number + 1);
  db_bind_text(st, 3, v->blob);
  db_bind_text(st, 4, v->commit);
  sqlite3_bind_text(st, 5, r->xml, (int)r->len, SQLITE_STATIC);
  db_bind_text(st, 6, r->author);
  sqlite3_bind_int64(st, 7, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement de la version");
  v->id = sqlite3_last_insert_rowid(db_sqlite(db));
  v->version = number + 1;
  v->created = 1;
  json_t *data = json_pack("{s:s, s:i, s:s, s:s, s:s}", "process", v->process, "version", v->version, "blob", v->blob,
                           "commit", v->commit, "author", r->author);
  rc = journal_append(db, r->actor, 0, "workflow.published", data);
  json_decref(data);
  return rc;
}

/* Registers a version of ruleset v->process + 6 ("rules/<name>") inside
 * the caller's transaction. */
static int register_rules_tx(struct db *db, void *arg) {
  struct reg *r = arg;
  struct store_version *v = r->v;
  const char *name = v->process + 6;
  char blob[41];
  int number;
  int rc = latest_rules_blob(blob, &number, db, name);
  if (rc) return rc;
  if (strcmp(blob, v->blob) == 0) {
    v->version = number;
    v->created = 0;
    return 0;
  }
  sqlite3_stmt *st;
  if ((rc = db_prepare(&st, db, "INSERT INTO ruleset_version (name, version, blob, commit_id, text, author, "
                                "published_at) VALUES (?, ?, ?, ?, ?, ?, ?)")))
    return rc;
  db_bind_text(st, 1, name);
  sqlite3_bind_int(st, 2, number + 1);
  db_bind_text(st, 3, v->blob);
  db_bind_text(st, 4, v->commit);
  sqlite3_bind_text(st, 5, r->xml, (int)r->len, SQLITE_STATIC);
  db_bind_text(st, 6, r->author);
  sqlite3_bind_int64(st, 7, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement des règles");
  v->id = sqlite3_last_insert_rowid(db_sqlite(db));
  v->version = number + 1;
  v->created = 1;
  json_t *data = json_pack("{s:s, s:i, s:s, s:s, s:s}", "rules", name, "version", v->version, "blob", v->blob,
                           "commit", v->commit, "author", r->author);
  rc = journal_append(db, r->actor, 0, "rules.published", data);
  json_decref(data);
  return rc;
}

/* Validates a rules file: parses it and checks its orgs. */
static int check_rules(struct rule_error *err, struct db *db, const char *text, size_t len) {
  struct rule_set *rs = NULL;
  int rc = rule_parse(&rs, text, len, err);
  if (!rc) rc = rule_check_orgs(db, rs, err);
  rule_set_free(rs);
  return rc;
}

/* Pins version v with refs/deployed/<process>/v<N>. */
static int pin(struct store *s, const struct store_version *v) {
  char ref[256];
  git_oid oid;
  git_reference *r = NULL;
  snprintf(ref, sizeof ref, "refs/deployed/%s/v%d", v->process, v->version);
  if (git_oid_fromstr(&oid, v->commit) || git_reference_create(&r, s->repo, ref, &oid, 1, "version publiée"))
    return git_fail("référence de version");
  git_reference_free(r);
  return 0;
}

static int version_row(struct store_version *v, struct db *db, const char *process, int number) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT id, blob, commit_id FROM process_version WHERE process = ? AND version = ?");
  if (rc) return rc;
  db_bind_text(st, 1, process);
  sqlite3_bind_int(st, 2, number);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    v->id = sqlite3_column_int64(st, 0);
    snprintf(v->blob, sizeof v->blob, "%s", db_col_text(st, 1));
    snprintf(v->commit, sizeof v->commit, "%s", db_col_text(st, 2));
    v->version = number;
  } else {
    rc = s == SQLITE_DONE ? err_set(ERR_NOTFOUND, "version", "version %d de %s inconnue", number, process)
                          : db_fail(db, s, "lecture d'une version");
  }
  db_done(st);
  return rc;
}

/* Commits blob `blob` at `path` on main (unless main already has it) and
 * writes the commit into `commit`. Returns 0, ERR_CONFLICT if main moved. */
static int commit_file(char commit[41], struct store *s, const char *path, const git_oid *blob,
                       const git_signature *author, const char *message) {
  git_oid tip, tree_oid, commit_oid;
  git_commit *parent = NULL;
  git_tree *ptree = NULL, *tree = NULL;
  git_index *idx = NULL;
  git_signature *committer = NULL;
  git_reference *ref = NULL;
  int rc = 0, has_tip = git_reference_name_to_id(&tip, s->repo, "refs/heads/main") == 0;
  if (has_tip && (git_commit_lookup(&parent, s->repo, &tip) || git_commit_tree(&ptree, parent))) {
    rc = git_fail("lecture de main");
    goto done;
  }
  if (ptree) {
    git_tree_entry *e = NULL;
    if (git_tree_entry_bypath(&e, ptree, path) == 0) {
      int same = git_oid_equal(git_tree_entry_id(e), blob);
      git_tree_entry_free(e);
      if (same) { /* already committed (pushed with git), only to register */
        oid_hex(commit, &tip);
        goto done;
      }
    }
  }
  git_index_entry entry;
  memset(&entry, 0, sizeof entry);
  entry.mode = GIT_FILEMODE_BLOB;
  entry.path = path;
  entry.id = *blob;
  if (git_index_new(&idx) || (ptree && git_index_read_tree(idx, ptree)) || git_index_add(idx, &entry) ||
      git_index_write_tree_to(&tree_oid, idx, s->repo) || git_tree_lookup(&tree, s->repo, &tree_oid) ||
      git_signature_now(&committer, STORE_COMMITTER_NAME, STORE_COMMITTER_EMAIL)) {
    rc = git_fail("préparation du commit");
    goto done;
  }
  const git_commit *parents[1] = {parent};
  if (git_commit_create(&commit_oid, s->repo, NULL, author, committer, "UTF-8", message, tree, parent ? 1 : 0,
                        parents)) {
    rc = git_fail("commit");
    goto done;
  }
  int g = has_tip ? git_reference_create_matching(&ref, s->repo, "refs/heads/main", &commit_oid, 1, &tip, message)
                  : git_reference_create(&ref, s->repo, "refs/heads/main", &commit_oid, 0, message);
  if (g == GIT_EMODIFIED || g == GIT_EEXISTS) {
    rc = err_set(ERR_CONFLICT, NULL, "la branche main a changé pendant la publication : réessayez");
    goto done;
  }
  if (g) {
    rc = git_fail("mise à jour de main");
    goto done;
  }
  oid_hex(commit, &commit_oid);
done:
  git_reference_free(ref);
  git_signature_free(committer);
  git_tree_free(tree);
  git_index_free(idx);
  git_tree_free(ptree);
  git_commit_free(parent);
  return rc;
}

int store_publish(struct store_version *out, struct bpmn_report *report, struct store *s, struct db *db,
                  const struct user *actor, const char *xml, size_t len, const char *author, const char *message) {
  struct bpmn_model *m = NULL;
  git_signature *sig = NULL;
  char name[200], email[200], path[200], msg[400];
  memset(out, 0, sizeof *out);
  memset(report, 0, sizeof *report);
  int rc;
  if (!user_coordinates(actor))
    return err_set(ERR_FORBIDDEN, NULL, "seules l'administration et la coordination publient des circuits");
  if ((rc = parse_author(name, sizeof name, email, sizeof email, author))) return rc;
  struct bpmn_options opt = {NULL, action_known};
  if ((rc = bpmn_compile(&m, report, xml, len, &opt))) return rc;
  snprintf(out->process, sizeof out->process, "%s", m->process_id);
  bpmn_free(m);
  if (strlen(out->process) > 100 || strspn(out->process, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                                        strlen(out->process))
    return err_set(ERR_INVALID, "process", "identifiant de processus « %s » : lettres, chiffres, - _ . seulement (100 au plus)",
                   out->process);
  snprintf(path, sizeof path, "processes/%s.bpmn", out->process);
  git_oid blob;
  if (git_blob_create_from_buffer(&blob, s->repo, xml, len)) return git_fail("écriture du fichier");
  oid_hex(out->blob, &blob);
  char latest[41];
  int number;
  if ((rc = latest_blob(latest, &number, db, out->process))) return rc;
  if (strcmp(latest, out->blob) == 0) /* unchanged: no version */
    return version_row(out, db, out->process, number);
  if (git_signature_now(&sig, name, email)) return git_fail("signature");
  snprintf(msg, sizeof msg, "%s", message && *message ? message : "");
  if (!msg[0]) snprintf(msg, sizeof msg, "Publication de %s", out->process);
  for (int attempt = 0; attempt < 2; attempt++) {
    rc = commit_file(out->commit, s, path, &blob, sig, msg);
    if (rc != ERR_CONFLICT) break;
  }
  git_signature_free(sig);
  if (rc) return rc;
  struct reg r = {out, actor, xml, len, author};
  if ((rc = db_write(db, register_tx, &r))) return rc;
  if (out->created && (rc = pin(s, out))) return rc;
  if (!out->created) rc = version_row(out, db, out->process, out->version);
  return rc;
}

int store_publish_rules(struct store_version *out, struct rule_error *err, struct store *s, struct db *db,
                        const struct user *actor, const char *name, const char *text, size_t len, const char *author,
                        const char *message) {
  git_signature *sig = NULL;
  char aname[200], email[200], path[200], msg[400];
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  int rc;
  if (!user_coordinates(actor))
    return err_set(ERR_FORBIDDEN, NULL, "seules l'administration et la coordination publient des règles");
  if (!name || !text_is_slug(name) || strlen(name) > 100)
    return err_set(ERR_INVALID, "name", "nom de règles « %s » : lettres minuscules, chiffres et - (100 au plus)",
                   name ? name : "");
  if ((rc = parse_author(aname, sizeof aname, email, sizeof email, author))) return rc;
  if ((rc = check_rules(err, db, text, len))) return rc;
  snprintf(out->process, sizeof out->process, "rules/%s", name);
  snprintf(path, sizeof path, "rules/%s.rules", name);
  git_oid blob;
  if (git_blob_create_from_buffer(&blob, s->repo, text, len)) return git_fail("écriture du fichier");
  oid_hex(out->blob, &blob);
  char latest[41];
  int number;
  if ((rc = latest_rules_blob(latest, &number, db, name))) return rc;
  if (strcmp(latest, out->blob) == 0) { /* unchanged: the latest version stands */
    sqlite3_stmt *st;
    if ((rc = db_prepare(&st, db, "SELECT id, commit_id FROM ruleset_version WHERE name = ? AND version = ?"))) return rc;
    db_bind_text(st, 1, name);
    sqlite3_bind_int(st, 2, number);
    if (sqlite3_step(st) == SQLITE_ROW) {
      out->id = sqlite3_column_int64(st, 0);
      snprintf(out->commit, sizeof out->commit, "%s", db_col_text(st, 1));
    }
    db_done(st);
    out->version = number;
    return 0;
  }
  if (git_signature_now(&sig, aname, email)) return git_fail("signature");
  snprintf(msg, sizeof msg, "%s", message && *message ? message : "");
  if (!msg[0]) snprintf(msg, sizeof msg, "Publication des règles %s", name);
  for (int attempt = 0; attempt < 2; attempt++) {
    rc = commit_file(out->commit, s, path, &blob, sig, msg);
    if (rc != ERR_CONFLICT) break;
  }
  git_signature_free(sig);
  if (rc) return rc;
  struct reg r = {out, actor, text, len, author};
  if ((rc = db_write(db, register_rules_tx, &r))) return rc;
  if (out->created) rc = pin(s, out);
  return rc;
}

int store_rules_list(json_t **out, struct db *db, const char *name) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT json_group_array(json_object('name', name, 'version', version, 'blob', blob, "
                               "'commit', commit_id, 'author', author, 'published_at', appui_time(published_at))) "
                               "FROM (SELECT * FROM ruleset_version WHERE ?1 IS NULL OR name = ?1 ORDER BY name, version)");
  if (rc) return rc;
  db_bind_text(st, 1, name);
  *out = sqlite3_step(st) == SQLITE_ROW ? json_loads(db_col_text(st, 0), 0, NULL) : NULL;
  db_done(st);
  return *out ? 0 : err_set(ERR_INTERNAL, NULL, "liste des règles illisible");
}

int store_rules_text(char **out, int *version, struct db *db, const char *name, int number) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT text, version FROM ruleset_version WHERE name = ?1 AND (?2 = 0 OR version = ?2) "
                               "ORDER BY version DESC LIMIT 1");
  if (rc) return rc;
  db_bind_text(st, 1, name);
  sqlite3_bind_int(st, 2, number);
  *out = NULL;
  if (sqlite3_step(st) == SQLITE_ROW) {
    *out = db_col_strdup(st, 0);
    if (version) *version = sqlite3_column_int(st, 1);
  }
  db_done(st);
  if (!*out) return number ? err_set(ERR_NOTFOUND, "version", "version %d des règles « %s » inconnue", number, name)
                           : err_set(ERR_NOTFOUND, "name", "aucune règle « %s » publiée", name);
  return 0;
}

int store_publish_files(int *created, struct store *s, struct db *db, const struct user *actor,
                        const struct embed_file *files, size_t n, const char *author) {
  int rc = 0;
  *created = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    struct store_version v;
    struct bpmn_report r;
    rc = store_publish(&v, &r, s, db, actor, files[i].data, files[i].size, author, NULL);
    if (rc) {
      char why[512];
      snprintf(why, sizeof why, "%s", err_msg());
      err_set(rc, "file", "%s : %s", files[i].name, why);
    } else {
      *created += v.created;
    }
    bpmn_report_free(&r);
  }
  return rc;
}

/* The first-parent commit of main that last changed `path` to `blob`, with
 * its author. Falls back to the tip. */
static void find_origin(git_oid *commit, char *author, size_t size, struct store *s, const char *path,
                        const git_oid *blob, const git_oid *tip) {
  git_revwalk *walk = NULL;
  git_oid oid;
  *commit = *tip;
  snprintf(author, size, "%s <%s>", STORE_COMMITTER_NAME, STORE_COMMITTER_EMAIL);
  if (git_revwalk_new(&walk, s->repo)) return;
  git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
  git_revwalk_push(walk, tip);
  git_revwalk_simplify_first_parent(walk);
  while (git_revwalk_next(&oid, walk) == 0) {
    git_commit *c = NULL, *p = NULL;
    git_tree *t = NULL, *pt = NULL;
    git_tree_entry *e = NULL, *pe = NULL;
    int here = 0, before = 0;
    if (git_commit_lookup(&c, s->repo, &oid) == 0 && git_commit_tree(&t, c) == 0 &&
        git_tree_entry_bypath(&e, t, path) == 0)
      here = git_oid_equal(git_tree_entry_id(e), blob);
    if (here && git_commit_parentcount(c) > 0 && git_commit_parent(&p, c, 0) == 0 && git_commit_tree(&pt, p) == 0 &&
        git_tree_entry_bypath(&pe, pt, path) == 0)
      before = git_oid_equal(git_tree_entry_id(pe), blob);
    if (here && !before) {
      const git_signature *a = git_commit_author(c);
      *commit = oid;
      snprintf(author, size, "%s <%s>", a->name, a->email);
    }
    git_tree_entry_free(e);
    git_tree_entry_free(pe);
    git_tree_free(t);
    git_tree_free(pt);
    git_commit_free(p);
    git_commit_free(c);
    if (here && !before) break;
  }
  git_revwalk_free(walk);
}

struct reject {
  const struct user *actor;
  const char *process, *blob, *commit, *message;
  int recorded;
};

static int reject_tx(struct db *db, void *arg) {
  struct reject *r = arg;
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "INSERT OR IGNORE INTO process_rejection (process, blob, commit_id, message, at) "
                               "VALUES (?, ?, ?, ?, ?)");
  if (rc) return rc;
  db_bind_text(st, 1, r->process);
  db_bind_text(st, 2, r->blob);
  db_bind_text(st, 3, r->commit);
  db_bind_text(st, 4, r->message);
  sqlite3_bind_int64(st, 5, clock_now_ms());
  int s = sqlite3_step(st);
  db_done(st);
  if (s != SQLITE_DONE) return db_fail(db, s, "enregistrement d'un refus");
  r->recorded = sqlite3_changes(db_sqlite(db)) > 0;
  if (!r->recorded) return 0;
  json_t *data = json_pack("{s:s, s:s, s:s, s:s}", "process", r->process, "blob", r->blob, "commit", r->commit,
                           "message", r->message);
  rc = journal_append(db, r->actor, 0, "workflow.rejected", data);
  json_decref(data);
  return rc;
}

/* Takes in a file pushed with git: refused (`why` set), it is recorded
 * once in process_rejection; valid, it is registered by `reg_fn` (a
 * process or a ruleset) and pinned when new. */
static int take_pushed(struct store_reconcile *out, struct store *s, struct db *db, const struct user *actor,
                       const char *key, const char *blob, const char *commit, const char *why, const char *text,
                       size_t size, const char *author, int (*reg_fn)(struct db *, void *)) {
  int rc;
  if (why) {
    struct reject r = {actor, key, blob, commit, why, 0};
    rc = db_write(db, reject_tx, &r);
    out->rejected += r.recorded;
    return rc;
  }
  struct store_version v;
  memset(&v, 0, sizeof v);
  snprintf(v.process, sizeof v.process, "%s", key);
  snprintf(v.blob, sizeof v.blob, "%s", blob);
  snprintf(v.commit, sizeof v.commit, "%s", commit);
  struct reg r = {&v, actor, text, size, author};
  rc = db_write(db, reg_fn, &r);
  if (!rc && v.created) {
    out->versions++;
    rc = pin(s, &v);
  }
  return rc;
}

/* The rules files of `tree` (rules/<name>.rules) pushed with git: a changed
 * valid file becomes a version, an invalid one is recorded once. */
static int reconcile_rules(struct store_reconcile *out, struct store *s, struct db *db, const struct user *actor,
                           git_tree *tree, const git_oid *tip) {
  git_tree_entry *de = NULL;
  git_tree *dir = NULL;
  int rc = 0;
  if (git_tree_entry_bypath(&de, tree, "rules")) return 0;
  if (git_tree_lookup(&dir, s->repo, git_tree_entry_id(de))) {
    rc = git_fail("lecture de rules/");
    goto done;
  }
  for (size_t i = 0; i < git_tree_entrycount(dir) && !rc; i++) {
    const git_tree_entry *e = git_tree_entry_byindex(dir, i);
    const char *file = git_tree_entry_name(e);
    size_t len = strlen(file);
    if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || len <= 6 || len > 106 || strcmp(file + len - 6, ".rules") != 0)
      continue;
    char name[110], key[120], blob[41], latest[41], path[200];
    snprintf(name, sizeof name, "%.*s", (int)(len - 6), file);
    snprintf(key, sizeof key, "rules/%s", name);
    snprintf(path, sizeof path, "rules/%s", file);
    oid_hex(blob, git_tree_entry_id(e));
    int number;
    if ((rc = latest_rules_blob(latest, &number, db, name))) break;
    if (strcmp(latest, blob) == 0) continue;
    sqlite3_stmt *st;
    if ((rc = db_prepare(&st, db, "SELECT 1 FROM process_rejection WHERE process = ? AND blob = ?"))) break;
    db_bind_text(st, 1, key);
    db_bind_text(st, 2, blob);
    int known = sqlite3_step(st) == SQLITE_ROW;
    db_done(st);
    if (known) continue;
    git_blob *b = NULL;
    if (git_blob_lookup(&b, s->repo, git_tree_entry_id(e))) {
      rc = git_fail("lecture d'un fichier");
      break;
    }
    git_oid origin;
    char author[300], commit[41];
    find_origin(&origin, author, sizeof author, s, path, git_tree_entry_id(e), tip);
    oid_hex(commit, &origin);
    const char *text = git_blob_rawcontent(b);
    size_t size = (size_t)git_blob_rawsize(b);
    struct rule_error re;
    char why[512] = "";
    if (!text_is_slug(name)) snprintf(why, sizeof why, "nom de fichier invalide (a-z, 0-9, -)");
    else if (check_rules(&re, db, text, size)) snprintf(why, sizeof why, "%s", err_msg());
    rc = take_pushed(out, s, db, actor, key, blob, commit, *why ? why : NULL, text, size, author, register_rules_tx);
    git_blob_free(b);
  }
done:
  git_tree_entry_free(de);
  git_tree_free(dir);
  return rc;
}

int store_reconcile(struct store_reconcile *out, struct store *s, struct db *db, const struct user *actor) {
  git_oid tip;
  git_commit *c = NULL;
  git_tree *tree = NULL, *dir = NULL;
  git_tree_entry *de = NULL;
  int rc = 0;
  memset(out, 0, sizeof *out);
  if (git_reference_name_to_id(&tip, s->repo, "refs/heads/main")) return 0; /* nothing published */
  if (git_commit_lookup(&c, s->repo, &tip) || git_commit_tree(&tree, c)) {
    rc = git_fail("lecture de main");
    goto done;
  }
  if ((rc = reconcile_rules(out, s, db, actor, tree, &tip))) goto done;
  if (git_tree_entry_bypath(&de, tree, "processes")) goto done;
  if (git_tree_lookup(&dir, s->repo, git_tree_entry_id(de))) {
    rc = git_fail("lecture de processes/");
    goto done;
  }
  for (size_t i = 0; i < git_tree_entrycount(dir) && !rc; i++) {
    const git_tree_entry *e = git_tree_entry_byindex(dir, i);
    const char *file = git_tree_entry_name(e);
    size_t len = strlen(file);
    if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || len <= 5 || len > 120 || strcmp(file + len - 5, ".bpmn") != 0)
      continue;
    char process[128], blob[41], latest[41], path[200];
    snprintf(process, sizeof process, "%.*s", (int)(len - 5), file);
    snprintf(path, sizeof path, "processes/%s", file);
    oid_hex(blob, git_tree_entry_id(e));
    int number;
    if ((rc = latest_blob(latest, &number, db, process))) break;
    if (strcmp(latest, blob) == 0) continue;
    int64_t known;
    sqlite3_stmt *st;
    if ((rc = db_prepare(&st, db, "SELECT 1 FROM process_rejection WHERE process = ? AND blob = ?"))) break;
    db_bind_text(st, 1, process);
    db_bind_text(st, 2, blob);
    known = sqlite3_step(st) == SQLITE_ROW;
    db_done(st);
    if (known) continue;
    git_blob *b = NULL;
    if (git_blob_lookup(&b, s->repo, git_tree_entry_id(e))) {
      rc = git_fail("lecture d'un fichier");
      break;
    }
    git_oid origin;
    char author[300], commit[41];
    find_origin(&origin, author, sizeof author, s, path, git_tree_entry_id(e), &tip);
    oid_hex(commit, &origin);
    struct bpmn_options opt = {process, action_known};
    struct bpmn_model *m = NULL;
    struct bpmn_report report;
    const char *xml = git_blob_rawcontent(b);
    size_t size = (size_t)git_blob_rawsize(b);
    int bad = bpmn_compile(&m, &report, xml, size, &opt);
    bpmn_free(m);
    bpmn_report_free(&report);
    char why[512] = "";
    if (bad) snprintf(why, sizeof why, "%s", err_msg());
    rc = take_pushed(out, s, db, actor, process, blob, commit, bad ? why : NULL, xml, size, author, register_tx);
    git_blob_free(b);
  }
done:
  git_tree_entry_free(de);
  git_tree_free(dir);
  git_tree_free(tree);
  git_commit_free(c);
  return rc;
}

int store_latest(int64_t *id, int *version, struct db *db, const char *process) {
  sqlite3_stmt *st;
  int rc = db_prepare(&st, db, "SELECT id, version FROM process_version WHERE process = ? AND active = 1 "
                               "ORDER BY version DESC LIMIT 1");
  if (rc) return rc;
  db_bind_text(st, 1, process);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    if (version) *version = sqlite3_column_int(st, 1);
  } else {
    rc = s == SQLITE_DONE ? err_set(ERR_NOTFOUND, "process", "aucune version publiée du circuit « %s »", process)
                          : db_fail(db, s, "lecture des versions");
  }
  db_done(st);
  return rc;
}

int store_version_id(int64_t *id, struct db *db, const char *process, int number) {
  if (number == 0) {
    sqlite3_stmt *st;
    int rc = db_prepare(&st, db, "SELECT max(version) FROM process_version WHERE process = ?");
    if (rc) return rc;
    db_bind_text(st, 1, process);
    if (sqlite3_step(st) == SQLITE_ROW) number = sqlite3_column_int(st, 0);
    db_done(st);
    if (!number) return err_set(ERR_NOTFOUND, "process", "circuit inconnu : « %s »", process ? process : "");
  }
  struct store_version v;
  int rc = version_row(&v, db, process, number);
  if (!rc) *id = v.id;
  return rc;
}

int store_xml(char **xml, size_t *len, struct db *db, const char *process, int number) {
  int64_t id;
  sqlite3_stmt *st;
  *xml = NULL;
  *len = 0;
  int rc = store_version_id(&id, db, process, number);
  if (!rc) rc = db_prepare(&st, db, "SELECT xml FROM process_version WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    const char *text = (const char *)sqlite3_column_text(st, 0);
    if (!(*xml = malloc(n + 1))) {
      rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
    } else {
      memcpy(*xml, text ? text : "", n);
      (*xml)[n] = 0;
      *len = n;
    }
  } else {
    rc = s == SQLITE_DONE ? err_set(ERR_NOTFOUND, "version", "version inconnue") : db_fail(db, s, "lecture d'une version");
  }
  db_done(st);
  return rc;
}

int store_model(struct bpmn_model **out, struct db *db, int64_t id) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db, "SELECT xml, process FROM process_version WHERE id = ?");
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, id);
  int s = sqlite3_step(st);
  if (s == SQLITE_ROW) {
    struct bpmn_report report;
    struct bpmn_options opt = {db_col_text(st, 1), action_known};
    rc = bpmn_compile(out, &report, (const char *)sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &opt);
    bpmn_report_free(&report);
  } else {
    rc = s == SQLITE_DONE ? err_set(ERR_NOTFOUND, "version", "version de circuit inconnue : %lld", (long long)id)
                          : db_fail(db, s, "lecture d'une version");
  }
  db_done(st);
  return rc;
}

int store_list(json_t **out, struct db *db, const char *process) {
  sqlite3_stmt *st;
  *out = NULL;
  int rc = db_prepare(&st, db,
                      "SELECT v.process, v.version, v.blob, v.commit_id, v.author, v.published_at, v.active, "
                      "(SELECT count(*) FROM instance i WHERE i.version = v.id AND i.state = 'active') "
                      "FROM process_version v WHERE ?1 IS NULL OR v.process = ?1 ORDER BY v.process, v.version");
  if (rc) return rc;
  db_bind_text(st, 1, process);
  json_t *arr = json_array();
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    char at[32];
    clock_format(sqlite3_column_int64(st, 5), at);
    json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:b, s:I}", "process", db_col_text(st, 0),
                                         "version", sqlite3_column_int(st, 1), "blob", db_col_text(st, 2), "commit",
                                         db_col_text(st, 3), "author", db_col_text(st, 4), "published_at", at,
                                         "active", sqlite3_column_int(st, 6), "instances",
                                         (json_int_t)sqlite3_column_int64(st, 7)));
  }
  if (s != SQLITE_DONE) {
    rc = db_fail(db, s, "liste des versions");
    json_decref(arr);
    arr = NULL;
  }
  db_done(st);
  *out = arr;
  return rc;
}

int store_patch(char **out, struct store *s, struct db *db, const char *process, int v1, int v2) {
  struct store_version a, b;
  git_oid oa, ob;
  git_blob *ba = NULL, *bb = NULL;
  git_patch *patch = NULL;
  git_buf text = GIT_BUF_INIT_CONST(NULL, 0);
  char path[200];
  *out = NULL;
  int rc = version_row(&a, db, process, v1);
  if (!rc) rc = version_row(&b, db, process, v2);
  if (rc) return rc;
  snprintf(path, sizeof path, "processes/%s.bpmn", process);
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  if (git_oid_fromstr(&oa, a.blob) || git_oid_fromstr(&ob, b.blob) || git_blob_lookup(&ba, s->repo, &oa) ||
      git_blob_lookup(&bb, s->repo, &ob) || git_patch_from_blobs(&patch, ba, path, bb, path, &opts) ||
      git_patch_to_buf(&text, patch)) {
    rc = git_fail("diff");
  } else {
    *out = strdup(text.ptr ? text.ptr : "");
    if (!*out) rc = err_set(ERR_NOMEM, NULL, "mémoire insuffisante");
  }
  git_buf_dispose(&text);
  git_patch_free(patch);
  git_blob_free(ba);
  git_blob_free(bb);
  return rc;
}

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* What changed between two versions of one element, as a JSON array. */
static json_t *element_changes(const struct bpmn_model *ma, const struct bpmn_element *a, const struct bpmn_model *mb,
                               const struct bpmn_element *b) {
  json_t *what = json_array();
  if (a->kind != b->kind) json_array_append_new(what, json_string("type"));
  if (!same(a->name, b->name)) json_array_append_new(what, json_string("nom"));
  if (!same(a->assignee, b->assignee) || !same(a->candidate_groups, b->candidate_groups) ||
      !same(a->candidate_users, b->candidate_users))
    json_array_append_new(what, json_string("attribution"));
  if (!same(a->timer_text, b->timer_text)) json_array_append_new(what, json_string("minuteur"));
  if (!same(a->job_type, b->job_type)) json_array_append_new(what, json_string("action"));
  if (!same(a->message, b->message)) json_array_append_new(what, json_string("message"));
  if (!same(bpmn_property(a, "statut"), bpmn_property(b, "statut"))) json_array_append_new(what, json_string("statut"));
  /* Outgoing flows: targets and conditions, by flow id. */
  int flows_changed = a->n_outgoing != b->n_outgoing;
  for (int k = 0; !flows_changed && k < a->n_outgoing; k++) {
    const struct bpmn_flow *fa = &ma->flows[a->outgoing[k]], *fb = &mb->flows[b->outgoing[k]];
    flows_changed = !same(fa->id, fb->id) || !same(fa->condition_text, fb->condition_text) ||
                    !same(ma->elements[fa->target].id, mb->elements[fb->target].id);
  }
  if (flows_changed) json_array_append_new(what, json_string("flux sortants ou conditions"));
  return what;
}

int store_diff(json_t **out, struct db *db, const char *process, int v1, int v2) {
  int64_t ia, ib;
  struct bpmn_model *ma = NULL, *mb = NULL;
  *out = NULL;
  int rc = store_version_id(&ia, db, process, v1);
  if (!rc) rc = store_version_id(&ib, db, process, v2);
  if (!rc) rc = store_model(&ma, db, ia);
  if (!rc) rc = store_model(&mb, db, ib);
  if (rc) goto done;
  json_t *added = json_array(), *removed = json_array(), *changed = json_array(), *waiting = json_object();
  for (int i = 0; i < mb->n_elements; i++)
    if (bpmn_find(ma, mb->elements[i].id) < 0)
      json_array_append_new(added, json_pack("{s:s, s:s}", "id", mb->elements[i].id, "type",
                                             bpmn_kind_name(mb->elements[i].kind)));
  for (int i = 0; i < ma->n_elements; i++) {
    const struct bpmn_element *a = &ma->elements[i];
    int j = bpmn_find(mb, a->id);
    if (j < 0) {
      json_array_append_new(removed, json_pack("{s:s, s:s}", "id", a->id, "type", bpmn_kind_name(a->kind)));
      continue;
    }
    json_t *what = element_changes(ma, a, mb, &mb->elements[j]);
    if (json_array_size(what)) json_array_append_new(changed, json_pack("{s:s, s:o}", "id", a->id, "what", what));
    else json_decref(what);
  }
  /* Running instances of v1 waiting on each element. */
  sqlite3_stmt *st;
  if (!(rc = db_prepare(&st, db, "SELECT t.element, count(*) FROM token t JOIN instance i ON i.id = t.instance "
                                 "WHERE i.version = ? AND i.state = 'active' GROUP BY t.element"))) {
    sqlite3_bind_int64(st, 1, ia);
    while (sqlite3_step(st) == SQLITE_ROW)
      json_object_set_new(waiting, db_col_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
    db_done(st);
  }
  *out = json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:o}", "process", process, "from", v1, "to", v2, "added", added,
                   "removed", removed, "changed", changed, "waiting", waiting);
done:
  bpmn_free(ma);
  bpmn_free(mb);
  return rc;
}
