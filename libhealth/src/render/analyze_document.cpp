// The documents of analyze: each view is built as JSON, trimmed to a byte
// budget when asked, and the Markdown brief is rendered from that same JSON,
// so both formats always state the same facts.

#include <health/analyze.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include "render/documents.hpp"
#include "render/json.hpp"
#include "render/text.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace health {

namespace {

double one_decimal(double value) { return round_decimals(value, 1); }

Json optional_number(const std::optional<double>& value, double (*round)(double)) {
  return value ? Json(round(*value)) : Json(nullptr);
}

// Six significant digits: what a reader can use, without float noise.
double six(double value) { return round_significant(value, 6); }

Json range_json(TimeRange range) { return Json{{"since", format_time(range.since)}, {"until", format_time(range.until)}}; }

Json series_ref(const SeriesInfo& s) {
  return Json{{"component", s.component}, {"metric", s.name}, {"labels", labels_json(s.labels)}, {"node", s.node}};
}

Json stats_json(const SeriesInfo& series, const Stats& stats) {
  Json out{{"count", stats.count}};
  if (stats.count == 0) return out;
  out["min"] = six(stats.min);
  out["max"] = six(stats.max);
  out["avg"] = six(stats.avg);
  out["p95"] = six(stats.p95);
  out["last"] = six(stats.last);
  if (series.type == MetricType::counter) out["rate_per_s"] = six(stats.rate_per_s);
  return out;
}

Json trend_json(const SeriesInfo& series, const Trend& trend) {
  Json out = series_ref(series);
  out["direction"] = to_string(trend.direction);
  out["change_pct"] = one_decimal(trend.change_pct);
  out["slope_per_hour"] = six(trend.slope_per_hour);
  out["strength"] = round_decimals(trend.strength, 3);
  return out;
}

std::string_view measure_of(const SeriesInfo& series) {
  switch (series.type) {
  case MetricType::counter: return "rate_per_s";
  case MetricType::gauge: return "avg";
  case MetricType::timer:
  case MetricType::rolling: break;
  }
  return "p95";
}

std::string_view direction_of(const Anomaly& anomaly) {
  if (anomaly.kind == FindingKind::flatline) return "flat";
  if (anomaly.kind == FindingKind::dropout) return "below";
  return anomaly.score > 0 ? "above" : "below";
}

// What a finding's expected value is the reference's median of, in words.
std::string_view compared_with(Reference reference) {
  switch (reference) {
  case Reference::window: return "the window";
  case Reference::whole: return "the whole baseline";
  case Reference::daily: return "the same time of day";
  case Reference::weekly: return "the same time of the same weekday";
  }
  return "the whole baseline";
}

Json anomaly_json(const Anomaly& anomaly) {
  Json out = series_ref(anomaly.series);
  out["kind"] = to_string(anomaly.kind);
  out["measure"] = measure_of(anomaly.series);
  out["at"] = format_time(anomaly.at);
  out["until"] = format_time(anomaly.until);
  out["step"] = format_duration(anomaly.step_ms);
  out["buckets"] = anomaly.buckets;
  out["value"] = six(anomaly.value);
  out["expected"] = six(anomaly.expected);
  out["score"] = one_decimal(anomaly.score);
  out["direction"] = direction_of(anomaly);
  out["compared_with"] = compared_with(anomaly.reference);
  if (anomaly.kind != FindingKind::anomaly) {
    // The evidence of a change: when it began, the level before and after.
    out["since"] = format_time(anomaly.at);
    out["before"] = six(anomaly.expected);
    out["after"] = six(anomaly.value);
  }
  return out;
}

Json stale_json(const StaleSeries& stale, Millis now) {
  Json out = series_ref(stale.series);
  out["last_seen"] = format_time(stale.last_seen);
  out["expected_interval"] = format_duration(stale.expected_interval);
  out["silent_for"] = format_duration((now - stale.last_seen) / k_second_ms * k_second_ms);
  return out;
}

bool trending(const Trend& trend) { return trend.direction != TrendDirection::stable; }

// Trends worth reading first: a direction before volatility, then by size.
bool stronger(const Trend& x, const Trend& y) {
  const auto rank = [](const Trend& t) {
    return t.direction == TrendDirection::upward || t.direction == TrendDirection::downward ? 0
           : t.direction == TrendDirection::volatile_                                      ? 1
                                                                                           : 2;
  };
  if (rank(x) != rank(y)) return rank(x) < rank(y);
  return std::abs(x.change_pct) > std::abs(y.change_pct);
}

Json series_json(const SeriesAnalysis& s) {
  Json out{{"metric", s.series.name}, {"labels", labels_json(s.series.labels)}, {"node", s.series.node},
           {"type", to_string(s.series.type)}, {"unit", s.series.unit}, {"status", to_string(s.status)}};
  out.update(stats_json(s.series, s.current));
  if (s.baseline) {
    out["baseline_avg"] = six(s.baseline->avg);
    if (s.series.type == MetricType::counter) out["baseline_rate_per_s"] = six(s.baseline->rate_per_s);
  } else {
    out["baseline_avg"] = nullptr;
  }
  out["change_pct"] = optional_number(s.change_pct, one_decimal);
  if (!s.history.empty()) {
    Json history = Json::array();
    for (const auto& b : s.history) history.push_back(Json{{"at", format_time(b.at)}, {"count", b.count}, {"value", six(b.value)}});
    out["history"] = std::move(history);
  }
  return out;
}

std::vector<std::string> base_notes(const Analysis& a) {
  return {
      "Times are RFC 3339 UTC; the window is [since, until) and the baseline is the period of " +
          format_duration(a.baseline.until - a.baseline.since) + " just before it.",
      "counter: each sample is an increment, rate_per_s is per second (over the part of the period since the "
      "series' first sample) and change_pct compares rates; gauge: a level, change_pct compares averages; timer "
      "and rolling: durations in the series' unit.",
      "anomalies: each series in buckets of its own median interval (step; counter rate, gauge average, timer "
      "p95), compared with its baseline at the same time of day (or weekday) when that explains the baseline "
      "better, else with the whole baseline (compared_with); z is a bucket's distance from the expected value in "
      "robust standard deviations (1.4826 MAD) of the baseline's. kind anomaly: buckets at least 6 z away, beyond "
      "what the baseline held there, and 20% of the expected value (or far beyond what was held); level_shift: a "
      "median of at least 3 z over 6 buckets and 30 minutes, or 1 z over 24 buckets and 2 hours (more for a "
      "baseline that strayed as far), and 10% away; flatline: constant, dropout: a counter at zero, for 6 buckets "
      "and 30 minutes and twice the baseline's longest such run. since, before and after: when a change began "
      "and the level before and after it. Strongest first.",
      "trends: least-squares line over 24 buckets of the window; upward or downward when the fitted change is at "
      "least 10% of the mean, strength (R squared) at least 0.5 and the last hour beyond the baseline's 5th to "
      "95th percentile; volatile when the buckets' coefficient of variation is at least 0.5; stable series are "
      "left out here.",
      "stale: a series with at least 8 intervals between samples, silent for more than 3 times its median interval "
      "and 1.5 times its 99th percentile interval.",
      "uptime_pct: the share of the window without an open critical issue; incidents: issues open at some time in "
      "the window; mttr_minutes over those resolved in it.",
  };
}

// The full document of section 7 (for the components the analysis covers).
Json full_json(const Analysis& a) {
  Json doc;
  doc["generated_at"] = format_time(a.generated_at);
  doc["window"] = range_json(a.window);
  doc["baseline"] = range_json(a.baseline);
  doc["status"] = status_json(a.status);
  Json active = Json::array();
  for (const auto& issue : a.active_issues) active.push_back(issue_json(issue, a.generated_at));
  Json resolved = Json::array();
  for (const auto& issue : a.recently_resolved) resolved.push_back(issue_json(issue, a.generated_at));
  doc["issues"] = Json{{"active", std::move(active)}, {"recently_resolved", std::move(resolved)}};

  Json components = Json::array();
  for (const auto& health : a.status.components) {
    Json series = Json::array();
    for (const auto& s : a.series)
      if (s.series.component == health.component) series.push_back(series_json(s));
    components.push_back(Json{{"component", health.component}, {"status", to_string(health.status)}, {"series", std::move(series)}});
  }
  doc["components"] = std::move(components);

  std::vector<const SeriesAnalysis*> trends;
  for (const auto& s : a.series)
    if (trending(s.trend)) trends.push_back(&s);
  std::stable_sort(trends.begin(), trends.end(),
                   [](const SeriesAnalysis* x, const SeriesAnalysis* y) { return stronger(x->trend, y->trend); });
  doc["trends"] = Json::array();
  for (const auto* s : trends) doc["trends"].push_back(trend_json(s->series, s->trend));
  doc["anomalies"] = Json::array();
  for (const auto& anomaly : a.anomalies) doc["anomalies"].push_back(anomaly_json(anomaly));
  doc["stale"] = Json::array();
  for (const auto& stale : a.stale) doc["stale"].push_back(stale_json(stale, a.generated_at));
  doc["recent_changes"] = Json::array();
  for (const auto& change : a.recent_changes)
    doc["recent_changes"].push_back(Json{{"at", format_time(change.at)}, {"kind", change.kind}, {"text", change.text}});
  doc["backup_status"] = backup_status_json(a.backup);
  doc["uptime"] = Json::array();
  for (const auto& u : a.uptime)
    doc["uptime"].push_back(Json{{"component", u.component},
                                 {"uptime_pct", round_decimals(u.uptime_pct, 3)},
                                 {"incidents", u.incidents},
                                 {"mttr_minutes", optional_number(u.mttr_minutes, one_decimal)},
                                 {"mtbf_hours", optional_number(u.mtbf_hours, six)}});
  doc["suggested_actions"] = Json::array();
  for (const auto& action : a.actions) doc["suggested_actions"].push_back(Json{{"text", action.text}, {"because", action.because}});
  doc["notes"] = base_notes(a);
  return doc;
}

// ---- trimming to a byte budget ----

// One kind of detail that can go: removes the lowest-signal item left and
// returns about how many bytes that saved, or nullopt when none is left.
struct Trim {
  std::string what;
  std::function<std::optional<std::size_t>(Json&)> remove_one;
};

std::size_t bytes_of(const Json& value) { return dump_json(value).size() + 1; }

// Removes the last element of the array at `pointer` while more than `keep` remain.
Trim drop_last(std::string what, std::string pointer, std::size_t keep = 0) {
  return {std::move(what), [pointer = Json::json_pointer(pointer), keep](Json& doc) -> std::optional<std::size_t> {
            if (!doc.contains(pointer)) return std::nullopt;
            auto& array = doc[pointer];
            if (!array.is_array() || array.size() <= keep) return std::nullopt;
            const auto bytes = bytes_of(array.back());
            array.erase(array.size() - 1);
            return bytes;
          }};
}

Trim drop_first(std::string what, std::string pointer) {
  return {std::move(what), [pointer = Json::json_pointer(pointer)](Json& doc) -> std::optional<std::size_t> {
            if (!doc.contains(pointer)) return std::nullopt;
            auto& array = doc[pointer];
            if (!array.is_array() || array.empty()) return std::nullopt;
            const auto bytes = bytes_of(array.front());
            array.erase(0);
            return bytes;
          }};
}

// Empties the `key` array of the last element of `pointer` that has one.
Trim clear_member(std::string what, std::string pointer, std::string key) {
  return {std::move(what), [pointer = Json::json_pointer(pointer), key](Json& doc) -> std::optional<std::size_t> {
            if (!doc.contains(pointer)) return std::nullopt;
            auto& array = doc[pointer];
            for (auto it = array.rbegin(); it != array.rend(); ++it)
              if (it->contains(key) && !(*it)[key].empty()) {
                const auto bytes = bytes_of((*it)[key]);
                it->erase(key);
                return bytes;
              }
            return std::nullopt;
          }};
}

// Removes the `key` member of the component series with the smallest change.
Trim from_quietest_series(std::string what, std::optional<std::string> key) {
  return {std::move(what), [key](Json& doc) -> std::optional<std::size_t> {
            if (!doc.contains("components")) return std::nullopt;
            Json* best = nullptr;
            std::size_t best_index = 0;
            double best_change = INFINITY;
            for (auto& component : doc["components"]) {
              auto& series = component["series"];
              for (std::size_t i = 0; i < series.size(); ++i) {
                if (key && !series[i].contains(*key)) continue;
                const auto& change = series[i]["change_pct"];
                const double size = change.is_number() ? std::abs(change.get<double>()) : 0;
                if (size < best_change) {
                  best_change = size;
                  best = &series;
                  best_index = i;
                }
              }
            }
            if (best == nullptr) return std::nullopt;
            auto& item = (*best)[best_index];
            if (key) {
              const auto bytes = bytes_of(item[*key]);
              item.erase(*key);
              return bytes;
            }
            const auto bytes = bytes_of(item);
            best->erase(best_index);
            return bytes;
          }};
}

// The issue objects inside status: the same as issues.active.
Trim status_issue_copies() {
  return {"the copies of active issues inside status (see issues.active)", [](Json& doc) -> std::optional<std::size_t> {
            if (!doc.contains("status")) return std::nullopt;
            for (auto& [name, component] : doc["status"]["components"].items()) {
              (void)name;
              if (component.contains("issues") && !component["issues"].empty()) {
                const auto bytes = bytes_of(component["issues"]);
                component.erase("issues");
                return bytes;
              }
            }
            return std::nullopt;
          }};
}

// The entries of healthy components inside status (the last by name first):
// those not healthy stay, as the active issues behind them do.
Trim healthy_status_entries() {
  return {"healthy components inside status", [](Json& doc) -> std::optional<std::size_t> {
            if (!doc.contains("status") || !doc["status"].contains("components")) return std::nullopt;
            auto& components = doc["status"]["components"];
            std::optional<std::string> last;
            for (const auto& [name, component] : components.items())
              if (component["status"] == "healthy") last = name;
            if (!last) return std::nullopt;
            const auto bytes = bytes_of(components[*last]) + last->size() + 4;
            components.erase(*last);
            return bytes;
          }};
}

std::string as_json(const Json& doc) { return dump_json(doc) + "\n"; }

// How the note saying what `fit` left out begins.
constexpr std::string_view k_left_out = "Left out to fit ";

// " 3 x trends (weakest first); 2 x ...": how many of each kind of detail
// went, in the order of `trims`; trims of one kind (one `what`) count together.
std::string left_out_list(const std::vector<Trim>& trims, const std::vector<std::size_t>& removed) {
  std::vector<std::pair<std::string_view, std::size_t>> kinds;
  for (std::size_t i = 0; i < trims.size(); ++i) {
    if (removed[i] == 0) continue;
    const auto same = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == trims[i].what; });
    if (same != kinds.end()) same->second += removed[i];
    else kinds.emplace_back(trims[i].what, removed[i]);
  }
  std::string out;
  for (const auto& [what, count] : kinds)
    out += std::string(out.empty() ? "" : ";") + " " + std::to_string(count) + " x " + std::string(what);
  return out;
}

// Renders `doc`, trimming it first when it does not fit `max_bytes`; what
// was left out is said in `notes`.
std::string fit(Json doc, const std::vector<Trim>& trims, std::optional<std::size_t> max_bytes,
                const std::function<std::string(const Json&)>& render) {
  std::string out = render(doc);
  if (!max_bytes || out.size() <= *max_bytes) return out;
  if (!doc.contains("notes")) doc["notes"] = Json::array();
  std::vector<std::size_t> removed(trims.size(), 0);
  // The note saying what was left out is the last one while trimming goes
  // on; it is taken off before each round so no trim ever removes it.
  bool noted = false;
  const auto unnote = [&] {
    if (noted) doc["notes"].erase(doc["notes"].size() - 1);
    noted = false;
  };
  const auto note = [&](bool fits) {
    unnote();
    std::string text = std::string(k_left_out) + std::to_string(*max_bytes) + " bytes:";
    const auto list = left_out_list(trims, removed);
    text += list;
    if (!fits) text += std::string(list.empty() ? "" : ";") + " still larger: nothing more can go";
    doc["notes"].push_back(text + ".");
    noted = true;
  };
  for (std::size_t i = 0; i < trims.size() && out.size() > *max_bytes;) {
    auto excess = static_cast<std::int64_t>(out.size() - *max_bytes);
    unnote();
    bool any = false;
    while (excess > 0) {
      const auto saved = trims[i].remove_one(doc);
      if (!saved) break;
      ++removed[i];
      any = true;
      excess -= static_cast<std::int64_t>(*saved);
    }
    note(true);
    out = render(doc);
    if (!any) ++i;
  }
  if (out.size() > *max_bytes) {
    note(false);
    out = render(doc);
  }
  return out;
}

std::vector<Trim> full_trims() {
  return {
      clear_member("event lists of resolved issues", "/issues/recently_resolved", "events"),
      status_issue_copies(),
      from_quietest_series("series histories (smallest change first)", std::string("history")),
      from_quietest_series("series details (smallest change first)", std::nullopt),
      drop_first("recent changes (oldest first)", "/recent_changes"),
      drop_last("recently resolved issues (oldest first)", "/issues/recently_resolved"),
      drop_last("uptime entries", "/uptime"),
      drop_last("trends (weakest first)", "/trends"),
      clear_member("event lists of active issues", "/issues/active", "events"),
      drop_last("anomalies (weakest first)", "/anomalies", 1),
      drop_last("suggested actions (least urgent first)", "/suggested_actions", 1),
      drop_last("explanatory notes", "/notes", 1),
      drop_last("component entries", "/components"),
      healthy_status_entries(),
      drop_last("thresholds without data inside status", "/status/no_data"),
      // The last of each kind above, counted with the others in the note.
      drop_last("anomalies (weakest first)", "/anomalies"),
      drop_last("suggested actions (least urgent first)", "/suggested_actions"),
      drop_last("explanatory notes", "/notes"),
      // What is wrong goes last: stale reporters, then the active issues.
      drop_last("stale series (shortest silence first)", "/stale"),
      drop_last("active issues (least urgent first)", "/issues/active"),
  };
}

// Throws Error(usage) for a format the documents do not have.
void check_format(Format format) {
  if (format != Format::json && format != Format::markdown) unsupported("an analyze document", format);
}

// ---- Markdown ----

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return display_number(value.get<double>());
  if (value.is_null()) return "-";
  return dump_json(value);
}

// component/metric{k=v;...} of a series, an issue or a finding, with
// `@node` when `nodes` says so and the item has a node.
std::string name_of(const Json& item, NodeNames nodes) {
  Labels labels;
  if (item.contains("labels"))
    for (const auto& [key, value] : item["labels"].items()) labels.emplace_back(key, value.get<std::string>());
  std::string name = series_display_name(item.value("component", std::string()), item.value("metric", std::string()),
                                         labels, NameStyle::path);
  if (nodes == NodeNames::show && item.contains("node")) name += "@" + text_of(item["node"]);
  return name;
}

// Names show the node when `items` (each with a "node") come from more
// than one.
NodeNames node_names_of(const Json& items) {
  for (const auto& item : items)
    if (item["node"] != items.front()["node"]) return NodeNames::show;
  return NodeNames::hide;
}

std::string signed_pct(const Json& value) {
  if (!value.is_number()) return "-";
  const double pct = value.get<double>();
  return (pct > 0 ? "+" : "") + display_number(pct) + "%";
}

// An issue in one line, dated by what its status says: active since it was
// detected, acknowledged (and open) since then, resolved at its resolution
// after how long.
void md_issue_line(std::string& out, const Json& issue) {
  out += "- **" + text_of(issue["severity"]) + "** issue " + text_of(issue["id"]) + " " +
         name_of(issue, NodeNames::hide) + ": " + text_of(issue["reason"]) + " (";
  const auto status = text_of(issue["status"]);
  const auto minutes = text_of(issue["duration_minutes"]) + " min";
  if (status == "resolved")
    out += "resolved at " + text_of(issue["resolved_at"]) + " after " + minutes;
  else
    out += (status == "active" ? "active" : status + ", open") + " since " + text_of(issue["first_detected"]) + ", " +
           minutes;
  if (issue["current_value"].is_number()) out += ", value " + text_of(issue["current_value"]);
  out += ")\n";
}

void md_events(std::string& out, const Json& events) {
  for (const auto& event : events) {
    out += "- " + text_of(event["at"]) + " " + text_of(event["kind"]);
    if (event.contains("note") && !event["note"].get<std::string>().empty()) out += ": " + text_of(event["note"]);
    out += "\n";
  }
}

void md_anomaly_line(std::string& out, const Json& a, NodeNames nodes) {
  const std::string kind = text_of(a["kind"]);
  const std::string span = "from " + text_of(a["at"]) + " to " + text_of(a["until"]);
  const std::string series = name_of(a, nodes) + " " + text_of(a["measure"]);
  const std::string against = " (" + text_of(a["compared_with"]) + ")";
  if (kind == "level_shift")
    out += "- Level shift: " + series + " at a median of " + text_of(a["after"]) + " since " + text_of(a["since"]) +
           " (until " + text_of(a["until"]) + ") against " + text_of(a["before"]) + " before" + against + " (score " +
           text_of(a["score"]) + ")\n";
  else if (kind == "flatline")
    out += "- Flatline: " + series + " stuck at " + text_of(a["after"]) + " " + span + ", where the baseline varied (" +
           text_of(a["score"]) + " times its longest constant run)\n";
  else if (kind == "dropout")
    out += "- Dropout: " + series + " at zero " + span + " against an expected " + text_of(a["before"]) + against +
           " (" + text_of(a["score"]) + " times the baseline's longest run at zero)\n";
  else
    out += "- Anomaly: " + series + " " + text_of(a["value"]) + " against an expected " + text_of(a["expected"]) +
           against + ", " + text_of(a["direction"]) + ", " + span + " (score " + text_of(a["score"]) + ")\n";
}

void md_stale_line(std::string& out, const Json& s, NodeNames nodes) {
  out += "- Stale: " + name_of(s, nodes) + " last seen " + text_of(s["last_seen"]) + ", expected every " +
         text_of(s["expected_interval"]) + ", silent for " + text_of(s["silent_for"]) + "\n";
}

void md_trend_line(std::string& out, const Json& t, NodeNames nodes) {
  out += "- Trend: " + name_of(t, nodes) + " " + text_of(t["direction"]) + " " + signed_pct(t["change_pct"]) +
         " over the window (slope " + text_of(t["slope_per_hour"]) + "/h, strength " + text_of(t["strength"]) + ")\n";
}

// Whether `fit` left detail out of `doc`: its last note then says what.
bool trimmed(const Json& doc) {
  if (!doc.contains("notes") || doc["notes"].empty() || !doc["notes"].back().is_string()) return false;
  return doc["notes"].back().get<std::string>().rfind(k_left_out, 0) == 0;
}

// What an empty section of `doc` says: `nothing`, unless detail was left out
// to fit the byte budget (then perhaps from this section too).
std::string nothing_listed(const Json& doc, std::string_view nothing) {
  if (trimmed(doc)) return "None listed: detail was left out to fit the byte budget (see the notes).\n";
  return std::string(nothing);
}

void md_actions(std::string& out, const Json& doc) {
  const auto& actions = doc["suggested_actions"];
  out += "\n## Suggested actions\n\n";
  if (actions.empty()) out += nothing_listed(doc, "None: nothing calls for action.\n");
  std::size_t n = 0;
  for (const auto& action : actions)
    out += std::to_string(++n) + ". " + text_of(action["text"]) + " (because: " + text_of(action["because"]) + ")\n";
}

void md_notes(std::string& out, const Json& doc) {
  if (!doc.contains("notes") || doc["notes"].empty()) return;
  out += "\n## Notes\n\n";
  for (const auto& note : doc["notes"]) out += "- " + text_of(note) + "\n";
}

std::string history_line(const Json& history) {
  std::vector<std::optional<double>> values;
  for (const auto& b : history) values.push_back(b["value"].get<double>());
  return sparkline(values, Sparklines::unicode);
}

// The Components table of the brief: one row per series with its own
// status, one per component without series with the component's.
void md_components(std::string& out, const Json& components, NodeNames nodes) {
  bool histories = false;
  for (const auto& component : components)
    for (const auto& s : component["series"]) histories = histories || s.contains("history");
  std::vector<std::string> header{"series", "status", "type", "unit", "count", "avg", "p95", "rate/s", "baseline avg", "change"};
  if (histories) header.push_back("history");
  std::vector<std::vector<std::string>> rows;
  for (const auto& component : components) {
    for (const auto& s : component["series"]) {
      Json named = s;
      named["component"] = component["component"];
      rows.push_back({name_of(named, nodes), text_of(s["status"]), text_of(s["type"]), text_of(s["unit"]),
                      text_of(s["count"]), text_of(s.value("avg", Json())), text_of(s.value("p95", Json())),
                      text_of(s.value("rate_per_s", Json())), text_of(s["baseline_avg"]), signed_pct(s["change_pct"])});
      if (histories) rows.back().push_back(s.contains("history") ? history_line(s["history"]) : "");
    }
    if (component["series"].empty()) {
      rows.push_back({text_of(component["component"]), text_of(component["status"])});
      rows.back().resize(header.size());
    }
  }
  out += format_markdown_table(header, rows);
}

// `extra`: sections of the caller's own, before the notes.
std::string md_brief(const Json& doc, const std::string& title, NodeNames nodes, std::string_view extra = {}) {
  std::string out = "# " + title + ": " + upper(text_of(doc["status"]["status"])) + "\n\n";
  out += "Generated " + text_of(doc["generated_at"]) + "; window " + text_of(doc["window"]["since"]) + " to " +
         text_of(doc["window"]["until"]) + ", against the baseline " + text_of(doc["baseline"]["since"]) + " to " +
         text_of(doc["baseline"]["until"]) + ".\n\n";
  const auto& active = doc["issues"]["active"];
  // From status, which counts them all however many the budget left listed.
  const auto active_count = doc["status"]["active_issue_count"].get<std::size_t>();
  out += count_text(active_count, "active issue", "active issues") + " (" +
         text_of(doc["status"]["critical_issue_count"]) + " critical), " +
         count_text(doc["anomalies"].size(), "anomaly", "anomalies") + ", " +
         count_text(doc["stale"].size(), "stale series", "stale series") + ", " +
         count_text(doc["trends"].size(), "trend", "trends") +
         (trimmed(doc) ? " listed (the notes say what was left out to fit the byte budget).\n" : ".\n");

  out += "\n## What is wrong\n\n";
  if (active.empty() && doc["stale"].empty()) out += nothing_listed(doc, "No active issues and no stale series.\n");
  for (const auto& issue : active) md_issue_line(out, issue);
  for (const auto& stale : doc["stale"]) md_stale_line(out, stale, nodes);

  out += "\n## What changed\n\n";
  if (doc["anomalies"].empty() && doc["trends"].empty() && doc["recent_changes"].empty())
    out += nothing_listed(doc, "Nothing: no anomalies, no trends and no recent changes.\n");
  for (const auto& anomaly : doc["anomalies"]) md_anomaly_line(out, anomaly, nodes);
  for (const auto& trend : doc["trends"]) md_trend_line(out, trend, nodes);
  for (const auto& change : doc["recent_changes"])
    out += "- " + text_of(change["at"]) + " " + text_of(change["kind"]) + ": " + text_of(change["text"]) + "\n";

  md_actions(out, doc);

  out += "\n## Evidence\n\n### Components\n\n";
  md_components(out, doc["components"], nodes);

  if (!doc["issues"]["recently_resolved"].empty()) {
    out += "\n### Resolved in the window\n\n";
    for (const auto& issue : doc["issues"]["recently_resolved"]) md_issue_line(out, issue);
  }
  for (const auto& issue : active)
    if (issue.contains("events") && issue["events"].size() > 1) {
      out += "\n### Events of issue " + text_of(issue["id"]) + "\n\n";
      md_events(out, issue["events"]);
    }
  if (!doc["uptime"].empty()) {
    out += "\n### Uptime\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& u : doc["uptime"])
      rows.push_back({text_of(u["component"]), text_of(u["uptime_pct"]) + "%", text_of(u["incidents"]),
                      text_of(u["mttr_minutes"]), text_of(u["mtbf_hours"])});
    out += format_markdown_table({"component", "uptime", "incidents", "MTTR (min)", "MTBF (h)"}, rows);
  }
  const auto& backup = doc["backup_status"];
  out += "\n### Backups\n\n";
  const auto entry = [](const Json& e) {
    if (e.is_null()) return std::string("never");
    return text_of(e["at"]) + " " + text_of(e["path"]) + (e["ok"].get<bool>() ? "" : " (failed: " + text_of(e["detail"]) + ")");
  };
  out += "- last backup: " + entry(backup["last_backup"]) + "\n- last success: " + entry(backup["last_success"]) +
         "\n- last verified: " + entry(backup["last_verified"]) + "\n";
  out += extra;
  md_notes(out, doc);
  return out;
}

} // namespace

Json analysis_json(const Analysis& analysis) { return full_json(analysis); }

std::string analysis_brief(const Json& doc, const std::string& title, NodeNames nodes, std::string_view extra) {
  return md_brief(doc, title, nodes, extra);
}

std::string finding_text(const Anomaly& anomaly, NodeNames nodes) {
  std::string line;
  md_anomaly_line(line, anomaly_json(anomaly), nodes);
  return line.substr(2, line.size() - 3); // without "- " and the line end
}

std::string analysis_document(const Analysis& analysis, Format format, std::optional<std::size_t> max_bytes) {
  check_format(format);
  const auto render = [format, nodes = analysis.node_names](const Json& doc) {
    return format == Format::json ? as_json(doc) : md_brief(doc, "Health brief", nodes);
  };
  return fit(full_json(analysis), full_trims(), max_bytes, render);
}

std::string diagnose_document(const Analysis& analysis, const std::string& component, Format format,
                              std::optional<std::size_t> max_bytes) {
  check_format(format);
  Json doc = full_json(analysis);
  doc["component"] = component;
  const auto render = [format, component, nodes = analysis.node_names](const Json& d) {
    return format == Format::json ? as_json(d) : md_brief(d, "Diagnosis of " + component, nodes);
  };
  return fit(std::move(doc), full_trims(), max_bytes, render);
}

std::string trends_document(const Analysis& analysis, Format format, std::optional<std::size_t> max_bytes) {
  check_format(format);
  std::vector<const SeriesAnalysis*> series;
  for (const auto& s : analysis.series)
    if (s.current.count > 0) series.push_back(&s);
  std::stable_sort(series.begin(), series.end(),
                   [](const SeriesAnalysis* x, const SeriesAnalysis* y) { return stronger(x->trend, y->trend); });
  Json doc{{"generated_at", format_time(analysis.generated_at)}, {"period", range_json(analysis.window)}};
  doc["trends"] = Json::array();
  for (const auto* s : series) doc["trends"].push_back(trend_json(s->series, s->trend));
  doc["notes"] = {base_notes(analysis)[0], base_notes(analysis)[3]};
  const auto render = [format, nodes = analysis.node_names](const Json& d) {
    if (format == Format::json) return as_json(d);
    std::string out = "# Trends from " + text_of(d["period"]["since"]) + " to " + text_of(d["period"]["until"]) + "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : d["trends"])
      rows.push_back({name_of(t, nodes), text_of(t["direction"]), signed_pct(t["change_pct"]), text_of(t["slope_per_hour"]),
                      text_of(t["strength"])});
    out += rows.empty() ? "No series has samples in the period.\n"
                        : format_markdown_table({"series", "direction", "change", "slope per hour", "strength"}, rows);
    md_notes(out, d);
    return out;
  };
  return fit(std::move(doc), {drop_last("trends (weakest first)", "/trends"), drop_last("notes", "/notes")}, max_bytes, render);
}

std::string compare_document(const Analysis& analysis, Format format, std::optional<std::size_t> max_bytes) {
  check_format(format);
  std::vector<const SeriesAnalysis*> series;
  for (const auto& s : analysis.series) series.push_back(&s);
  std::stable_sort(series.begin(), series.end(), [](const SeriesAnalysis* x, const SeriesAnalysis* y) {
    if (x->change_pct.has_value() != y->change_pct.has_value()) return x->change_pct.has_value();
    return x->change_pct && std::abs(*x->change_pct) > std::abs(*y->change_pct);
  });
  Json doc{{"generated_at", format_time(analysis.generated_at)},
           {"baseline", range_json(analysis.baseline)},
           {"current", range_json(analysis.window)}};
  doc["series"] = Json::array();
  for (const auto* s : series) {
    Json item = series_ref(s->series);
    item["type"] = to_string(s->series.type);
    item["unit"] = s->series.unit;
    item["current"] = stats_json(s->series, s->current);
    item["baseline"] = s->baseline ? stats_json(s->series, *s->baseline) : Json(nullptr);
    item["change_pct"] = optional_number(s->change_pct, one_decimal);
    doc["series"].push_back(std::move(item));
  }
  doc["notes"] = {base_notes(analysis)[0], base_notes(analysis)[1]};
  const auto render = [format, nodes = analysis.node_names](const Json& d) {
    if (format == Format::json) return as_json(d);
    std::string out = "# Current " + text_of(d["current"]["since"]) + " to " + text_of(d["current"]["until"]) +
                      " against the baseline " + text_of(d["baseline"]["since"]) + " to " +
                      text_of(d["baseline"]["until"]) + "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : d["series"]) {
      const auto pick = [](const Json& stats, const char* key) {
        return stats.is_object() && stats.contains(key) ? text_of(stats[key]) : std::string("-");
      };
      rows.push_back({name_of(s, nodes), text_of(s["type"]), pick(s["current"], "avg"), pick(s["baseline"], "avg"),
                      pick(s["current"], "p95"), pick(s["baseline"], "p95"), pick(s["current"], "rate_per_s"),
                      pick(s["baseline"], "rate_per_s"), signed_pct(s["change_pct"])});
    }
    out += rows.empty() ? "No series has samples in either period.\n"
                        : format_markdown_table({"series", "type", "avg", "baseline avg", "p95", "baseline p95", "rate/s",
                                    "baseline rate/s", "change"},
                                   rows);
    md_notes(out, d);
    return out;
  };
  return fit(std::move(doc), {drop_last("series (smallest change first)", "/series"), drop_last("notes", "/notes")},
             max_bytes, render);
}

std::string recommendations_document(const Analysis& analysis, Format format,
                                     std::optional<std::size_t> max_bytes) {
  check_format(format);
  Json doc{{"generated_at", format_time(analysis.generated_at)}, {"window", range_json(analysis.window)},
           {"status", to_string(analysis.status.status)}};
  doc["suggested_actions"] = Json::array();
  for (const auto& action : analysis.actions)
    doc["suggested_actions"].push_back(Json{{"text", action.text}, {"because", action.because}});
  const auto render = [format](const Json& d) {
    if (format == Format::json) return as_json(d);
    std::string out = "# Recommendations: " + upper(text_of(d["status"])) + "\n";
    md_actions(out, d);
    md_notes(out, d);
    return out;
  };
  return fit(std::move(doc), {drop_last("suggested actions (least urgent first)", "/suggested_actions", 1)}, max_bytes,
             render);
}

namespace {

// The series of `issue`'s metric with samples in `range`: their statistics
// before and during the issue, and their buckets of `step`.
Json incident_series(Store& store, const Issue& issue, TimeRange range, Millis step) {
  Json out = Json::array();
  SeriesFilter filter;
  filter.components = {issue.key.component};
  if (!issue.key.metric.empty()) filter.metrics = {issue.key.metric};
  filter.labels = issue.key.labels;
  SampleScanner scanner(store, WithContext::no);
  for (const auto& series : list_series(store, filter, WithStats::no)) {
    StatsBuilder lead;
    StatsBuilder during;
    Bucketer buckets(series.type, step, range);
    bool any = false;
    scanner.scan(series, range, [&](const SampleRow& row) {
      any = true;
      (row.ts < issue.first_detected ? lead : during).add(row.ts, row.value);
      buckets.add(row.ts, row.value);
    });
    if (!any) continue;
    Json item = series_ref(series);
    item["type"] = to_string(series.type);
    item["unit"] = series.unit;
    item["measure"] = measure_of(series);
    item["before"] = stats_json(series, lead.finish(issue.first_detected - range.since));
    item["during"] = stats_json(series, during.finish(range.until - issue.first_detected));
    Json list = Json::array();
    for (const auto& b : buckets.finish())
      list.push_back(Json{{"at", format_time(b.at)}, {"count", b.count}, {"value", six(b.value)}, {"max", six(b.max)}});
    item["buckets"] = std::move(list);
    out.push_back(std::move(item));
  }
  return out;
}

std::string md_incident(const Json& d, NodeNames nodes) {
  const auto& i = d["issue"];
  std::string out = "# Incident: issue " + text_of(i["id"]) + " " + name_of(i, NodeNames::hide) + "\n\n";
  md_issue_line(out, i);
  if (i.contains("events")) {
    out += "\n## Events\n\n";
    md_events(out, i["events"]);
  }
  out += "\n## The metric from " + text_of(d["range"]["since"]) + " to " + text_of(d["range"]["until"]) + "\n\n";
  if (d["series"].empty()) out += "No samples of the metric in that time.\n";
  for (const auto& s : d["series"]) {
    out += "### " + name_of(s, nodes) + " (" + text_of(s["type"]) + ", " + text_of(s["measure"]) + " per " +
           text_of(d["step"]) + ")\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const char* when : {"before", "during"}) {
      const auto& st = s[when];
      rows.push_back({when, text_of(st["count"]), text_of(st.value("avg", Json())), text_of(st.value("p95", Json())),
                      text_of(st.value("max", Json()))});
    }
    out += format_markdown_table({"", "count", "avg", "p95", "max"}, rows);
    if (s.contains("buckets") && !s["buckets"].empty()) out += "\n" + history_line(s["buckets"]) + "\n";
    out += "\n";
  }
  md_notes(out, d);
  return out;
}

} // namespace

std::string incident_document(Store& store, std::int64_t issue_id, Millis now, Format format,
                              std::optional<std::size_t> max_bytes) {
  check_format(format);
  ReadSnapshot snapshot(store);
  const Issue issue = get_issue(store, issue_id);
  const Millis end = issue.open() || !issue.resolved_at ? now : *issue.resolved_at;
  // From the hour before the issue opened to its resolution (or now).
  const TimeRange range{issue.first_detected - k_hour_ms, std::max(end, issue.first_detected + k_minute_ms)};
  const Millis step = step_for_points(range.until - range.since, 60);

  Json doc{{"generated_at", format_time(now)}, {"issue", issue_json(issue, now)}, {"range", range_json(range)},
           {"step", format_duration(step)}};
  doc["series"] = incident_series(store, issue, range, step);
  doc["notes"] = {"Times are RFC 3339 UTC. before: the hour before the issue opened; during: from then to its "
                  "resolution (or now). Each bucket's value is its rate per second for a counter, its average for "
                  "a gauge and its p95 for a timer or rolling series."};
  const auto render = [format, nodes = node_names_of(doc["series"])](const Json& d) {
    return format == Format::json ? as_json(d) : md_incident(d, nodes);
  };
  return fit(std::move(doc),
             {drop_first("buckets (oldest first)", "/series/0/buckets"), clear_member("bucket lists", "/series", "buckets"),
              drop_last("series", "/series")},
             max_bytes, render);
}

} // namespace health
