/* bench_durable — the durability check of issue 2 (kill -9 while requests
 * are in flight), as a small libcurl client in two modes:
 *
 *   bench_durable file --url URL --token T [--seconds S] [--concurrency C] --out FILE
 *       files requests (POST /api/v1/requests) as fast as it can on C
 *       keep-alive connections for S seconds, writing to FILE the reference
 *       of every request acknowledged with 201 (as soon as it is
 *       acknowledged). The server is meant to be killed meanwhile; the client
 *       counts the requests lost in flight (sent, no answer) and those
 *       refused afterwards (no server), and keeps trying until S seconds.
 *       Answers other than 201 from a live server are counted apart.
 *   bench_durable verify --url URL --token T --in FILE
 *       reads back every reference of FILE (GET /api/v1/requests/REF) from
 *       the restarted server and counts those missing.
 *
 * Figures go to standard output as KEY=value lines for tests/bench/run.sh;
 * remarks to standard error. Exit status: 0 done (verify: nothing missing),
 * 1 failure or something missing, 2 usage. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_CONC 256

struct opts {
  const char *url, *token, *out, *in;
  double seconds;
  int concurrency;
};

struct slot {
  CURL *h;
  struct curl_slist *headers;
  char body[512];
  char ref[32]; /* from the Location header of a 201 */
  double started; /* when the request was handed to libcurl */
  int busy;
};

/* A failed request is "lost in flight" when it was started before the first
 * failure was seen (it was on the wire when the server died: libcurl may
 * have retried it on a fresh connection, so its error code does not tell),
 * "refused" when started afterwards (no server to talk to). */
struct counts {
  long long sent, acked, refused, lost, other_status;
  double first_failure; /* seconds since start, < 0 before any */
};

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

/* Keeps the last path segment of "Location: /api/v1/requests/2026-000123". */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  struct slot *s = ud;
  size_t len = size * n;
  if (len > 9 && strncasecmp(p, "Location:", 9) == 0) {
    const char *end = p + len, *slash = NULL;
    for (const char *q = p; q < end; q++)
      if (*q == '/') slash = q;
    if (slash) {
      size_t k = 0;
      for (const char *q = slash + 1; q < end && *q != '\r' && *q != '\n' && k + 1 < sizeof s->ref; q++)
        s->ref[k++] = *q;
      s->ref[k] = 0;
    }
  }
  return len;
}

static int slot_init(struct slot *s, const struct opts *o, const char *auth) {
  char url[512];
  s->h = curl_easy_init();
  if (!s->h) return -1;
  snprintf(url, sizeof url, "%s/api/v1/requests", o->url);
  s->headers = curl_slist_append(NULL, auth);
  s->headers = curl_slist_append(s->headers, "Content-Type: application/json");
  s->headers = curl_slist_append(s->headers, "Expect:");
  curl_easy_setopt(s->h, CURLOPT_URL, url);
  curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->headers);
  curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
  curl_easy_setopt(s->h, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
  return 0;
}

static void slot_start(struct slot *s, CURLM *m, long long n) {
  snprintf(s->body, sizeof s->body,
           "{\"title\":\"Mesure de durabilité n° %lld\",\"description\":\"Demande déposée par bench_durable "
           "pendant l'arrêt brutal du serveur (kill -9) : elle doit survivre si elle a été acquittée.\","
           "\"themes\":[\"voirie\",\"commande-publique\"],\"budget\":%lld}",
           n, 1000 + n % 100000);
  s->ref[0] = 0;
  s->started = now_s();
  curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
  curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
  curl_multi_add_handle(m, s->h);
  s->busy = 1;
}

static int run_file(const struct opts *o) {
  char auth[512];
  struct slot slots[MAX_CONC];
  struct counts c = {0, 0, 0, 0, 0, -1};
  FILE *out = fopen(o->out, "w");
  if (!out) {
    perror(o->out);
    return 1;
  }
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
  CURLM *m = curl_multi_init();
  memset(slots, 0, sizeof slots);
  double t0 = now_s(), stop = t0 + o->seconds;
  for (int i = 0; i < o->concurrency; i++) {
    if (slot_init(&slots[i], o, auth)) {
      fprintf(stderr, "bench_durable : curl_easy_init a échoué\n");
      return 1;
    }
    slot_start(&slots[i], m, ++c.sent);
  }
  int running = 1, busy = o->concurrency;
  while (busy > 0) {
    curl_multi_perform(m, &running);
    int pending, failed_now = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &pending))) {
      if (msg->msg != CURLMSG_DONE) continue;
      char *priv = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      struct slot *s = (struct slot *)(void *)priv;
      CURLcode res = msg->data.result;
      curl_multi_remove_handle(m, s->h);
      s->busy = 0;
      busy--;
      long status = 0;
      curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
      if (res == CURLE_OK && status == 201 && s->ref[0]) {
        fprintf(out, "%s\n", s->ref);
        fflush(out);
        c.acked++;
      } else {
        if (c.first_failure < 0) {
          c.first_failure = now_s() - t0;
          fprintf(stderr, "bench_durable : premier échec à %.2f s (%s, statut %ld) ; %d requêtes en vol\n",
                  c.first_failure, curl_easy_strerror(res), status, busy + 1);
        }
        if (res == CURLE_OK) c.other_status++;
        else if (s->started - t0 <= c.first_failure) c.lost++;
        else c.refused++;
        failed_now = 1;
      }
      if (now_s() < stop) {
        slot_start(s, m, ++c.sent);
        busy++;
      }
    }
    if (failed_now) {
      struct timespec ts = {0, 20 * 1000000L}; /* no server: do not spin */
      nanosleep(&ts, NULL);
    } else if (busy > 0) {
      curl_multi_poll(m, NULL, 0, 100, NULL);
    }
  }
  double dt = now_s() - t0;
  for (int i = 0; i < o->concurrency; i++) {
    curl_slist_free_all(slots[i].headers);
    curl_easy_cleanup(slots[i].h);
  }
  curl_multi_cleanup(m);
  fclose(out);
  double ok_time = c.first_failure > 0 ? c.first_failure : dt;
  printf("DURABLE_SENT=%lld\nDURABLE_ACKED=%lld\nDURABLE_LOST_IN_FLIGHT=%lld\nDURABLE_REFUSED=%lld\n"
         "DURABLE_OTHER_STATUS=%lld\nDURABLE_FIRST_FAILURE_S=%.2f\nDURABLE_RATE=%.0f\n",
         c.sent, c.acked, c.lost, c.refused, c.other_status, c.first_failure,
         ok_time > 0 ? (double)c.acked / ok_time : 0);
  return 0;
}

static int run_verify(const struct opts *o) {
  char auth[512], url[512], line[64];
  long long checked = 0, missing = 0, errors = 0;
  FILE *in = fopen(o->in, "r");
  if (!in) {
    perror(o->in);
    return 1;
  }
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
  struct curl_slist *headers = curl_slist_append(NULL, auth);
  CURL *h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  while (fgets(line, sizeof line, in)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    snprintf(url, sizeof url, "%s/api/v1/requests/%s", o->url, line);
    curl_easy_setopt(h, CURLOPT_URL, url);
    CURLcode res = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    checked++;
    if (res == CURLE_OK && status == 200) continue;
    if (res == CURLE_OK && status == 404) {
      if (missing++ < 10) fprintf(stderr, "bench_durable : demande acquittée absente : %s\n", line);
    } else {
      if (errors++ < 10)
        fprintf(stderr, "bench_durable : %s : %s, statut %ld\n", line, curl_easy_strerror(res), status);
    }
  }
  fclose(in);
  curl_easy_cleanup(h);
  curl_slist_free_all(headers);
  printf("DURABLE_CHECKED=%lld\nDURABLE_MISSING=%lld\nDURABLE_VERIFY_ERRORS=%lld\n", checked, missing, errors);
  return missing || errors ? 1 : 0;
}

static int usage(void) {
  fprintf(stderr, "Usage : bench_durable file --url URL --token JETON [--seconds S] [--concurrency C] --out FICHIER\n"
                  "        bench_durable verify --url URL --token JETON --in FICHIER\n");
  return 2;
}

int main(int argc, char **argv) {
  struct opts o = {NULL, NULL, NULL, NULL, 6.0, 16};
  if (argc < 2) return usage();
  int verify = strcmp(argv[1], "verify") == 0;
  if (!verify && strcmp(argv[1], "file") != 0) return usage();
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (strcmp(a, "--url") == 0) o.url = v;
    else if (strcmp(a, "--token") == 0) o.token = v;
    else if (strcmp(a, "--out") == 0) o.out = v;
    else if (strcmp(a, "--in") == 0) o.in = v;
    else if (strcmp(a, "--seconds") == 0) o.seconds = atof(v);
    else if (strcmp(a, "--concurrency") == 0) o.concurrency = atoi(v);
    else return usage();
  }
  if (argc % 2) return usage();
  if (!o.url || !o.token || (verify ? !o.in : !o.out) || o.seconds <= 0 || o.concurrency < 1 ||
      o.concurrency > MAX_CONC)
    return usage();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = verify ? run_verify(&o) : run_file(&o);
  curl_global_cleanup();
  return rc;
}
