#!/usr/bin/env bash
# Fails when a Catch2 test name holds ';' or '[': CTest reads discovered names
# as a CMake list, so such a name merges or hides test cases.
set -euo pipefail
status=0
for binary in "$@"; do
  while IFS= read -r name; do
    echo "$(basename "$binary"): test name with ';' or '[': $name" >&2
    status=1
  done < <("$binary" --list-test-names-only | grep '[;[]' || true)
done
exit $status
