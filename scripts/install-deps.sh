#!/usr/bin/env bash
# Installs the Debian 12 packages OFS needs to build, run and test. Safe to run again:
# it only installs what is missing, and never upgrades what is there.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache
  libboost1.81-dev libexpat1-dev libssl-dev libsqlite3-dev libpq-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev libidn11-dev prometheus-cpp-dev
  libsystemd-dev  # sd_notify: readiness for Type=notify units
  libjemalloc-dev  # ofsd's allocator
  libxml2-dev  # XCAP: parsing without DTDs, XML Schema validation
  libcairo2-dev libpango1.0-dev  # status images: cairo drawing, pango text shaping and fallback
  fonts-dejavu-core fonts-noto-core fonts-wqy-microhei  # Latin, Greek, Cyrillic, Arabic; Chinese, Japanese, Korean
)
test_packages=(
  libgtest-dev libgmock-dev postgresql-15 python3 python3-slixmpp
  profanity tmux  # a real desktop client, typed into through tmux
  clang libclang-rt-14-dev  # the libFuzzer targets (clang++ -fsanitize=fuzzer and its runtime)
  python3-pil  # decodes the status images' PNGs in the integration tests
  chromium  # converse.js runs in it, headless, through npm's playwright-core (no browser download)
)

wanted=("${packages[@]}")
[ "${1:-}" = "--with-tests" ] && wanted+=("${test_packages[@]}")
# The web client tests run @xmpp/client and stanza on Node: Debian's nodejs and npm, unless
# a Node with its npm is already there (a nodejs package from elsewhere bundles npm and
# conflicts with Debian's).
if [ "${1:-}" = "--with-tests" ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  wanted+=(nodejs npm)
fi

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: these packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" >/dev/null
