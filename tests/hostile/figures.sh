#!/usr/bin/env bash
# The hostile suite's total: sums the figures each part wrote to DIR (one
# file per part: "cases=N signals=N ...") and prints one line. With --reset,
# empties DIR first, so a run reports its own parts only.
set -euo pipefail
if [[ "${1:-}" == "--reset" ]]; then
  rm -rf "$2"
  mkdir -p "$2"
  exit 0
fi
dir=$1
shopt -s nullglob
files=("$dir"/*.txt)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "hostile: no figures in $dir (run the hostile tests first)" >&2
  exit 1
fi
cat "${files[@]}" | tr ' ' '\n' | awk -F= -v parts=${#files[@]} '
  NF == 2 { sum[$1] += $2 }
  END {
    line = sprintf("hostile: %d cases, %d signals, %d hangs, %d files changed on failure, %d contract breaks, %d kills survived of %d",
                   sum["cases"], sum["signals"], sum["hangs"], sum["files_changed"], sum["breaks"],
                   sum["kills_survived"], sum["kills"])
    if (sum["temp_files"] > 0) line = line sprintf(", %d backup temp files left (documented)", sum["temp_files"])
    if (sum["known_bugs"] > 0) line = line sprintf(", %d cases on known bugs", sum["known_bugs"])
    print line " (" parts " parts)"
    bad = sum["signals"] + sum["hangs"] + sum["files_changed"] + sum["breaks"] + sum["kills"] - sum["kills_survived"]
    exit bad > 0 ? 1 : 0
  }'
