// The health report: an analysis with history as one self-contained HTML
// page (inline CSS and SVG, no script, no external reference), as Markdown
// with sparklines, as the CSV of its summary table, or as JSON.

#include <health/analyze.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include "render/chart.hpp"
#include "render/documents.hpp"
#include "render/json.hpp"
#include "render/text.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace health {

namespace {

using chart::append_escaped;
using chart::escaped;

constexpr double k_chart_width = 720;
constexpr double k_chart_height = 190;
constexpr std::size_t k_sparkline_points = 56; // the Markdown's history column

// ---- the facts each format shares

// What a series' chart draws: a counter's rate per second, a gauge's
// average, a timer's or rolling series' p95.
std::string_view measure_words(const SeriesInfo& s) {
  switch (s.type) {
  case MetricType::counter: return "rate";
  case MetricType::gauge: return "average";
  case MetricType::timer:
  case MetricType::rolling: break;
  }
  return "p95";
}

std::string unit_of(const SeriesInfo& s) {
  if (s.type != MetricType::counter) return s.unit;
  return s.unit.empty() ? std::string("per s") : s.unit + "/s";
}

std::string name_of(const SeriesInfo& s, NodeNames nodes) {
  std::string name = series_display_name(s.component, s.name, s.labels, NameStyle::path);
  if (nodes == NodeNames::show) name += "@" + s.node;
  return name;
}

std::string short_time(Millis t) {
  const std::string text = format_time(t);
  return text.substr(0, 10) + " " + text.substr(11, 5);
}

std::vector<const Issue*> issues_of(const Analysis& a) {
  std::vector<const Issue*> out;
  for (const auto& issue : a.active_issues) out.push_back(&issue);
  for (const auto& issue : a.recently_resolved) out.push_back(&issue);
  return out;
}

struct TimelineEntry {
  const Issue* issue;
  const IssueEvent* event;
};

// Every event up to the period's end of the issues open in it (those from
// before it too: how each came to be), oldest first; plain updates left out.
std::vector<TimelineEntry> timeline_of(const Analysis& a) {
  std::vector<TimelineEntry> out;
  for (const Issue* issue : issues_of(a))
    for (const auto& event : issue->events)
      if (event.kind != "updated" && event.at <= a.window.until) out.push_back({issue, &event});
  std::stable_sort(out.begin(), out.end(), [](const TimelineEntry& x, const TimelineEntry& y) {
    return x.event->at != y.event->at ? x.event->at < y.event->at : x.event->id < y.event->id;
  });
  return out;
}

std::string severity_of(const TimelineEntry& entry) {
  return std::string(to_string(entry.event->severity.value_or(entry.issue->severity)));
}

std::string event_text(const TimelineEntry& entry) {
  std::string text = entry.event->note;
  if (entry.event->value) text += (text.empty() ? "value " : ", value ") + display_number(*entry.event->value);
  if (text.empty() && entry.event->kind == "opened") text = entry.issue->reason;
  return text;
}

// The findings on `s`, strongest first as analyze orders them.
std::vector<const Anomaly*> findings_of(const Analysis& a, const SeriesAnalysis& s) {
  std::vector<const Anomaly*> out;
  for (const auto& finding : a.anomalies)
    if (finding.series.id == s.series.id) out.push_back(&finding);
  return out;
}

const StaleSeries* stale_of(const Analysis& a, const SeriesAnalysis& s) {
  for (const auto& stale : a.stale)
    if (stale.series.id == s.series.id) return &stale;
  return nullptr;
}

// ---- JSON, Markdown and CSV

Json report_json(const Analysis& a) {
  Json doc = analysis_json(a);
  doc["history_step"] = a.history_step_ms > 0 ? Json(format_duration(a.history_step_ms)) : Json(nullptr);
  Json thresholds = Json::array();
  for (const auto& t : a.status.thresholds) {
    thresholds.push_back(Json{{"component", t.key.component}, {"metric", t.key.metric},
                              {"labels", labels_json(t.key.labels)}, {"agg", to_string(t.agg)},
                              {"warn", t.warn ? Json(t.warn->text()) : Json(nullptr)},
                              {"crit", t.crit ? Json(t.crit->text()) : Json(nullptr)}, {"enabled", t.enabled}});
  }
  doc["thresholds"] = std::move(thresholds);
  Json timeline = Json::array();
  for (const auto& entry : timeline_of(a))
    timeline.push_back(Json{{"at", format_time(entry.event->at)}, {"issue", entry.issue->id},
                            {"component", entry.issue->key.component}, {"metric", entry.issue->key.metric},
                            {"kind", entry.event->kind}, {"severity", severity_of(entry)},
                            {"text", event_text(entry)}});
  doc["timeline"] = std::move(timeline);
  return doc;
}

// `text` as one Markdown table cell: line breaks as spaces, and < and & as
// references, so that a note holds no markup of its own.
std::string md_cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r') out += ' ';
    else if (c == '<') out += "&lt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

// Each series' history in at most k_sparkline_points buckets, each the
// mean of the values it merges: a sparkline that fits a chat line.
void shorten_histories(Json& doc) {
  for (auto& component : doc["components"])
    for (auto& s : component["series"]) {
      if (!s.contains("history") || s["history"].size() <= k_sparkline_points) continue;
      const auto& history = s["history"];
      const std::size_t group = (history.size() + k_sparkline_points - 1) / k_sparkline_points;
      Json shorter = Json::array();
      for (std::size_t i = 0; i < history.size(); i += group) {
        double sum = 0;
        std::size_t n = 0;
        for (std::size_t j = i; j < std::min(i + group, history.size()); ++j, ++n) sum += history[j]["value"].get<double>();
        shorter.push_back(Json{{"value", sum / static_cast<double>(n)}});
      }
      s["history"] = std::move(shorter);
    }
}

std::string report_markdown(const Analysis& a, Json doc) {
  shorten_histories(doc);
  std::string timeline = "\n## Issue timeline\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : timeline_of(a))
    rows.push_back({format_time(entry.event->at), md_cell("#" + std::to_string(entry.issue->id) + " " + key_text(entry.issue->key)),
                    entry.event->kind, severity_of(entry), md_cell(event_text(entry))});
  timeline += rows.empty() ? "No issue was open in the period.\n"
                           : format_markdown_table({"at", "issue", "event", "severity", "detail"}, rows);
  return analysis_brief(doc, "Health report", a.node_names, timeline);
}

void csv_number(std::string& out, std::optional<double> value) {
  out += ',';
  if (value) append_statistic(out, *value);
}

std::string report_csv(const Analysis& a) {
  std::string out = "component,metric,labels,node,type,unit,status,count,min,avg,p95,max,last,rate_per_s,"
                    "baseline_avg,change_pct,trend,findings,issues\n";
  for (const auto& s : a.series) {
    for (const std::string_view field : {std::string_view(s.series.component), std::string_view(s.series.name),
                                         std::string_view(s.series.labels_text), std::string_view(s.series.node),
                                         to_string(s.series.type), std::string_view(s.series.unit), to_string(s.status)}) {
      if (!out.empty() && out.back() != '\n') out += ',';
      append_csv_field(out, field, ',');
    }
    out += ',' + std::to_string(s.current.count);
    const bool any = s.current.count > 0;
    for (const Agg agg : {Agg::min, Agg::avg, Agg::p95, Agg::max, Agg::last})
      csv_number(out, any ? s.current.value(agg) : std::nullopt);
    // A rate is a counter's alone: a gauge's sum over time means nothing.
    csv_number(out, any && s.series.type == MetricType::counter ? s.current.value(Agg::rate) : std::nullopt);
    csv_number(out, s.baseline ? std::optional(s.baseline->avg) : std::nullopt);
    csv_number(out, s.change_pct ? std::optional(round_decimals(*s.change_pct, 1)) : std::nullopt);
    out += ',' + std::string(to_string(s.trend.direction)) + ',' + std::to_string(findings_of(a, s).size());
    std::size_t issues = 0;
    for (const Issue* issue : issues_of(a)) issues += on_series(issue->key, s.series) ? 1U : 0U;
    out += ',' + std::to_string(issues) + '\n';
  }
  return out;
}

// ---- HTML

constexpr std::string_view k_style = R"(:root{color-scheme:light dark;--bg:#fff;--fg:#1d2430;--muted:#5b6472;--card:#f5f7f9;--grid:#e2e6ea;--line:#1f6feb;--band:rgba(31,111,235,.16);--crit:#c62828;--warn:#a66300;--ok:#2e7d32;--issue-crit:rgba(198,40,40,.13);--issue-warn:rgba(166,99,0,.13);--finding:#8e24aa}
@media (prefers-color-scheme:dark){:root{--bg:#0f1419;--fg:#e6e9ed;--muted:#9aa4b1;--card:#171d24;--grid:#2a323c;--line:#6ea8ff;--band:rgba(110,168,255,.2);--crit:#ff6b6b;--warn:#f0b429;--ok:#5ad17a;--issue-crit:rgba(255,107,107,.16);--issue-warn:rgba(240,180,41,.16);--finding:#d08bff}}
body{margin:0 auto;max-width:1100px;padding:16px 20px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--grid);padding-bottom:4px}h3{font-size:15px;margin:0;display:inline}
.muted,figcaption p,.because{color:var(--muted)}figcaption p{margin:2px 0 6px}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid currentColor;margin-left:6px}
.critical{color:var(--crit)}.degraded,.warning{color:var(--warn)}.healthy{color:var(--ok)}.unknown{color:var(--muted)}
.headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:10px;margin:14px 0}
.tile{background:var(--card);border-radius:8px;padding:10px 12px}.tile .big{display:block;font-size:20px;font-weight:700}
.table{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--grid);vertical-align:top}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
figure.series{margin:12px 0 18px;background:var(--card);border-radius:8px;padding:10px 12px;break-inside:avoid}
svg.chart{display:block;width:100%;height:auto;font-size:11px}
svg .grid line{stroke:var(--grid)}svg .axis text{fill:var(--muted)}svg .axis line{stroke:var(--muted)}
svg .line{fill:none;stroke:var(--line);stroke-width:1.6}svg .band{fill:var(--band)}svg .dot{fill:var(--line)}svg .bars rect{fill:var(--line);opacity:.75}
svg .rule line{stroke-width:1.2;stroke-dasharray:6 4}svg .rule.crit line{stroke:var(--crit)}svg .rule.warn line{stroke:var(--warn)}svg text{paint-order:stroke;stroke:var(--card);stroke-width:3px;stroke-linejoin:round}svg .rule text{font-weight:600}svg .rule.crit text{fill:var(--crit)}svg .rule.warn text{fill:var(--warn)}
svg .issue rect{fill:var(--issue-warn)}svg .issue.critical rect{fill:var(--issue-crit)}svg .issue text{fill:var(--fg);font-weight:600}
svg .finding rect{fill:none;stroke:var(--finding);stroke-width:1.4;stroke-dasharray:3 2}svg .finding text{fill:var(--finding);font-weight:700}
ul.findings{margin:6px 0 0;padding-left:18px;font-size:13px}ol.actions li{margin-bottom:6px}
@media (max-width:600px){svg.chart{font-size:17px}.badge{white-space:nowrap}}
@media print{body{max-width:none;font-size:11px}figure.series,.tile{background:none;border:1px solid #bbb}h2{break-after:avoid}})";

// A status in words with a symbol, coloured by its class: never by colour alone.
std::string badge(HealthStatus status) {
  static constexpr std::string_view k_symbols[] = {"\u2714", "\u25B2", "\u2716", "?"};
  const auto name = to_string(status);
  return "<span class=\"badge " + std::string(name) + "\">" +
         std::string(k_symbols[static_cast<int>(status)]) + " " + upper(name) + "</span>";
}

void cell(std::string& out, std::string_view text, bool number = false) {
  out += number ? "<td class=\"num\">" : "<td>";
  append_escaped(out, text);
  out += "</td>";
}

void table_head(std::string& out, const std::vector<std::string_view>& columns, std::size_t first_number) {
  out += "<div class=\"table\"><table><thead><tr>";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    out += i >= first_number ? "<th class=\"num\">" : "<th>";
    append_escaped(out, columns[i]);
    out += "</th>";
  }
  out += "</tr></thead><tbody>";
}

std::string optional_text(const std::optional<double>& value) { return value ? display_number(*value) : "-"; }

// A change in percent with one decimal, "-0" as "0".
std::string change_text(double pct) {
  const double rounded = round_decimals(pct, 1);
  return display_number(rounded == 0 ? 0.0 : rounded) + "%";
}

void html_tile(std::string& out, std::string_view label, const std::string& value_html, std::string_view detail) {
  out += "<div class=\"tile\"><span class=\"muted\">";
  append_escaped(out, label);
  out += "</span><span class=\"big\">" + value_html + "</span><span class=\"muted\">";
  append_escaped(out, detail);
  out += "</span></div>";
}

// The overall status, active issues by severity, findings, the last backup,
// then uptime per component.
void html_headline(std::string& out, const Analysis& a) {
  out += "<section class=\"headline\" aria-label=\"Headline\">";
  html_tile(out, "Overall status", badge(a.status.status),
            count_text(a.status.components.size(), "component", "components"));
  std::size_t critical = 0;
  for (const auto& issue : a.active_issues) critical += issue.severity == Severity::critical ? 1U : 0U;
  html_tile(out, "Active issues", std::to_string(a.active_issues.size()),
            std::to_string(critical) + " critical, " + std::to_string(a.active_issues.size() - critical) +
                " warning; " + std::to_string(a.recently_resolved.size()) + " resolved in the period");
  html_tile(out, "Findings", std::to_string(a.anomalies.size()),
            count_text(a.stale.size(), "stale series", "stale series") + " of " +
                count_text(a.series.size(), "series", "series"));
  const auto& last = a.backup.last_backup;
  html_tile(out, "Last backup", last ? escaped(short_time(last->at)) : std::string("never"),
            !last ? "no backup recorded" : last->ok ? "succeeded" : "FAILED: " + last->detail);
  out += "</section>";
  if (a.uptime.empty()) return;
  out += "<h2 id=\"uptime\">Uptime</h2>";
  table_head(out, {"component", "status", "uptime", "incidents", "MTTR (min)", "MTBF (h)"}, 2);
  for (const auto& u : a.uptime) {
    out += "<tr>";
    cell(out, u.component);
    HealthStatus status = HealthStatus::healthy;
    for (const auto& c : a.status.components)
      if (c.component == u.component) status = c.status;
    out += "<td>" + badge(status) + "</td>";
    cell(out, display_number(round_decimals(u.uptime_pct, 3)) + "%", true);
    cell(out, std::to_string(u.incidents), true);
    cell(out, optional_text(u.mttr_minutes ? std::optional(round_decimals(*u.mttr_minutes, 1)) : std::nullopt), true);
    cell(out, optional_text(u.mtbf_hours), true);
    out += "</tr>";
  }
  out += "</tbody></table></div>";
}

void html_actions(std::string& out, const Analysis& a) {
  out += "<h2 id=\"actions\">Suggested actions</h2>";
  if (a.actions.empty()) {
    out += "<p>None: nothing calls for action.</p>";
    return;
  }
  out += "<ol class=\"actions\">";
  for (const auto& action : a.actions) {
    out += "<li>";
    append_escaped(out, action.text);
    out += "<br/><span class=\"because\">Because: ";
    append_escaped(out, action.because);
    out += "</span></li>";
  }
  out += "</ol>";
}

void html_timeline(std::string& out, const Analysis& a) {
  out += "<h2 id=\"timeline\">Issue timeline</h2>";
  const auto entries = timeline_of(a);
  if (entries.empty()) {
    out += "<p>No issue was open in the period.</p>";
    return;
  }
  table_head(out, {"at (UTC)", "issue", "event", "severity", "detail"}, 5);
  for (const auto& entry : entries) {
    out += "<tr>";
    cell(out, short_time(entry.event->at));
    cell(out, "#" + std::to_string(entry.issue->id) + " " + key_text(entry.issue->key));
    cell(out, entry.event->kind);
    out += "<td class=\"" + severity_of(entry) + "\">" + severity_of(entry) + "</td>";
    cell(out, event_text(entry));
    out += "</tr>";
  }
  out += "</tbody></table></div>";
}

// Where a threshold's bound sits on the axis of a chart of `type`, which
// draws a counter's rate per second and another series' values (its average
// or p95, in a band from its lowest to its highest): a rate as it is, a sum
// over the threshold's window per second of it; for other series every
// aggregate of the values but count, sum and rate. None: not on this scale.
std::optional<double> on_axis(const Threshold& t, double bound, MetricType type) {
  if (type == MetricType::counter) {
    if (t.agg == Agg::rate) return bound;
    if (t.agg == Agg::sum && t.window_ms > 0) return bound / (static_cast<double>(t.window_ms) / k_second_ms);
    return std::nullopt;
  }
  if (t.agg == Agg::count || t.agg == Agg::sum || t.agg == Agg::rate) return std::nullopt;
  return bound;
}

// A chart and what it could not draw, said in words under it.
struct SeriesChart {
  chart::Chart chart;
  std::vector<std::string> unplotted;
};

// The threshold bounds on `s` as rules, and those not on the chart's scale
// in words; a bound at 0 is the floor of most charts and is left out.
void add_rules(SeriesChart& out, const Analysis& a, const SeriesAnalysis& s) {
  for (const auto& t : a.status.thresholds) {
    if (!t.enabled || !on_series(t.key, s.series)) continue;
    for (const auto& [range, level] : {std::pair{&t.warn, "warn"}, std::pair{&t.crit, "crit"}}) {
      if (!*range) continue;
      for (const double bound : (*range)->bounds()) {
        if (bound == 0) continue;
        std::string label = std::string(level) + " " + std::string(to_string(t.agg)) + " " + display_number(bound);
        if (t.agg == Agg::sum) label += " per " + format_duration(t.window_ms);
        if (const auto y = on_axis(t, bound, s.series.type))
          out.chart.rules.push_back({*y, std::move(label), level});
        else
          out.unplotted.push_back("Threshold " + label + " (over " + format_duration(t.window_ms) +
                                  "): not on this chart's scale, which shows the " +
                                  std::string(measure_words(s.series)) + ".");
      }
    }
  }
  std::vector<const chart::Rule*> off_chart;
  chart::value_domain(out.chart, &off_chart);
  for (const chart::Rule* rule : off_chart) {
    const bool above = rule->value > (out.chart.points.empty() ? 0.0 : out.chart.points.front().value);
    out.unplotted.push_back("Threshold " + rule->label + ": off the chart, far " + (above ? "above" : "below") +
                            " its values.");
  }
}

std::vector<chart::Span> issue_spans(const Analysis& a, const SeriesAnalysis& s) {
  std::vector<chart::Span> spans;
  for (const Issue* issue : issues_of(a)) {
    if (!on_series(issue->key, s.series)) continue;
    const Millis to = issue->resolved_at.value_or(a.window.until);
    spans.push_back({issue->first_detected, to, "#" + std::to_string(issue->id),
                     "issue #" + std::to_string(issue->id) + " " + std::string(to_string(issue->severity)) + ": " +
                         issue->reason + ", " + short_time(issue->first_detected) + " to " +
                         (issue->resolved_at ? short_time(*issue->resolved_at) : std::string("now")),
                     std::string(to_string(issue->severity))});
  }
  return spans;
}

std::vector<chart::Span> finding_spans(const Analysis& a, const std::vector<const Anomaly*>& findings) {
  std::vector<chart::Span> spans;
  for (const Anomaly* finding : findings) {
    const std::string label = "F" + std::to_string(spans.size() + 1);
    spans.push_back({finding->at, finding->until, label, label + ": " + finding_text(*finding, a.node_names),
                     std::string(to_string(finding->kind))});
  }
  return spans;
}

std::string describe_chart(const Analysis& a, const SeriesAnalysis& s, const SeriesChart& sc) {
  const auto& c = sc.chart;
  std::string text = std::string(measure_words(s.series)) + " of " + name_of(s.series, a.node_names) +
                     (c.shape == chart::Shape::bars ? " as bars" : " as a line, its minimum to maximum shaded") +
                     " every " + format_duration(c.step) + " from " + short_time(c.range.since) + " to " +
                     short_time(c.range.until) + " UTC";
  const std::string unit = c.unit.empty() ? "" : " " + c.unit;
  if (!c.points.empty()) {
    const auto [lo, hi] = std::minmax_element(c.points.begin(), c.points.end(),
                                              [](const chart::Point& x, const chart::Point& y) { return x.value < y.value; });
    text += ": lowest " + display_number(lo->value) + unit + ", highest " + display_number(hi->value) + unit +
            ", last " + display_number(c.points.back().value) + unit;
  } else {
    text += ": no samples";
  }
  std::vector<const chart::Rule*> off_chart;
  chart::value_domain(c, &off_chart);
  text += "; " + count_text(c.rules.size() - off_chart.size(), "threshold line", "threshold lines") + ", " +
          count_text(c.issues.size(), "issue", "issues") + ", " + count_text(c.findings.size(), "finding", "findings");
  if (!sc.unplotted.empty()) text += " (" + count_text(sc.unplotted.size(), "threshold bound", "threshold bounds") + " said below)";
  return text + ".";
}

SeriesChart chart_of(const Analysis& a, const SeriesAnalysis& s, const std::vector<const Anomaly*>& findings) {
  SeriesChart sc;
  auto& c = sc.chart;
  c.id = "s" + std::to_string(s.series.id);
  c.title = std::string(measure_words(s.series)) + " of " + name_of(s.series, a.node_names);
  c.unit = unit_of(s.series);
  c.range = a.window;
  c.step = a.history_step_ms > 0 ? a.history_step_ms : k_hour_ms;
  c.shape = s.series.type == MetricType::counter ? chart::Shape::bars : chart::Shape::line;
  const bool counter = s.series.type == MetricType::counter;
  for (const auto& b : s.history) {
    chart::Point p{b.at, b.value, counter ? b.value : b.min, counter ? b.value : b.max};
    // An average can overflow to infinity where the samples did not: such a bucket is not drawn.
    if (std::isfinite(p.value) && std::isfinite(p.low) && std::isfinite(p.high)) c.points.push_back(p);
  }
  add_rules(sc, a, s);
  c.issues = issue_spans(a, s);
  c.findings = finding_spans(a, findings);
  c.description = describe_chart(a, s, sc);
  return sc;
}

// One series: its name, status and figures, its chart, and its findings in words.
void html_series(std::string& out, const Analysis& a, const SeriesAnalysis& s) {
  const auto findings = findings_of(a, s);
  const auto sc = chart_of(a, s, findings);
  const auto& c = sc.chart;
  out += "<figure class=\"series\" id=\"" + c.id + "\"><figcaption><h3>";
  append_escaped(out, name_of(s.series, a.node_names));
  out += "</h3>" + badge(s.status) + "<p>";
  std::string facts = std::string(to_string(s.series.type)) + (s.series.unit.empty() ? "" : " in " + s.series.unit) +
                      ", " + std::to_string(s.current.count) + " samples";
  if (s.current.count > 0)
    facts += ", avg " + display_number(s.current.avg) + ", p95 " + display_number(s.current.p95) + ", last " +
             display_number(s.current.last);
  if (s.change_pct) facts += ", " + change_text(*s.change_pct) + " against the baseline";
  if (s.trend.direction != TrendDirection::stable) facts += ", trend " + std::string(to_string(s.trend.direction));
  if (const auto* stale = stale_of(a, s)) facts += "; STALE: last seen " + short_time(stale->last_seen);
  append_escaped(out, facts);
  out += "</p></figcaption>" + chart::svg(c, k_chart_width, k_chart_height);
  if (!c.findings.empty() || !c.issues.empty() || !sc.unplotted.empty()) {
    out += "<ul class=\"findings\">";
    for (const auto& span : c.issues) out += "<li>" + escaped(span.title) + "</li>";
    for (const auto& span : c.findings) out += "<li>" + escaped(span.title) + "</li>";
    for (const auto& text : sc.unplotted) out += "<li>" + escaped(text) + "</li>";
    out += "</ul>";
  }
  out += "</figure>";
}

void html_components(std::string& out, const Analysis& a) {
  for (const auto& component : a.status.components) {
    out += "<section class=\"component\"><h2 id=\"c-" + escaped(component.component) + "\">";
    append_escaped(out, component.component);
    out += badge(component.status) + "</h2>";
    bool any = false;
    for (const auto& s : a.series) {
      if (s.series.component != component.component) continue;
      html_series(out, a, s);
      any = true;
    }
    if (!any) out += "<p>No samples in the period or its baseline.</p>";
    out += "</section>";
  }
}

void html_summary(std::string& out, const Analysis& a) {
  out += "<h2 id=\"summary\">Summary</h2>";
  table_head(out, {"series", "type", "unit", "samples", "min", "avg", "p95", "max", "last", "rate/s", "change"}, 3);
  for (const auto& s : a.series) {
    out += "<tr>";
    cell(out, name_of(s.series, a.node_names));
    cell(out, to_string(s.series.type));
    cell(out, s.series.unit);
    cell(out, std::to_string(s.current.count), true);
    for (const Agg agg : {Agg::min, Agg::avg, Agg::p95, Agg::max, Agg::last})
      cell(out, s.current.count > 0 ? optional_text(s.current.value(agg)) : "-", true);
    cell(out, s.current.count > 0 && s.series.type == MetricType::counter ? optional_text(s.current.value(Agg::rate)) : "-",
         true);
    cell(out, s.change_pct ? change_text(*s.change_pct) : "-", true);
    out += "</tr>";
  }
  out += "</tbody></table></div>";
}

std::string report_html(const Analysis& a) {
  const std::string period = short_time(a.window.since) + " to " + short_time(a.window.until) + " UTC";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>";
  append_escaped(out, "Health report: " + upper(to_string(a.status.status)) + ", " + period);
  out += "</title><style>";
  out += k_style;
  out += "</style></head><body><header><h1>Health report ";
  out += badge(a.status.status) + "</h1><p class=\"muted\">";
  append_escaped(out, period + ", against the baseline from " + short_time(a.baseline.since) + ". Generated " +
                          short_time(a.generated_at) + " UTC by healthctl.");
  out += "</p></header><main>";
  html_headline(out, a);
  html_actions(out, a);
  html_timeline(out, a);
  html_components(out, a);
  html_summary(out, a);
  out += "</main></body></html>\n";
  return out;
}

} // namespace

std::string render_report(const Analysis& analysis, Format format) {
  switch (format) {
  case Format::html: return report_html(analysis);
  case Format::markdown: return report_markdown(analysis, report_json(analysis));
  case Format::csv: return report_csv(analysis);
  case Format::json: return json_text(report_json(analysis)) + "\n";
  default: unsupported("the report", format);
  }
}

} // namespace health
