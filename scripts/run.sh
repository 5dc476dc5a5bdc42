#!/usr/bin/env bash
# The run command: installs what is missing, builds, and starts ofsd in the foreground on
# the embedded default (SQLite under ./var, a generated certificate, domain localhost).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/server/ofsd "$@"
