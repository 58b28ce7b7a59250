#!/usr/bin/env bash
# A week exported as OpenMetrics backfills a real Prometheus: promtool turns
# `healthctl export --format openmetrics` into TSDB blocks, Prometheus starts
# over them on a loopback port, and its query API gives back, for every
# series, what `healthctl summary` says of the same range: a counter's total,
# a timer's count and sum, a gauge's count and average.
#
#   check_prometheus_backfill.sh HEALTHCTL MAKE_SCENARIO
#
# Exits 77 (skipped for CTest) when prometheus or promtool is missing.
set -euo pipefail

healthctl=$(realpath "$1") make_scenario=$(realpath "$2")
for program in prometheus promtool curl python3; do
  if ! command -v "$program" >/dev/null; then
    echo "skipped: $program is not installed (scripts/install-deps --test installs it)"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/healthctl-backfill.XXXXXX")
prometheus_pid=
cleanup() {
  [[ -n $prometheus_pid ]] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

fail() {
  echo "backfill into Prometheus: $*" >&2
  [[ -f prometheus.log ]] && tail -20 prometheus.log >&2
  exit 1
}

# The synthetic week (8 days to now: api, app, db, worker), and one range that
# holds all of it, so that running totals start at 0 in it.
h() { env -i PATH=/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8 TZ=UTC HEALTH_DB_PATH="$tmp/h.db" "$healthctl" "$@"; }
h init -q
"$make_scenario" all 1 | h ingest -q --format csv
until=$(date -u +%Y-%m-%dT%H:%M:%SZ)
h export --format openmetrics --since 10d --until "$until" -o week.om || fail "expected the export to succeed"
h summary --since 10d --until "$until" --format json >summary.json || fail "expected summary to succeed"

promtool tsdb create-blocks-from openmetrics week.om data >promtool.log 2>&1 ||
  { cat promtool.log >&2; fail "expected promtool to turn the export into blocks"; }

# A free loopback port, then Prometheus over the blocks with no scrape of its own.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\n' >prometheus.yml
prometheus --config.file=prometheus.yml --storage.tsdb.path=data --storage.tsdb.retention.time=10y \
  --web.listen-address="127.0.0.1:$port" >prometheus.log 2>&1 &
prometheus_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  kill -0 "$prometheus_pid" 2>/dev/null || fail "prometheus exited at start"
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 || fail "prometheus was not ready within 20 s"

# Every series of the summary against Prometheus' answer at the range's end.
python3 - "$port" "$until" <<'PY' || fail "the values Prometheus holds differ from healthctl summary's (above)"
import json, sys, urllib.parse, urllib.request
port, until = sys.argv[1], sys.argv[2]

def query(expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": until})
    result = json.load(urllib.request.urlopen(url))["data"]["result"]
    if len(result) != 1:
        raise SystemExit(f"expected one series for {expr}, saw {len(result)}")
    return float(result[0]["value"][1])

def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))

units = {"ms": 1e-3, "s": 1.0, "bytes": 1.0, "": 1.0}
bad, checked = [], 0
for s in json.load(open("summary.json"))["series"]:
    labels = f'node="{s["node"]}",component="{s["component"]}"'
    labels += "".join(f',{k}="{v}"' for k, v in s["labels"].items())
    name, scale = s["name"], units.get(s["unit"], 1.0)
    if s["type"] == "counter":
        pairs = [(f"last_over_time({name}_total{{{labels}}}[10d])", s["sum"])]
    elif s["type"] == "gauge":
        pairs = [(f"count_over_time({name}{{{labels}}}[10d])", s["count"]),
                 (f"avg_over_time({name}{{{labels}}}[10d])", s["avg"])]
    else:
        base = name[:-3] if name.endswith("_ms") else name
        pairs = [(f"last_over_time({base}_seconds_count{{{labels}}}[10d])", s["count"]),
                 (f"last_over_time({base}_seconds_sum{{{labels}}}[10d])", s["sum"] * scale)]
    for expr, expected in pairs:
        got = query(expr)
        checked += 1
        if not close(got, expected):
            bad.append(f"{expr}: Prometheus {got}, healthctl {expected}")
for line in bad:
    print(line, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"backfill into Prometheus: {checked} sums, counts and averages of the week equal healthctl summary's")
PY
