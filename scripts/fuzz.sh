#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a given time each, one after the other.
#   scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
# The seeds in tests/fuzz/corpus/<name>/ are read, never written; what the fuzzer learns
# goes to BUILD_DIR/fuzz-corpus/<name>/ and is reused by the next run. A crashing input is
# kept in BUILD_DIR/fuzz-artifacts/<name>/ and makes the script fail.
set -euo pipefail

build=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(config truth api_body mjpeg); fi
repo=$(cd "$(dirname "$0")/.." && pwd)

failed=()
for name in "${targets[@]}"; do
  fuzzer="$build/tests/fuzz/fuzz_$name"
  if [ ! -x "$fuzzer" ]; then
    echo "fuzz: no $fuzzer (build the 'fuzzers' target of a -DVIGIE_FUZZ=ON build)" >&2
    exit 2
  fi
  corpus="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name/"
  mkdir -p "$corpus" "$artifacts"
  log="$build/fuzz-$name.log"
  echo "fuzz: $name for ${seconds} s (log: $log)"
  # -rss_limit_mb: the parsers must not need more than this for any input.
  if "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
       -print_final_stats=1 -artifact_prefix="$artifacts" \
       "$corpus" "$repo/tests/fuzz/corpus/$name" >"$log" 2>&1; then
    runs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $name: ${runs:-?} inputs, no crash"
  else
    echo "fuzz: $name FAILED; the input is in $artifacts, the report at the end of $log" >&2
    tail -n 30 "$log" >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}" >&2
  exit 1
fi
