#!/usr/bin/env bash
# Fails when a man page has a mandoc lint warning, or a subcommand listed by
# `healthctl --help` has no page (libhealth.3 is the library's).
# Usage: check_man_pages.sh HEALTHCTL MANDIR MANDOC
set -euo pipefail
healthctl=$1 mandir=$2 mandoc=$3
status=0
output=$("$mandoc" -Tlint -Wwarning "$mandir"/*.1 "$mandir"/*.3 2>&1) || true
if [[ -n "$output" ]]; then
  echo "$output"
  status=1
fi
[[ -f "$mandir/healthctl.1" ]] || { echo "missing man/healthctl.1"; status=1; }
grep -q '^\.Sh EXAMPLES' "$mandir/libhealth.3" || { echo "no EXAMPLES section in $mandir/libhealth.3"; status=1; }
commands=$(HOME=/nonexistent "$healthctl" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && !NF {exit}')
[[ -n "$commands" ]] || { echo "no subcommands found in healthctl --help"; status=1; }
for command in $commands; do
  page="$mandir/healthctl-$command.1"
  if [[ ! -f "$page" ]]; then
    echo "missing man page for '$command': $page"
    status=1
  elif ! grep -q '^\.Sh EXAMPLES' "$page"; then
    echo "no EXAMPLES section in $page"
    status=1
  fi
done
exit $status
