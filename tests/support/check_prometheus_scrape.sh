#!/usr/bin/env bash
# A real Prometheus scrapes healthctl serve's /metrics: serve on an ephemeral
# loopback port over a database with a gauge and a labelled counter,
# Prometheus on another with serve as its one target (scrape_interval 1s).
# Its query API then gives back the gauge's last value as healthctl metrics
# says it and the counter's total as healthctl summary says it, the series
# labelled with their node and component, and the target up. The exposition
# itself passes promtool check metrics.
#
#   check_prometheus_scrape.sh HEALTHCTL
#
# Exits 77 (skipped for CTest) when prometheus, promtool, curl or python3 is
# missing, or healthctl was built without HTTP.
set -euo pipefail

healthctl=$(realpath "$1")
for program in prometheus promtool curl python3; do
  if ! command -v "$program" >/dev/null; then
    echo "skipped: $program is not installed (scripts/install-deps --test installs it)"
    exit 77
  fi
done
[[ -x "$(dirname "$healthctl")/healthctl-net" ]] || { echo "skipped: built without HTTP (no healthctl-net)"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/healthctl-scrape.XXXXXX")
prometheus_pid=
serve_pid=
stop() { # PID: SIGTERM, then SIGKILL after 10 s
  local pid=$1
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  # Prometheus first: its keep-alive connection would hold serve up.
  stop "$prometheus_pid"
  stop "$serve_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

fail() {
  echo "Prometheus scraping serve: $*" >&2
  [[ -f serve.log ]] && { echo "-- serve.log:" >&2; tail -20 serve.log >&2; }
  [[ -f prometheus.log ]] && { echo "-- prometheus.log:" >&2; tail -20 prometheus.log >&2; }
  exit 1
}

h() { env -i PATH=/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8 TZ=UTC HEALTH_DB_PATH="$tmp/h.db" "$healthctl" "$@"; }
h --node web-1 record app temperature 21.5 --type gauge --unit C
h --node web-1 record app temperature 23.25 --type gauge
h --node web-1 record api requests 3 -l route=/a
h --node web-1 record api requests 4 -l route=/a

# serve on a port of its own choosing, said on its "listening on" line.
# (env, not h: $! is then serve's own pid, as env and healthctl exec.)
env -i PATH=/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8 TZ=UTC HEALTH_DB_PATH="$tmp/h.db" \
  "$healthctl" serve --listen 127.0.0.1:0 --cache-ttl 0 2>serve.log &
serve_pid=$!
serve_port=
for _ in $(seq 200); do
  serve_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' serve.log | head -1)
  [[ -n $serve_port ]] && break
  kill -0 "$serve_pid" 2>/dev/null || fail "serve exited at start"
  sleep 0.1
done
[[ -n $serve_port ]] || fail "serve did not say where it listens within 20 s"

# The exposition as Prometheus gets it is valid for promtool.
curl -fsS "http://127.0.0.1:$serve_port/metrics" >metrics.txt || fail "GET /metrics failed"
promtool check metrics <metrics.txt >promtool.out 2>&1 || { cat metrics.txt promtool.out >&2; fail "promtool check metrics failed"; }
grep -q '^temperature{' metrics.txt || { cat metrics.txt >&2; fail "no temperature series in /metrics"; }

# Prometheus, scraping serve every second.
prometheus_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >prometheus.yml <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: healthctl
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$serve_port"]
EOF
prometheus --config.file=prometheus.yml --storage.tsdb.path=data \
  --web.listen-address="127.0.0.1:$prometheus_port" >prometheus.log 2>&1 &
prometheus_pid=$!

# Wait until the query API has both series (a scrape or two after start).
query() {
  curl -fsS --get "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null
}
for _ in $(seq 300); do
  kill -0 "$prometheus_pid" 2>/dev/null || fail "prometheus exited"
  if query 'temperature' | grep -q '"result":\[{' && query 'requests_total' | grep -q '"result":\[{'; then
    break
  fi
  sleep 0.1
done
query 'temperature' >temperature.json || fail "the query API did not answer"
query 'requests_total' >requests.json || fail "the query API did not answer"
query 'up{job="healthctl"}' >up.json || fail "the query API did not answer"

h metrics --format json >metrics.json
h summary --since 1d --format json >summary.json
python3 - <<'PY' || fail "Prometheus' values differ from healthctl's (above)"
import json, sys

def single(path):
    body = json.load(open(path))
    if body.get("status") != "success":
        raise SystemExit(f"{path}: query failed: {body}")
    result = body["data"]["result"]
    if len(result) != 1:
        raise SystemExit(f"{path}: expected one series, got {len(result)}: {result}")
    return result[0]["metric"], float(result[0]["value"][1])

bad = []
metrics = {s["name"]: s for s in json.load(open("metrics.json"))}
summary = {s["name"]: s for s in json.load(open("summary.json"))["series"]}

labels, value = single("temperature.json")
if value != metrics["temperature"]["last_value"]:
    bad.append(f"temperature: Prometheus {value}, healthctl metrics last_value {metrics['temperature']['last_value']}")
for key, want in [("node", "web-1"), ("component", "app"), ("job", "healthctl")]:
    if labels.get(key) != want:
        bad.append(f"temperature: label {key}={labels.get(key)!r}, expected {want!r}")

labels, value = single("requests.json")
if value != summary["requests"]["sum"]:
    bad.append(f"requests_total: Prometheus {value}, healthctl summary's total {summary['requests']['sum']}")
for key, want in [("node", "web-1"), ("component", "api"), ("route", "/a")]:
    if labels.get(key) != want:
        bad.append(f"requests_total: label {key}={labels.get(key)!r}, expected {want!r}")

_, up = single("up.json")
if up != 1:
    bad.append(f"up: {up}, expected 1")

for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# serve logged Prometheus' scrapes, and stops cleanly once Prometheus is gone.
grep -q 'GET /metrics 200' serve.log || fail "serve logged no scrape of /metrics"
stop "$prometheus_pid"
prometheus_pid=
kill "$serve_pid"
status=0
wait "$serve_pid" || status=$?
serve_pid=
[[ $status -eq 0 ]] || fail "serve exited with $status on SIGTERM"

scrapes=$(grep -c 'GET /metrics 200' serve.log)
echo "Prometheus scraped serve's /metrics $scrapes times: temperature and requests_total read back as healthctl holds them; promtool check metrics passes"
