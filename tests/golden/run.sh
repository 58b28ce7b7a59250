#!/usr/bin/env bash
# The golden transcript: every command's output over one fixed database,
# byte for byte. A fixed clock (faketime) and a seeded scenario make the
# database and every line printed the same on every run, so any change in
# what a user sees shows up as a diff against tests/golden/transcript.txt.
#
#   run.sh HEALTHCTL MAKE_SCENARIO TRANSCRIPT          compare (exit 1 on a diff)
#   run.sh HEALTHCTL MAKE_SCENARIO TRANSCRIPT --update write the transcript anew
#
# Exits 77 (skipped) when faketime is not installed.
set -euo pipefail

healthctl=$(realpath "$1") make_scenario=$(realpath "$2") transcript=$(realpath -m "$3") mode=${4:-}
if ! command -v faketime >/dev/null; then
  echo "faketime not found: the golden transcript is skipped (apt-get install faketime)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A scrubbed environment, a fixed clock that does not stand still (busy
# handlers and timeouts read the monotonic clock, which stays real) and
# one time zone.
clean_env=(env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8 TZ=UTC
           HEALTH_DB_PATH="$work/health.db" HEALTH_NODE_NAME=golden-node USER=golden
           FAKETIME_DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS=verify_asan_link_order=0)
clock="2026-03-02 12:00:00"

out=$work/transcript.txt
: >"$out"
# Runs one healthctl command at the fixed clock and appends what it printed.
h() {
  local stdout stderr code
  {
    printf '$ healthctl'
    printf ' %q' "$@"
    printf '\n'
  } | sed "s#$work#<WORK>#g" >>"$out"
  set +e
  "${clean_env[@]}" faketime -f "$clock" "$healthctl" "$@" <"${stdin:-/dev/null}" >"$work/stdout" 2>"$work/stderr"
  code=$?
  set -e
  # stdout, then a [stderr] line and stderr when there is any; durations
  # measured by the command (lock times, elapsed) and the database's random
  # identity vary between runs.
  cat "$work/stdout" >"$work/joined"
  if [[ -s "$work/stderr" ]]; then
    printf '[stderr]\n' >>"$work/joined"
    cat "$work/stderr" >>"$work/joined"
  fi
  sed -E -e "s#$work#<WORK>#g" \
         -e 's/(longest (write )?lock|took|elapsed|duration_ms|longest_lock_ms)([":= ]+)[0-9.]+( ?ms)?/\1\3<N>\4/g' \
         -e 's/\([0-9]+ ms\)/(<N> ms)/g' \
         -e 's/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/<DATABASE-ID>/g' \
         "$work/joined" >>"$out"
  printf '[exit %d]\n\n' "$code" >>"$out"
}

# --- the fixed database --------------------------------------------------
"${clean_env[@]}" faketime -f "$clock" "$make_scenario" all 7 >"$work/week.csv"
h init
stdin=$work/week.csv h ingest --format csv
h record webserver requests
h record webserver requests 3 -l route=/api
h record webserver response_ms 41.7 -t timer -l route=/api
h record database query_ms 12.5 -t timer --context '{"query":"select_user"}'
h record database connections 17 -t gauge
h record system disk_used 71.4 -t gauge --unit percent
h record backup duration_s 93 -t timer --unit s --at -10m
h record api latency_ms 80 -t timer -l route=/api -l code=200 --at -3h
h record api latency_ms 95 -t timer -l route=/api -l code=200 --at -2h
h record api latency_ms 90 -t timer -l route=/api -l code=200 --at -1h
printf '{"ts":"-%dm","component":"system","name":"load1","type":"gauge","value":0.%d}\n' \
  1 41 2 42 3 43 >"$work/batch.ndjson"
h ingest --format ndjson "$work/batch.ndjson"
h threshold set database query_ms --agg p95 --window 10m --warn 20 --crit 100 --description "query latency"
h threshold set system disk_used --warn 70 --crit 90 --window 1h --agg last
h threshold set webserver requests --agg rate --window 1h --warn 1000 --for 5m
h threshold set api latency_ms --agg p95 --window 1h --warn 150 --crit 1000
h threshold set app memory_bytes --agg last --window 1h --warn 250000000 --crit 280000000
h threshold set api errors --agg rate --window 1h --warn 0.05 --crit 1
h check
h check --format json
h issue report app deploy --severity warning --reason "slow deploy" --value 12 --threshold 10 --by ops
h issue ack 1 --note "looking" --by ops
h issue escalate 1 --note "worse" --by ops
h issue resolve app deploy --note "done" --by ops
h issue report db connections --severity critical --reason "pool full" --by ops --format json
h check --format json

# --- every read, in every format ----------------------------------------
for format in table json csv; do h components --format "$format"; done
for format in table json csv; do h metrics --format "$format"; done
h metrics -c database
for format in ndjson json csv tsv; do h export --since 2h --format "$format" -c database,system; done
h export --since 7d --step 1h --agg avg,max,p95 --format json -m cpu_percent
h export --since 7d --max-points 20 --format csv
h export --since 2d --step 1d --tz Europe/Berlin --format tsv -c system
h export --since 1d --step 6h --tz America/New_York --format json -m load1
h export --since 2h --tz local --format csv -m load1
h export --format prometheus
h export --format openmetrics --since 10m
for format in table json csv markdown; do h summary --since 7d --format "$format"; done
h summary --since 1h --ascii
for format in table json ndjson csv; do
  h sql "select component, name, type, count(*) as n from samples_view group by 1, 2, 3 order by 1, 2" --format "$format"
done
h sql "select count(*) as n from series_view where component = :c" -p c=database --format json
for format in table json; do h threshold list --format "$format"; done
h threshold export
for format in table json; do h issue list --status all --format "$format"; done
for format in text json; do h issue show 1 --format "$format"; done
for format in text json nagios; do h status --format "$format"; done
h status -c database --format nagios
h analyze --since 1d --format json
h analyze --since 1d --format markdown
h analyze --since 1d --max-bytes 2000 --format json
h analyze diagnose database --since 1d --format markdown
h analyze trends --period 7d --format json
h analyze compare --current 1d --format markdown
h analyze incident 1 --format json
h analyze recommendations --since 1d --format markdown
for format in markdown csv; do h report --since 1d --format "$format"; done
h report --since 1d -c db --format json
h report --since 1d -c db
for format in text json; do h push --remote-write http://127.0.0.1:9/api/v1/write --max-age 0 --dry-run --format "$format"; done
h export --format prometheus -c database,system
cp "$work/stdout" "$work/current.prom"
h --db "$work/scraped.db" ingest "$work/current.prom"
h --db "$work/scraped.db" export --format prometheus

# --- lifecycle -------------------------------------------------------------
h cleanup --dry-run --retention 3d --format json
h cleanup --dry-run --retention 3d
h backup create --format json
h backup list --format json
h backup status --format json
h backup status
h backup prune --dry-run --keep-days 1
h maintain
h probe add etl --file /data/export.csv --max-age 26h --min-size 1KB --every 5m
h probe add queue --sqlite /data/app.db --query "SELECT count(*) FROM jobs" --warn 100 --crit 1000 --depends-on etl
h probe list
h probe list --format json
h probe show queue
h probe export

# --- help and errors ---------------------------------------------------------
h --help
for command in init record ingest components metrics export summary sql threshold check \
               issue status cleanup backup maintain run probe collect analyze report push serve completion; do
  h "$command" --help
done
h recrod x y
h record database query_ms abc
h record 'bad name' x
h export --since 1h --format yaml
h export --since now --until 1h
h sql "delete from samples"
h issue show 999
h analyze incident 999
h report --format table
h report --since now
h push --remote-write ftp://127.0.0.1/api/v1/write
h serve --format json
h serve --degraded-status 404
printf 'up{job="x" 1\n' >"$work/bad.prom"
h --db "$work/scraped.db" ingest "$work/bad.prom"
h threshold set database query_ms --warn '@@'
stdin=/dev/null h backup restore now
printf '{"ts_ms":1,"component":"x","name":"y","value":1}\nnot json\n' >"$work/bad.ndjson"
h ingest --format ndjson "$work/bad.ndjson"
h status --db "$work/missing/nowhere.db"
h -v status --db "$work/missing/nowhere.db" --format json
h -q check
h metrics -l code=200

if [[ "$mode" == "--update" ]]; then
  cp "$out" "$transcript"
  echo "wrote $transcript ($(wc -l <"$transcript") lines)"
  exit 0
fi
if ! diff -u "$transcript" "$out"; then
  echo "the output differs from the golden transcript (above); if the change is meant," \
       "run tests/golden/run.sh with --update and review the diff" >&2
  exit 1
fi
echo "golden transcript: identical ($(wc -l <"$out") lines)"
