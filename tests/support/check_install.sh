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
test -f "$work/prefix/share/man/man3/libhealth.3"
# The completion scripts, where bash-completion, zsh and fish look.
grep -q '^complete -F _healthctl healthctl$' "$work/prefix/share/bash-completion/completions/healthctl"
grep -q '^#compdef healthctl$' "$work/prefix/share/zsh/vendor-completions/_healthctl"
grep -q '^complete -c healthctl ' "$work/prefix/share/fish/vendor_completions.d/healthctl.fish"
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
"$work/build/service" "$work/service.db"

# The same consumer built with pkg-config alone, as a Makefile would.
if command -v pkg-config >/dev/null; then
  pc_dir=$(dirname "$(find "$work/prefix" -name libhealth.pc | head -1)")
  test -n "$pc_dir"
  export PKG_CONFIG_PATH=$pc_dir
  test "$(pkg-config --modversion libhealth)" = "$(sed -n 's/^project(healthctl VERSION \([0-9.]*\).*/\1/p' "$consumer/../../CMakeLists.txt")"
  sanitize_flags=()
  [[ -n "$sanitize" ]] && sanitize_flags=(-fsanitize="$sanitize")
  # shellcheck disable=SC2046 # pkg-config prints several words
  c++ -std=c++20 "${sanitize_flags[@]}" "$consumer/main.cpp" -o "$work/pc-consumer" $(pkg-config --cflags --libs libhealth)
  LD_LIBRARY_PATH="$pc_dir/.." "$work/pc-consumer" "$work/pc-health.db"
  # shellcheck disable=SC2046
  c++ -std=c++20 "${sanitize_flags[@]}" "$consumer/service.cpp" -o "$work/pc-service" $(pkg-config --cflags --libs libhealth)
  LD_LIBRARY_PATH="$pc_dir/.." "$work/pc-service" "$work/pc-service.db"
else
  echo "pkg-config not found: the pkg-config consumer is skipped"
fi
