#!/usr/bin/env bash
# pages.sh — the page benchmarks of issue 5 on the national database made by
# run.sh (1,000,000 requests), run by `make bench` after run.sh:
#   (a) the board page GET /tableau as HTML, coordinator's session, no
#       filter (counts per status and the first page of the list);
#   (b) the same page filtered on a theme (tableau?theme=voirie);
#   (c) request pages GET /demandes/{ref} as HTML, references drawn at
#       random from the generated set, coordinator's session.
# The session is opened through the login form, like a browser (the bench
# coordinator gets a password first). Prints req/s and p50/p95/p99 with the
# targets (board p95 ≤ 50 ms; request page ≥ 5,000 pages/s), the CPU time
# stolen by the host during each run, and the exact commands. Figures only: exit status 1 when something breaks, never for a
# missed target.
#
# Usage: tests/bench/pages.sh BUILD_DIR
# Environment: APPUI_BENCH_DIR (default /tmp/appui-bench), APPUI_BENCH_PORT
# (default 18081), APPUI_BENCH_DURATION (default 10s), APPUI_BENCH_CONNS
# (default 32). Only 127.0.0.1 is bound.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "Usage : tests/bench/pages.sh BUILD_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_DIR=${APPUI_BENCH_DIR:-/tmp/appui-bench}
PORT=${APPUI_BENCH_PORT:-18081}
DURATION=${APPUI_BENCH_DURATION:-10s}
CONNS=${APPUI_BENCH_CONNS:-32}
DATA=$BENCH_DIR/data
URL=http://127.0.0.1:$PORT
APPUI=$BUILD/appui
LOG=$BENCH_DIR/logs
COORD=coordination@bench.appui.example

# shellcheck source=cpu.sh
. "$HERE/cpu.sh"

say() { printf '%s\n' "$*" >&2; }
die() { say "pages.sh : $*"; exit 1; }

command -v wrk >/dev/null || die "wrk introuvable (make bench l'installe)"
[ -f "$BENCH_DIR/gen.env" ] && [ -f "$DATA/appui.db" ] || die "base de mesure absente : lancez d'abord tests/bench/run.sh $BUILD"
# shellcheck disable=SC1090
BENCH_REFS=$(sed -n 's/^BENCH_REFS=//p' "$BENCH_DIR/gen.env")
[ -n "$BENCH_REFS" ] || die "BENCH_REFS absent de $BENCH_DIR/gen.env"
mkdir -p "$LOG"

SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# A password for the bench coordinator (random, this run only).
PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
printf '%s\n' "$PASSWORD" | "$APPUI" --data "$DATA" user password --email "$COORD" >/dev/null ||
  die "mot de passe du coordinateur de mesure : échec"

"$APPUI" --data "$DATA" serve --listen "127.0.0.1:$PORT" >"$LOG/pages-serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "$URL/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$URL/healthz" >/dev/null || die "le serveur ne répond pas (voir $LOG/pages-serve.log)"

# Login through the form: the login token (cookie appui_pre + field csrf), then the session cookie.
JAR=$BENCH_DIR/pages.cookies
rm -f "$JAR"
PRE=$(curl -sf -c "$JAR" "$URL/connexion" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}')
[ -n "$PRE" ] || die "formulaire de connexion sans jeton"
curl -sf -o /dev/null -b "$JAR" -c "$JAR" --data-urlencode "csrf=$PRE" --data-urlencode "email=$COORD" \
  --data-urlencode "password=$PASSWORD" "$URL/connexion" || die "connexion refusée"
COOKIE=$(awk '$6 == "appui_session" {print $7}' "$JAR")
[ -n "$COOKIE" ] || die "pas de cookie de session après la connexion"
rm -f "$JAR"

page_check() { # PATH: one page must answer 200 HTML
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: appui_session=$COOKIE" "$URL$1")
  [ "$code" = 200 ] || die "GET $1 : $code au lieu de 200"
}
page_check /tableau
page_check "/tableau?theme=voirie"
page_check "/demandes/2024-000001"

# run NAME PATH [REFS]: a warm-up then one counted wrk run; figures into NAME_* variables.
run() {
  local name=$1 path=$2 refs=${3:-}
  wrk -t2 -c"$CONNS" -d3s -s "$HERE/pages.lua" "$URL" -- "$COOKIE" "$path" $refs >/dev/null 2>&1 || true
  local before
  before=$(cpu_snap)
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$HERE/pages.lua" "$URL" -- "$COOKIE" "$path" $refs \
    >"$LOG/pages-$name.txt" 2>&1 || die "wrk a échoué (voir $LOG/pages-$name.txt)"
  printf -v "${name}_STEAL" '%s' "$(steal_pct "$before" "$(cpu_snap)")"
  while IFS='=' read -r k v; do
    case $k in WRK_*) printf -v "${name}_${k#WRK_}" '%s' "$v" ;; esac
  done <"$LOG/pages-$name.txt"
}

say "== (a) GET /tableau"
run A /tableau
say "== (b) GET /tableau?theme=voirie"
run B "/tableau?theme=voirie"
say "== (c) GET /demandes/{ref}"
run C "/demandes/@REF@" "$BENCH_REFS"

verdict() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? (a <= b) : (a >= b); print ok ? "atteint" : "NON atteint" }'; }
cat <<REPORT
==================== Mesures issue 5 ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cœurs, wrk sur les mêmes cœurs, $CONNS connexions) ====================
(a) tableau de bord (HTML, sans filtre)   : $A_RPS pages/s, p50 $A_P50_MS ms, p95 $A_P95_MS ms, p99 $A_P99_MS ms, non-2xx $A_NON2XX, erreurs $A_SOCKET_ERRORS, vol $A_STEAL %
    objectif p95 ≤ 50 ms : $(verdict "$A_P95_MS" "<=" 50)
(b) tableau de bord filtré (voirie)       : $B_RPS pages/s, p50 $B_P50_MS ms, p95 $B_P95_MS ms, p99 $B_P99_MS ms, non-2xx $B_NON2XX, erreurs $B_SOCKET_ERRORS, vol $B_STEAL %
    objectif p95 ≤ 50 ms : $(verdict "$B_P95_MS" "<=" 50)
(c) page d'une demande (HTML, au hasard)  : $C_RPS pages/s, p50 $C_P50_MS ms, p95 $C_P95_MS ms, p99 $C_P99_MS ms, non-2xx $C_NON2XX, erreurs $C_SOCKET_ERRORS, vol $C_STEAL %
    objectif ≥ 5 000 pages/s : $(verdict "$C_RPS" ">=" 5000)
Commandes :
  wrk -t2 -c$CONNS -d$DURATION --latency -s $HERE/pages.lua $URL -- \$COOKIE /tableau
  wrk -t2 -c$CONNS -d$DURATION --latency -s $HERE/pages.lua $URL -- \$COOKIE '/tableau?theme=voirie'
  wrk -t2 -c$CONNS -d$DURATION --latency -s $HERE/pages.lua $URL -- \$COOKIE '/demandes/@REF@' \$BENCH_REFS
REPORT
[ "$A_NON2XX$B_NON2XX$C_NON2XX" = 000 ] || die "des pages n'ont pas répondu 2xx"
