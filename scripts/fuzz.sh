#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang++) in build-fuzz/ and runs each for N seconds.
# Exits non-zero if any target finds a crash, leak, sanitizer report or timeout.
#   scripts/fuzz.sh            10 s per target
#   scripts/fuzz.sh 600        a long run
#   scripts/fuzz.sh 60 jid_fuzz
# New inputs go to build-fuzz/corpus/<target>/ (the seeds in tests/fuzz/corpus/ stay as they
# are); findings go to build-fuzz/artifacts/. Reproduce one: build-fuzz/<target> <file>
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(stream_parser_fuzz jid_fuzz route_table_fuzz)
build=${OFS_FUZZ_BUILD_DIR:-$root/build-fuzz}

cmake -S "$root/tests/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"

failed=()
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  mkdir -p "$corpus" "$build/artifacts"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$target-")
  [ -f "$root/tests/fuzz/$target.dict" ] && args+=(-dict="$root/tests/fuzz/$target.dict")
  echo "== $target: ${seconds}s"
  if ! "$build/$target" "${args[@]}" "$corpus" "$root/tests/fuzz/corpus/$target"; then
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}; see $build/artifacts/" >&2
  exit 1
fi
echo "fuzz: no findings"
