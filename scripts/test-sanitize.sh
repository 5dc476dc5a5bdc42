#!/usr/bin/env bash
# The sanitizer test command: builds everything with ASan+UBSan (Debug, -fno-sanitize-recover)
# into build-asan/, starts a private PostgreSQL and runs every test, unit and integration
# (the C++ and slixmpp suites spawn that build's ofsd), with leak checking on.
# Exits non-zero on a failing test or on any sanitizer report. Arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${OFS_ASAN_BUILD_DIR:-build-asan}
scripts/install-deps.sh --with-tests
OFS_BUILD_DIR=$build_dir scripts/build.sh -DOFS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

# ASan/LSan reports go to files here, so none is lost with a spawned ofsd's temp dir or in a
# child whose exit code nobody checks. GCC's UBSan ignores log_path and writes to stderr (the
# slixmpp harness prints ofsd's log when it exits non-zero).
reports=$PWD/$build_dir/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
# A report exits the process non-zero (ofsd too: the tests assert its exit code at stop).
export ASAN_OPTIONS="detect_stack_use_after_return=1:detect_leaks=1:halt_on_error=1:exitcode=86:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86"
export LSAN_OPTIONS="suppressions=$PWD/tests/support/lsan.supp:print_suppressions=0"

source scripts/pg_temp.sh
trap pg_temp_stop EXIT
status=0
ctest --test-dir "$build_dir" --output-on-failure -j2 "$@" || status=$?

shopt -s nullglob
found=("$reports"/*)
if [ ${#found[@]} -gt 0 ]; then
  for f in "${found[@]}"; do
    echo "===== sanitizer report $f" >&2
    cat "$f" >&2
  done
  echo "test-sanitize: ${#found[@]} sanitizer report(s) in $reports" >&2
  status=1
fi
exit "$status"
