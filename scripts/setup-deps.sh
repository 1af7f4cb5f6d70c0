#!/usr/bin/env bash
# Installs the Debian 12 packages appui needs to build and test, skipping
# those already installed. Uses sudo when not run as root. Debian's chromium
# is the browser of the browser tests (tests/browser/): no browser is ever
# downloaded by playwright.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev git
  libsqlite3-dev libjansson-dev libsodium-dev libmicrohttpd-dev libcurl4-openssl-dev
  libxml2-dev libgit2-dev libcmocka-dev libxlsxwriter-dev unzip
  chromium
)
# Extra packages asked by the caller (e.g. wrk for `make bench`).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js and npm: any installation will do (Debian's packages otherwise).
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installation des paquets manquants : ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "appui : paquets manquants (${missing[*]}) et ni root ni sudo : installez-les puis relancez." >&2
    exit 1
  fi
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
