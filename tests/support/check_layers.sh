#!/usr/bin/env bash
# The dependency rule of ARCHITECTURE.md, checked: libhealth/src is split into
# module folders whose order below is the rule, and a file may include only
# its own folder and the folders above it. A public header <health/X.hpp>
# belongs to the folder named X, else to the folder that holds X.cpp. Also: only store/ calls sqlite3_*,
# and cli/ includes public headers only.
#
# Usage: check_layers.sh SOURCE_ROOT    (prints every violation; exit 1 if any)
set -euo pipefail
root=$1
modules=(base model store record monitor read issues lifecycle analysis render jobs net)
src=$root/libhealth/src
include=$root/libhealth/include/health

rank() { # the position of module $1 in the order, or nothing
  local i
  for i in "${!modules[@]}"; do [[ "${modules[$i]}" == "$1" ]] && echo "$i" && return; done
}

header_module() { # the module of public header $1 (without .hpp)
  local found
  case $1 in error | progress) echo base; return ;; esac # header-only, of base
  [[ -d "$src/$1" ]] && { echo "$1"; return; } # <health/render.hpp> is render/'s
  found=$(find "$src" -mindepth 2 -maxdepth 2 -name "$1.cpp" -printf '%h\n')
  [[ -n "$found" ]] && basename "$(head -1 <<<"$found")"
}

failures=0
fail() { echo "$1"; failures=$((failures + 1)); }

# A public header's module must be unambiguous: one X.cpp in all of src.
while IFS= read -r name; do
  fail "libhealth/src: $name.cpp in more than one folder, so <health/$name.hpp> has no one module"
done < <(find "$src" -mindepth 2 -maxdepth 2 -name '*.cpp' -printf '%f\n' | sort | uniq -d | sed 's/\.cpp$//')

# A file of module $2 at path $1: every include must rank at or above it.
check_file() {
  local file=$1 module=$2 mine target line name
  mine=$(rank "$module")
  while IFS= read -r line; do
    if [[ $line =~ ^#include\ \<health/([a-z_0-9]+)\.hpp\> ]]; then
      name=${BASH_REMATCH[1]}
      target=$(header_module "$name" || true)
      if [[ -z "$target" ]]; then fail "$file: <health/$name.hpp> has no module (no $name.cpp)"; continue; fi
    elif [[ $line =~ ^#include\ \"([a-z_0-9]+)/ ]]; then
      target=${BASH_REMATCH[1]}
    else
      continue
    fi
    [[ -z "$(rank "$target")" ]] && { fail "$file: includes unknown folder '$target'"; continue; }
    (( $(rank "$target") <= mine )) || fail "$file ($module) includes ${line#\#include } ($target), a folder below it"
  done < <(grep -E '^#include' "$file")
}

for dir in "$src"/*/; do
  module=$(basename "$dir")
  [[ -z "$(rank "$module")" ]] && { fail "libhealth/src/$module: a folder not in the dependency order"; continue; }
  for file in "$dir"*.cpp "$dir"*.hpp; do
    [[ -e "$file" ]] && check_file "$file" "$module"
  done
done
for file in "$include"/*.hpp; do
  name=$(basename "$file" .hpp)
  module=$(header_module "$name" || true)
  if [[ -z "$module" ]]; then fail "$file: a public header with no module (no $name.cpp)"; continue; fi
  check_file "$file" "$module"
done

while IFS= read -r hit; do
  fail "$hit: sqlite3_ outside store/"
done < <(grep -rn 'sqlite3_\|<sqlite3.h>' "$src" "$include" --include='*.cpp' --include='*.hpp' |
         grep -v "^$src/store/" | grep -v 'struct sqlite3;' || true)
while IFS= read -r hit; do
  fail "$hit: cli/ includes private library code or SQLite"
done < <(grep -rnE '^#include (<sqlite3.h>|"(base|model|store|record|read|issues|lifecycle|analysis|render|jobs)/)' \
         "$root/cli" || true)

if (( failures > 0 )); then
  echo "$failures violation(s) of the dependency rule (see ARCHITECTURE.md)"
  exit 1
fi
echo "dependency rule holds: ${modules[*]}"
