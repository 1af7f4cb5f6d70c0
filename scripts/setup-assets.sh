#!/usr/bin/env bash
# Installs the npm packages of the committed lockfile (front-end assets and
# the territorial referential) when node_modules is missing or older than
# the lockfile. Nothing from the registry is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
  exit 0
fi
echo "Installation des paquets npm (package-lock.json)…"
npm ci --no-audit --no-fund --loglevel=error
touch "$stamp"
