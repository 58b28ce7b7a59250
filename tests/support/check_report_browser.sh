#!/usr/bin/env bash
# `healthctl report` renders in a real browser as intended: headless Chromium
# lays out one chart per series, full width and in order, with no horizontal
# overflow on a desktop or a phone; its screenshot is not blank and shows the
# chart line colour inside the first chart and nowhere outside the charts;
# and the dark colour scheme applies when the browser prefers it.
#
#   check_report_browser.sh HEALTHCTL MAKE_SCENARIO [OUT_DIR]
#
# With OUT_DIR, leaves report.html and its screenshot report.png there.
# Exits 77 (skipped for CTest) when chromium is not installed, 1 on a failed
# check (one line per failure, then Chromium's log if it misbehaved).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 HEALTHCTL MAKE_SCENARIO [OUT_DIR]" >&2
  exit 2
fi
healthctl=$(realpath "$1") make_scenario=$(realpath "$2") out_dir=${3:+$(realpath -m "$3")}
support=$(cd "$(dirname "$0")" && pwd)
if ! chromium=$(command -v chromium); then
  echo "skipped: chromium is not installed (scripts/install-deps --test installs it)"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/healthctl-report-browser.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
  echo "report in Chromium: $*" >&2
  exit 1
}

# --- The report over a synthetic week --------------------------------------
# A scrubbed environment: the database in the temp folder, one time zone.
# What the set-up prints goes to a log, shown only when a step fails.
clean_env=(env -i PATH=/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8 TZ=UTC HEALTH_DB_PATH="$tmp/h.db")
log=$tmp/setup.log
h() { "${clean_env[@]}" "$healthctl" "$@" 2>>"$log"; }
ingest_week() { "${clean_env[@]}" "$make_scenario" all 1 | h ingest --format csv; }
step() {
  local what=$*
  what=${what/#h /healthctl }
  what=${what/#ingest_week/make_scenario all 1 | healthctl ingest --format csv}
  "$@" >>"$log" || { cat "$log" >&2; fail "expected '$what' to succeed; it failed (its output above)"; }
}
step h init
step ingest_week
step h threshold set api latency_ms --agg p95 --window 1h --warn 150 --crit 1000
status=0
h check >>"$log" || status=$?  # 0-2: healthy, warning, critical (an issue may open)
[[ $status -le 2 ]] || { cat "$log" >&2; fail "expected 'healthctl check' to exit 0-2, saw $status"; }
step h report -o "$tmp/report.html"
h report --format csv >"$tmp/series.csv" || { cat "$log" >&2; fail "expected 'healthctl report --format csv' to succeed; it failed"; }

# One chart per series: the CSV has a header, then one row per series.
series=$(python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))) - 1)' "$tmp/series.csv")
[[ $series -ge 1 ]] || fail "expected series rows in 'report --format csv', saw $series"

# --- Chromium ---------------------------------------------------------------
# Each run gets a new empty profile and HOME, so nothing from an earlier run
# or the user's own browser leaks in; stderr (harmless dbus complaints on a
# machine without a session bus) goes to a log shown only on failure.
runs=0
browse() {
  runs=$((runs + 1))
  local log=$tmp/chromium-$runs.log
  if ! env -i PATH=/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8 TZ=UTC \
       timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
         --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
         --user-data-dir="$tmp/profile-$runs" "$@" 2>"$log"; then
    cat "$log" >&2
    fail "chromium $* failed or timed out (its log above)"
  fi
}
# Light and dark, whatever the machine's theme: the preferred colour scheme
# is 1 (light) or 0 (dark). On Chromium 156 --blink-settings alone switches
# prefers-color-scheme; --force-dark-mode alone does too; both are given.
light=(--blink-settings=preferredColorScheme=1)
dark=(--force-dark-mode --blink-settings=preferredColorScheme=0)

# --- 1. Layout, as the browser measures it -----------------------------------
# probe.html is the report with a script before </body> that measures the
# charts, the headline tiles and the page width once the page has loaded,
# and writes them as JSON into <pre id="layout"> (or, inside a frame, posts
# them to the parent page).
cat >"$tmp/probe.js" <<'JS'
(function () {
  function box(e) {
    var r = e.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};
  }
  // Where an element sits, for a failure message: its id, or that of the
  // nearest ancestor with one, or the h2 section it follows.
  function where(e) {
    for (var n = e; n && n !== document.body; n = n.parentElement) {
      if (n.id) return '#' + n.id;
      for (var s = n.previousElementSibling; s; s = s.previousElementSibling)
        if (s.tagName === 'H2' && s.id) return 'after h2#' + s.id;
    }
    return 'body';
  }
  // Whether e is inside a box that scrolls or clips its overflow (then it
  // cannot widen the page).
  function clipped(e) {
    for (var n = e.parentElement; n && n !== document.body; n = n.parentElement)
      if (getComputedStyle(n).overflowX !== 'visible') return true;
    return false;
  }
  // The outermost elements that stick out past the right edge of the page.
  function overflowing() {
    var out = [];
    document.querySelectorAll('body *').forEach(function (e) {
      var p = e.parentElement;
      if (e.getBoundingClientRect().right > innerWidth + 0.5 &&
          p.getBoundingClientRect().right <= innerWidth + 0.5 && !clipped(e))
        out.push(e.tagName.toLowerCase() + ' (' + where(e) + ') ' +
                 Math.round(e.getBoundingClientRect().width) + ' px wide');
    });
    return out;
  }
  function measure() {
    return JSON.stringify({
      innerWidth: innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      overflowing: overflowing(),
      charts: [].map.call(document.querySelectorAll('svg.chart'), function (svg) {
        var b = box(svg), figure = svg.closest('figure');
        b.id = figure ? figure.id : '';
        return b;
      }),
      tiles: [].map.call(document.querySelectorAll('.tile'), box)
    });
  }
  function report() {
    var json = measure();
    if (window.parent !== window) { window.parent.postMessage(json, '*'); return; }
    var pre = document.createElement('pre');
    pre.id = 'layout';
    pre.textContent = json;
    document.body.appendChild(pre);
  }
  if (document.readyState === 'complete') report(); else addEventListener('load', report);
})();
JS
# A Content-Security-Policy meta, should the report gain one to forbid
# scripts, would block the probe too: probe.html drops it.
python3 - "$tmp/report.html" "$tmp/probe.js" "$tmp/probe.html" <<'PY' || fail "expected </body> in report.html to inject the layout probe; saw none"
import re, sys
html, script = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
html = re.sub(r'<meta[^>]+http-equiv="?content-security-policy[^>]*>', "", html, flags=re.I)
at = html.rfind("</body>")
if at < 0:
    sys.exit(1)
open(sys.argv[3], "w", encoding="utf-8").write(html[:at] + "<script>" + script + "</script>" + html[at:])
PY
# A phone: headless Chromium will not make a window narrower than 500 px
# (--window-size=420,2000 gives innerWidth 500), so the probe runs in a
# 420 px wide frame, whose own viewport is then 420 px.
cat >"$tmp/phone.html" <<'HTML'
<!DOCTYPE html><html><body style="margin:0">
<iframe src="probe.html" style="width:420px;height:2000px;border:0"></iframe>
<script>
addEventListener('message', function (e) {
  var pre = document.createElement('pre');
  pre.id = 'layout';
  pre.textContent = e.data;
  document.body.appendChild(pre);
});
</script></body></html>
HTML

# Runs the probe page $1 at window size $2 and keeps its JSON as $3.
probe() {
  browse "${light[@]}" --window-size="$2" --virtual-time-budget=2000 --dump-dom "file://$tmp/$1" >"$tmp/$1.dom"
  python3 - "$tmp/$1.dom" "$3" <<'PY' || fail "expected <pre id=\"layout\"> with the probe's JSON in the DOM of $1 at $2; saw none (the probe did not run?)"
import html, re, sys
found = re.search(r'<pre id="layout">(.*?)</pre>', open(sys.argv[1], encoding="utf-8").read(), re.S)
if not found:
    sys.exit(1)
open(sys.argv[2], "w", encoding="utf-8").write(html.unescape(found.group(1)))
PY
}
probe probe.html 1200,2000 "$tmp/layout-desktop.json"
probe phone.html 1200,2000 "$tmp/layout-phone.json"

# --- 2. and 3. Screenshots ---------------------------------------------------
# The top 2000 px of the page at the same 1200 px width as the layout probe,
# so the probe's page coordinates are the screenshot's pixel coordinates.
browse "${light[@]}" --window-size=1200,2000 --screenshot="$tmp/light.png" "file://$tmp/report.html" >/dev/null
browse "${dark[@]}" --window-size=1200,2000 --screenshot="$tmp/dark.png" "file://$tmp/report.html" >/dev/null
[[ -s $tmp/light.png && -s $tmp/dark.png ]] || fail "expected light.png and dark.png from chromium --screenshot; saw none"

# The rectangle of the first chart (the first wholly inside the screenshot,
# should a longer report push it down), and two places outside every chart:
# the left 20 px of the page (body margin) and the row of headline tiles.
regions=$(python3 - "$tmp/layout-desktop.json" <<'PY'
import json, sys
layout = json.load(open(sys.argv[1]))
def rect(name, b):
    return f"--region={name}={b['x']:.0f},{b['y']:.0f},{b['width']:.0f},{b['height']:.0f}"
args = [rect("margin", {"x": 0, "y": 0, "width": 20, "height": 2000})]
shown = [c for c in layout["charts"] if c["y"] + c["height"] <= 2000]
if shown:
    args.append(rect("chart", shown[0]))
if layout["tiles"]:
    t = layout["tiles"]
    top, bottom = min(b["y"] for b in t), max(b["y"] + b["height"] for b in t)
    left, right = min(b["x"] for b in t), max(b["x"] + b["width"] for b in t)
    args.append(rect("tiles", {"x": left, "y": top, "width": right - left, "height": bottom - top}))
print("\n".join(args))
PY
)
mapfile -t regions <<<"$regions"
python3 "$support/png_check.py" "$tmp/light.png" "${regions[@]}" >"$tmp/light.json" ||
  fail "expected png_check.py to read Chromium's light screenshot; it could not (above)"
python3 "$support/png_check.py" "$tmp/dark.png" >"$tmp/dark.json" ||
  fail "expected png_check.py to read Chromium's dark screenshot; it could not (above)"

# --- 4. Keep the report and its screenshot -----------------------------------
# Before the verdict, so that a failing run leaves them to look at.
if [[ -n "$out_dir" ]]; then
  mkdir -p "$out_dir"
  cp "$tmp/report.html" "$out_dir/report.html"
  cp "$tmp/light.png" "$out_dir/report.png"
fi

# --- The verdict ---------------------------------------------------------------
# Every failed expectation is one line; all are printed, then exit 1.
python3 - "$series" "$tmp/layout-desktop.json" "$tmp/layout-phone.json" "$tmp/light.json" "$tmp/dark.json" <<'PY' || exit 1
import json, sys
series = int(sys.argv[1])
desktop, phone, light, dark = (json.load(open(p)) for p in sys.argv[2:6])
failures = []
def expect(ok, message):
    if not ok:
        failures.append(message)
def sticking_out(elements):
    if not elements:
        return "no element sticks out"
    more = f" and {len(elements) - 4} more" if len(elements) > 4 else ""
    return ", ".join(elements[:4]) + more

# 1. Layout at 1200 px: one chart per series, each its 720x190 viewBox
# scaled to the page width, stacked in document order without overlapping.
charts = desktop["charts"]
expect(len(charts) == series, f"expected {series} svg.chart (one per series in the CSV), saw {len(charts)}")
for c in charts:
    expect(c["width"] >= 600, f"expected chart {c['id']} at least 600 px wide at 1200 px, saw {c['width']:.0f} px")
    expect(120 <= c["height"] <= 400,
           f"expected chart {c['id']} 120 to 400 px tall at 1200 px, saw {c['height']:.0f} px")
for above, below in zip(charts, charts[1:]):
    expect(below["y"] >= above["y"] + above["height"] - 0.5,
           f"expected chart {below['id']} below chart {above['id']} (top >= {above['y'] + above['height']:.0f} px), "
           f"saw its top at {below['y']:.0f} px")
for name, layout in (("1200", desktop), ("420 (phone)", phone)):
    expect(layout["scrollWidth"] <= layout["innerWidth"],
           f"expected no horizontal overflow at {name} px, saw scrollWidth {layout['scrollWidth']} "
           f"> innerWidth {layout['innerWidth']}: {sticking_out(layout['overflowing'])}")
tiles = desktop["tiles"]
expect(len(tiles) == 4, f"expected 4 headline tiles, saw {len(tiles)}")
tops = [round(t["y"]) for t in tiles]
expect(not tops or max(tops) - min(tops) <= 1,
       f"expected the headline tiles in one row at 1200 px (one top), saw tops {tops}")
# The phone: the probe ran in a 420 px frame, so its viewport must be that.
expect(phone["innerWidth"] == 420, f"expected the phone frame's innerWidth 420, saw {phone['innerWidth']}")
expect(len(phone["charts"]) == series, f"expected {series} charts on the phone, saw {len(phone['charts'])}")
for c in phone["charts"]:
    expect(c["width"] >= 300, f"expected chart {c['id']} at least 300 px wide on the phone, saw {c['width']:.0f} px")

# 2. The light screenshot: the whole window, not blank, and the line colour
# inside the first chart but not in the margin or the headline tiles.
expect((light["width"], light["height"]) == (1200, 2000),
       f"expected a 1200x2000 screenshot, saw {light['width']}x{light['height']}")
expect(light["distinct_colours"] >= 50,
       f"expected at least 50 distinct colours in the screenshot, saw {light['distinct_colours']}")
expect(light["non_background_pct"] >= 3,
       f"expected at least 3% of the screenshot off the background {light['background']}, "
       f"saw {light['non_background_pct']}%")
regions = light["regions"]
chart = regions.get("chart", {"bluish": 0})
if "rect" in chart:
    expect(chart["bluish"] >= 100,
           f"expected at least 100 pixels of the line colour #1f6feb (blue over red by 60+) in the first chart "
           f"at {chart['rect']}, saw {chart['bluish']}")
elif charts:
    expect(False, f"expected a chart wholly within the screenshot's top 2000 px, saw the first at "
                  f"y {charts[0]['y']:.0f} to {charts[0]['y'] + charts[0]['height']:.0f} px")
for name in ("margin", "tiles"):
    if name in regions:
        expect(regions[name]["bluish"] == 0,
               f"expected no pixel of the line colour in the {name} at {regions[name]['rect']} (outside the charts), "
               f"saw {regions[name]['bluish']}")

# 3. Dark scheme: the report's own @media (prefers-color-scheme:dark)
# background #0f1419 behind it, against the light scheme's white.
expect(light["background_luminance"] > 200,
       f"expected a light background in the light scheme (luminance > 200), saw {light['background']} "
       f"({light['background_luminance']})")
expect(dark["background_luminance"] < 60,
       f"expected a dark background in the dark scheme (luminance < 60), saw {dark['background']} "
       f"({dark['background_luminance']})")

if failures:
    for f in failures:
        print(f"report in Chromium: {f}", file=sys.stderr)
    sys.exit(1)
print(f"report in Chromium: {len(charts)} charts laid out (1200 px and 420 px), "
      f"{light['distinct_colours']} distinct colours, {light['non_background_pct']}% non-background, "
      f"{chart['bluish']} chart-colour pixels in the first chart, dark background {dark['background']}")
PY
