#!/usr/bin/env bash
# The scheduling examples work as shipped: the systemd units pass
# `systemd-analyze verify` without a warning (skipped without systemd), and
# the cron entry's and the service's commands run clean against a fresh
# database with the built healthctl (exit 0, nothing printed).
# Usage: check_schedule.sh HEALTHCTL SOURCE_DIR
set -euo pipefail
healthctl=$(realpath "$1") source=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/healthctl-schedule.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Runs a command line from an example with the built healthctl first in PATH
# and the database in the temp folder; it must succeed silently.
run_example() {
  local what=$1 command=$2 out
  mkdir -p "$work/bin"
  ln -sf "$healthctl" "$work/bin/healthctl"
  command=${command//\/usr\/local\/bin\/healthctl/healthctl}
  if ! out=$(env -i PATH="$work/bin:/usr/bin:/bin" HOME="$work" HEALTH_DB_PATH="$work/$what/health.db" \
             sh -c "$command" 2>&1); then
    echo "$what: '$command' failed: $out"; exit 1
  fi
  if [[ -n "$out" ]]; then echo "$what: '$command' printed: $out"; exit 1; fi
}

# cron: environment lines, then five time fields, a user and the command.
cron=$source/scripts/cron/healthctl
jobs=0
while read -r line; do
  [[ -z "$line" || "$line" == \#* || "$line" =~ ^[A-Z_]+= ]] && continue
  read -r minute hour day month weekday user command <<<"$line"
  for field in "$minute" "$hour" "$day" "$month" "$weekday"; do
    [[ "$field" =~ ^[0-9*/,-]+$ ]] || { echo "cron: bad time field '$field' in: $line"; exit 1; }
  done
  [[ -n "$user" && -n "$command" ]] || { echo "cron: no user or command in: $line"; exit 1; }
  run_example cron "$command"
  jobs=$((jobs + 1))
done <"$cron"
[[ $jobs -gt 0 ]] || { echo "cron: no job in $cron"; exit 1; }

# systemd: the services' commands, then the units verified offline.
for service in "$source"/scripts/systemd/healthctl-{maintain,collect,probe}.service; do
  exec_start=$(sed -n 's/^ExecStart=//p' "$service")
  run_example systemd "$exec_start"
done
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not found: the units are not verified"
  exit 0
fi
mkdir -p "$work/units" "$work/man/man1"
cp "$source"/scripts/systemd/healthctl-{maintain,collect,probe,serve}.* "$work/units/"
sed -i "s#/usr/local/bin/healthctl#$healthctl#" "$work/units/healthctl-maintain.service" \
  "$work/units/healthctl-collect.service" "$work/units/healthctl-probe.service" \
  "$work/units/healthctl-serve.service"
cp "$source"/man/*.1 "$work/man/man1/" # Documentation=man:... must resolve
if ! report=$(MANPATH=$work/man systemd-analyze verify "$work"/units/healthctl-{maintain.timer,maintain.service,collect.timer,collect.service,probe.timer,probe.service,serve.service} 2>&1) ||
   [[ -n "$report" ]]; then
  echo "systemd-analyze verify: $report"; exit 1
fi
echo "cron: $jobs job(s) ran; systemd: units verified, service commands ran"
