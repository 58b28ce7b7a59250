#!/usr/bin/env bash
# push --remote-write into a real Prometheus (its remote-write receiver on a
# loopback port): a push killed midway by Prometheus dying, Prometheus
# started again over the same data, a second push; then every point of every
# series is in Prometheus exactly once: the count of each series' points,
# its sum over time and its last value equal what healthctl holds. Then
# ingest --url scrapes Prometheus' own /metrics three times: its counters
# become increments (the requests for /metrics go up with each scrape).
#
#   check_prometheus_remote_write.sh HEALTHCTL
#
# Exits 77 (skipped for CTest) when prometheus is missing.
set -euo pipefail

healthctl=$(realpath "$1")
for program in prometheus curl python3 sqlite3; do
  if ! command -v "$program" >/dev/null; then
    echo "skipped: $program is not installed (scripts/install-deps --test installs it)"
    exit 77
  fi
done
[[ -x "$(dirname "$healthctl")/healthctl-net" ]] || { echo "skipped: built without HTTP (no healthctl-net)"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/healthctl-remote-write.XXXXXX")
prometheus_pid=
stop_prometheus() {
  [[ -n $prometheus_pid ]] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null
  prometheus_pid=
}
cleanup() {
  stop_prometheus || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

fail() {
  echo "remote write into Prometheus: $*" >&2
  [[ -f prometheus.log ]] && tail -20 prometheus.log >&2
  exit 1
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/api/v1/write"
printf 'global:\n  scrape_interval: 1h\n' >prometheus.yml
start_prometheus() {
  prometheus --config.file=prometheus.yml --storage.tsdb.path=data --web.enable-remote-write-receiver \
    --web.listen-address="127.0.0.1:$port" >>prometheus.log 2>&1 &
  prometheus_pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && return 0
    kill -0 "$prometheus_pid" 2>/dev/null || fail "prometheus exited at start"
    sleep 0.2
  done
  fail "prometheus was not ready within 20 s"
}

# Three series of one point a second over the last 50 minutes: a gauge, a
# counter (increments) and a timer in ms: 12,000 Prometheus samples.
h() { env -i PATH=/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8 TZ=UTC HEALTH_DB_PATH="$tmp/h.db" "$healthctl" "$@"; }
h init -q
python3 - <<'PY' | h --node web-1 ingest -q
import json, random, time
random.seed(7)
end = int(time.time() * 1000) - 5000
for i in range(3000):
    t = end - (3000 - i) * 1000
    print(json.dumps({"ts_ms": t, "component": "app", "name": "temperature", "type": "gauge", "unit": "", "value": round(random.uniform(20, 30), 2)}))
    print(json.dumps({"ts_ms": t, "component": "api", "name": "requests", "type": "counter", "unit": "", "labels": {"route": "/a"}, "value": random.randint(0, 9)}))
    print(json.dumps({"ts_ms": t, "component": "db", "name": "query_ms", "type": "timer", "unit": "ms", "value": round(random.uniform(1, 90), 1)}))
PY

# The first push, 20 samples a request, dies with Prometheus (SIGKILL)
# partway: it fails with 75 and keeps what was acknowledged.
start_prometheus
h push --remote-write "$url" --batch 20 --retries 1 --timeout 2s >push1.out 2>push1.err &
push_pid=$!
# Kill Prometheus once some requests were acknowledged (read from the file,
# as the push writes it).
for _ in $(seq 400); do
  acknowledged=$(sqlite3 "$tmp/h.db" "SELECT coalesce(sum(samples), 0) FROM push_targets" 2>/dev/null || echo 0)
  [[ ${acknowledged:-0} -ge 200 ]] && break
  sleep 0.05
done
kill -9 "$prometheus_pid"
wait "$prometheus_pid" 2>/dev/null || true
prometheus_pid=
status=0
wait "$push_pid" || status=$?
[[ $status -eq 75 ]] || { cat push1.out push1.err >&2; fail "expected the first push to fail with 75, saw $status"; }
grep -q "left for the next push" push1.err || { cat push1.err >&2; fail "expected the failure to say what is left"; }
sent=$(h sql "SELECT samples FROM push_targets" --format csv | tail -1)
[[ $sent -gt 0 && $sent -lt 12000 ]] || fail "expected part of the 12000 samples acknowledged before the kill, saw '$sent'"

# Prometheus again over the same data (its WAL), and the rest.
start_prometheus
h push --remote-write "$url" --format json >push2.json || { cat push2.json >&2; fail "expected the second push to succeed"; }
h push --remote-write "$url" --format json >push3.json || fail "expected a third push to succeed"

python3 - "$port" "$sent" <<'PY' || fail "Prometheus does not hold every point exactly once (above)"
import json, sys, urllib.parse, urllib.request
port, first = sys.argv[1], int(sys.argv[2])
second = json.load(open("push2.json"))
third = json.load(open("push3.json"))
if third["samples"] != 0:
    raise SystemExit(f"expected the third push to send nothing, it sent {third['samples']}")
if first + second["samples"] + second["held_already"] != 12000:
    raise SystemExit(f"expected 12000 samples acknowledged in all: {first} + {second['samples']} + {second['held_already']} held")

def query(expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    result = json.load(urllib.request.urlopen(url))["data"]["result"]
    if len(result) != 1:
        raise SystemExit(f"expected one series for {expr}, saw {len(result)}")
    return float(result[0]["value"][1])

bad = []
for name in ["temperature", 'requests_total{route="/a"}', "query_seconds_count", "query_seconds_sum"]:
    got = query(f"count_over_time({name}[2h])")
    if got != 3000:
        bad.append(f"{name}: {got:g} points in Prometheus, 3000 in healthctl")
for line in bad:
    print(line, file=sys.stderr)
if bad:
    sys.exit(1)
PY

# The values: Prometheus' last totals and the gauge's sum against healthctl's summary.
h summary --since 2h --format json >summary.json
python3 - "$port" <<'PY' || fail "the values Prometheus holds differ from healthctl summary's (above)"
import json, sys, urllib.parse, urllib.request
port = sys.argv[1]
def query(expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    return float(json.load(urllib.request.urlopen(url))["data"]["result"][0]["value"][1])
by_name = {s["name"]: s for s in json.load(open("summary.json"))["series"]}
pairs = [("sum_over_time(temperature[2h])", by_name["temperature"]["sum"]),
         ('last_over_time(requests_total{route="/a"}[2h])', by_name["requests"]["sum"]),
         ("last_over_time(query_seconds_sum[2h])", by_name["query_ms"]["sum"] / 1000)]
bad = [f"{e}: Prometheus {g}, healthctl {w}" for e, w in pairs if abs((g := query(e)) - w) > 1e-6 * max(1, abs(w))]
for line in bad:
    print(line, file=sys.stderr)
if bad:
    sys.exit(1)
PY
# Prometheus' own metrics, scraped three times (the counter of requests for
# /metrics appears after the first, and is first seen by the second).
for n in 1 2 3; do
  h ingest --url "http://127.0.0.1:$port/metrics" >scrape$n.out || fail "expected scrape $n to succeed"
done
grep -q "counters seen for the first time" scrape1.out || fail "expected the first scrape to note its counters' totals"
scraped=$(h sql "SELECT count(*) FROM samples_view WHERE component = 'prometheus' AND name = 'go_goroutines'" --format csv | tail -1)
[[ $scraped -eq 3 ]] || fail "expected go_goroutines three times after three scrapes, saw $scraped"
increment=$(h sql "SELECT value FROM samples_view WHERE component = 'prometheus' AND name = 'prometheus_http_requests_total' AND labels LIKE '%handler=/metrics%' AND labels LIKE '%code=200%'" --format csv | tail -1)
python3 -c "import sys; sys.exit(0 if float('$increment') >= 1 else 1)" ||
  { cat scrape3.out >&2; fail "expected the /metrics requests counter to go up by 1 or more between the scrapes, saw '$increment'"; }

held=$(python3 -c 'import json; print(json.load(open("push2.json"))["held_already"])')
echo "remote write into Prometheus: killed after $sent of 12000 samples (then $held found held already), resumed; every point arrived once; scraped /metrics three times, its counters became increments"
