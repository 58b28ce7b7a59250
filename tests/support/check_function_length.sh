#!/usr/bin/env bash
# No function in libhealth/ or cli/ is longer than 80 lines (CONTRIBUTING.md):
# each does one thing under a name that says it. Lengths come from Universal
# Ctags (the line of the name to the closing brace).
#
# Usage: check_function_length.sh SOURCE_ROOT [LIMIT]   (exit 77: no ctags)
set -euo pipefail
root=$1 limit=${2:-80}
ctags=$(command -v ctags-universal || command -v ctags || true)
if [[ -z "$ctags" ]] || ! "$ctags" --version 2>/dev/null | grep -q Universal; then
  echo "Universal Ctags not found: function lengths are not checked (apt-get install universal-ctags)"
  exit 77
fi
cd "$root"
long=$("$ctags" -R --languages=C++ --kinds-C++=f --fields=+ne -x --_xformat='%{end} %{line} %F %N' \
         libhealth cli | awk -v limit="$limit" '$1 != "" && $1 - $2 + 1 > limit {
           printf "%s:%s %s is %d lines\n", $3, $2, $4, $1 - $2 + 1 }')
if [[ -n "$long" ]]; then
  echo "$long"
  echo "functions over $limit lines: split them into functions that each do one thing"
  exit 1
fi
echo "no function over $limit lines"
