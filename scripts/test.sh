#!/usr/bin/env bash
# The test command: installs what is missing, builds, starts a private PostgreSQL and runs
# every test (unit and integration) on both storage backends. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --with-tests
scripts/build.sh -DOFS_WERROR=ON
source scripts/pg_temp.sh
trap pg_temp_stop EXIT
ctest --test-dir "${OFS_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" "$@"
# Each libFuzzer target for a few seconds on its seeds (clang, build-fuzz/): a crash, a
# sanitizer report or a broken invariant fails the run. OFS_FUZZ_SECONDS=0 skips it.
[ "${OFS_FUZZ_SECONDS:-10}" = 0 ] || scripts/fuzz.sh "${OFS_FUZZ_SECONDS:-10}"
