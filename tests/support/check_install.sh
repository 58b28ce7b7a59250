#!/usr/bin/env bash
# Installs the build into a temp prefix, then configures, builds and runs the
# consumer project against it.
# Usage: check_install.sh BUILD_DIR CONSUMER_DIR CMAKE [SANITIZERS]
set -euo pipefail
build=$1 consumer=$2 cmake=$3 sanitize=${4:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/healthctl-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/healthctl"
test -f "$work/prefix/share/man/man1/healthctl.1"
test -f "$work/prefix/include/health/store.hpp"
if grep -rl 'CLI/\|sqlite3.h' "$work/prefix/include/health" >/dev/null; then
  echo "public headers include CLI11 or sqlite3.h"; exit 1
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
flags=()
[[ -n "$sanitize" ]] && flags=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize")
"$cmake" -S "$consumer" -B "$work/build" "${generator[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" "${flags[@]}" >/dev/null
"$cmake" --build "$work/build" >/dev/null
"$work/build/consumer" "$work/health.db"
