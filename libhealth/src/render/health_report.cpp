// Health status: text for people, the status json, and the
// monitoring-plugin line with perfdata.

#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

#include <iterator>
#include <optional>

namespace health {

namespace {

// The perfdata UOM of what `threshold` measures: the series' unit when the
// plugin guidelines know it (s, ms, us, %, B, KB, MB, TB, c; `percent` is %
// and `bytes` B) and the aggregate keeps it. None for a count or a rate (per
// second), nor for a sum of percentages, which is no percentage.
std::string_view perf_unit(const Threshold& threshold) {
  if (threshold.agg == Agg::count || threshold.agg == Agg::rate) return "";
  const std::string_view unit = threshold.unit;
  if (unit == "percent" || unit == "%") return threshold.agg == Agg::sum ? "" : "%";
  for (const std::string_view known : {"s", "ms", "us", "B", "KB", "MB", "TB", "c"})
    if (unit == known) return known;
  if (unit == "bytes") return "B";
  return "";
}

// Appends `text` with each byte of `reserved` as %XX (uppercase hex).
void append_percent_encoded(std::string& out, std::string_view text, std::string_view reserved) {
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  for (const char c : text) {
    if (reserved.find(c) == std::string_view::npos) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += k_hex[byte >> 4];
    out += k_hex[byte & 0xF];
  }
}

// A perfdata label: `component.metric`, and for labelled series
// `component.metric[key:value,key:value]` (keys sorted). The guidelines
// forbid = and ' in a label; those, the spelling's own , [ ] and the escape
// %, and ; and | that naive readers split on, are written %XX in values, and
// a key's : too, so the first : ends the key and distinct series keep
// distinct labels.
std::string perf_label(const IssueKey& key) {
  static constexpr std::string_view k_reserved_in_values = "=',[]%;|";
  static constexpr std::string_view k_reserved_in_keys = ":=',[]%;|";
  std::string label = key.component + "." + key.metric;
  if (key.labels.empty()) return label;
  label += '[';
  for (const auto& [name, value] : key.labels) {
    if (label.back() != '[') label += ',';
    append_percent_encoded(label, name, k_reserved_in_keys);
    label += ':';
    append_percent_encoded(label, value, k_reserved_in_values);
  }
  return label + "]";
}

// `'web.resp[method:GET]'=50ms;100;200` for a threshold check has evaluated:
// value[UOM];warn;crit;min;max, numbers plain decimals, min 0 and max 100
// for %, trailing empty fields left off; "" when the value is not finite.
std::string perfdata(const Threshold& threshold) {
  const std::string value = plain_decimal_text(*threshold.last_value);
  if (value.empty()) return "";
  const auto range = [](const std::optional<AlertRange>& r) { return r ? r->text(plain_decimal_text) : ""; };
  const std::string_view uom = perf_unit(threshold);
  const bool percent = uom == "%";
  const std::string fields[] = {value + std::string(uom), range(threshold.warn), range(threshold.crit),
                                percent ? "0" : "", percent ? "100" : ""};
  std::size_t used = std::size(fields);
  while (used > 1 && fields[used - 1].empty()) --used;
  std::string out = std::string("'").append(perf_label(threshold.key)).append("'=").append(fields[0]);
  for (std::size_t i = 1; i < used; ++i) out += ";" + fields[i];
  return out;
}

std::string status_nagios(const HealthReport& report) {
  static constexpr std::string_view k_words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  std::string out = "HEALTH ";
  out += k_words[plugin_exit_code(report.status)];
  std::string problems;
  for (const auto& health : report.components)
    for (const auto& issue : health.issues) {
      // Plugin output is one line, and '|' starts the perfdata.
      std::string reason = issue.reason;
      for (auto& c : reason)
        if (c == '\n' || c == '\r' || c == '|') c = ' ';
      problems += (problems.empty() ? "" : ", ") + health.component + ": " + reason;
    }
  if (problems.empty())
    out += " - " + std::to_string(report.components.size()) + " components healthy";
  else
    out += " - " + problems;
  std::string perf;
  for (const auto& threshold : report.thresholds) {
    if (!threshold.last_value) continue;
    const std::string item = perfdata(threshold);
    if (!item.empty()) perf += (perf.empty() ? "" : " ") + item;
  }
  if (!perf.empty()) out += " | " + perf;
  return out + "\n";
}

std::string status_text(const HealthReport& report) {
  std::string out = upper(to_string(report.status)) + ": " +
                    count_text(report.active_issue_count, "open issue", "open issues") + " (" +
                    std::to_string(report.critical_issue_count) + " critical), " +
                    count_text(report.components.size(), "component", "components") + "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& health : report.components) {
    if (health.issues.empty()) {
      rows.push_back({health.component, std::string(to_string(health.status)), "", ""});
      continue;
    }
    for (const auto& issue : health.issues)
      rows.push_back({health.component, std::string(to_string(health.status)),
                      std::string("#")
                          .append(std::to_string(issue.id))
                          .append(" ")
                          .append(to_string(issue.severity))
                          .append(issue.status == IssueStatus::acknowledged ? " (acknowledged)" : ""),
                      issue.reason});
  }
  for (const auto& threshold : report.thresholds)
    if (threshold.last_state == CheckState::no_data)
      rows.push_back({threshold.key.component, "no data", threshold.key.metric,
                      "no samples in the last " + format_duration(threshold.window_ms)});
  if (!rows.empty()) out += format_table({"COMPONENT", "STATUS", "ISSUE", "REASON"}, rows);
  return out;
}

} // namespace

Json status_json(const HealthReport& report) {
  Json components = Json::object();
  for (const auto& health : report.components) {
    Json issues = Json::array();
    for (const auto& issue : health.issues) issues.push_back(issue_json(issue, report.checked_at));
    components[health.component] = Json{{"status", to_string(health.status)}, {"issues", std::move(issues)}};
  }
  Json no_data = Json::array();
  for (const auto& threshold : report.thresholds)
    if (threshold.last_state == CheckState::no_data)
      no_data.push_back(Json{{"component", threshold.key.component},
                             {"metric", threshold.key.metric},
                             {"labels", labels_json(threshold.key.labels)}});
  return Json{{"status", to_string(report.status)},
              {"checked_at", format_time(report.checked_at)},
              {"active_issue_count", report.active_issue_count},
              {"critical_issue_count", report.critical_issue_count},
              {"components", std::move(components)},
              {"no_data", std::move(no_data)}};
}

std::string render_status(const HealthReport& report, Format format) {
  switch (format) {
  case Format::text: return status_text(report);
  case Format::json: return json_text(status_json(report)) + "\n";
  case Format::nagios: return status_nagios(report);
  default: unsupported("the health status", format);
  }
}

std::string render_status_unknown(std::string_view why) { return "HEALTH UNKNOWN - " + std::string(why) + "\n"; }

} // namespace health
