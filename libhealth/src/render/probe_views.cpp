// Probes: their list, one probe, the export document, and what a run did.

#include <health/format.hpp>
#include <health/names.hpp>
#include <health/render.hpp>
#include <health/url.hpp>
#include <health/error.hpp>

#include "render/json.hpp"
#include "render/text.hpp"

namespace health {

namespace {

std::string kind_flag(const ProbeSpec& spec) { return "--" + std::string(to_string(spec.kind)); }

// The target as people see it: a URL without the credentials it may hold
// (export keeps them: it is what import reads).
std::string shown_target(const ProbeSpec& spec) {
  if (spec.kind != ProbeKind::http) return spec.target;
  try {
    return parse_url(spec.target).text();
  } catch (const Error&) {
    return spec.target;
  }
}

std::string last_text(const ProbeState& state) {
  if (!state.last_result) return "-";
  return std::string(to_string(*state.last_result)) + " " + format_time(*state.last_run_at);
}

Json state_json(const ProbeState& state) {
  return Json{{"last_run_at", time_json(state.last_run_at)},
              {"last_result", state.last_result ? Json(to_string(*state.last_result)) : Json(nullptr)},
              {"last_message", state.last_message},
              {"last_latency_ms", statistic_json(state.last_latency_ms)},
              {"consecutive_failures", state.failures},
              {"circuit", to_string(state.circuit)},
              {"circuit_until", time_json(state.circuit_until)}};
}

// The spec as `probe import` reads it: every field that applies to its kind.
Json spec_json(const ProbeSpec& spec) {
  Json out{{"name", spec.name}, {"kind", to_string(spec.kind)}, {"target", spec.target}};
  if (spec.kind == ProbeKind::http) {
    out["expect_status"] = spec.expect_status.empty() ? "200-399" : spec.expect_status;
    if (!spec.body_contains.empty()) out["body_contains"] = spec.body_contains;
    if (!spec.body_regex.empty()) out["body_regex"] = spec.body_regex;
    if (!spec.headers.empty()) out["headers"] = spec.headers;
    out["tls_verify"] = spec.tls_verify;
  }
  if (spec.max_age) out["max_age"] = format_duration(*spec.max_age);
  if (spec.min_size) out["min_size"] = *spec.min_size;
  if (spec.kind == ProbeKind::sqlite) {
    out["query"] = spec.query;
    if (!spec.warn_range.empty()) out["warn"] = spec.warn_range;
    if (!spec.crit_range.empty()) out["crit"] = spec.crit_range;
  }
  out["component"] = spec.component.empty() ? spec.name : spec.component;
  out["labels"] = labels_json(spec.labels);
  out["depends_on"] = spec.depends_on;
  out["every"] = format_duration(spec.every);
  out["timeout"] = format_duration(spec.timeout);
  out["retries"] = spec.retries;
  out["fail_after"] = spec.fail_after;
  out["critical_after"] = spec.critical_after ? Json(*spec.critical_after) : Json(nullptr);
  out["breaker_after"] = spec.breaker_after;
  out["breaker_open"] = format_duration(spec.breaker_open);
  out["breaker_max"] = format_duration(spec.breaker_max);
  out["breaker_trials"] = spec.breaker_trials;
  out["enabled"] = spec.enabled;
  return out;
}

std::string probes_table(const std::vector<Probe>& probes) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [spec, state] : probes)
    rows.push_back({spec.name, std::string(to_string(spec.kind)), shown_target(spec), probe_component(spec),
                    format_duration(spec.every), spec.enabled ? "yes" : "no", last_text(state),
                    std::to_string(state.failures), std::string(to_string(state.circuit)),
                    state.last_message.empty() ? "-" : state.last_message});
  return format_table({"NAME", "KIND", "TARGET", "COMPONENT", "EVERY", "ENABLED", "LAST", "FAILURES", "CIRCUIT",
                       "MESSAGE"},
                      rows);
}

std::string probe_text(const Probe& probe) {
  const auto& [spec, state] = probe;
  std::string out = "probe " + spec.name + ": " + kind_flag(spec) + " " + shown_target(spec) + "\n";
  const auto line = [&out](std::string_view name, const std::string& value) {
    out.append("  ").append(name).append(": ").append(value).append("\n");
  };
  const auto labels = probe_labels(spec);
  line("series", probe_component(spec) + " {" + format_labels(labels) + "}");
  line("every", format_duration(spec.every) + ", timeout " + format_duration(spec.timeout) + ", retries " +
                    std::to_string(spec.retries));
  line("issue", "after " + count_text(static_cast<std::size_t>(spec.fail_after), "failure", "failures") +
                    (spec.critical_after ? ", critical after " + std::to_string(*spec.critical_after) : ""));
  line("breaker", spec.breaker_after == 0 ? std::string("off")
                                          : "opens after " + std::to_string(spec.breaker_after) + " failures for " +
                                                format_duration(spec.breaker_open) + " (at most " +
                                                format_duration(spec.breaker_max) + "), closes after " +
                                                std::to_string(spec.breaker_trials) + " trials");
  if (!spec.depends_on.empty()) {
    std::string names;
    for (const auto& name : spec.depends_on) names += (names.empty() ? "" : ", ") + name;
    line("depends on", names);
  }
  line("enabled", spec.enabled ? "yes" : "no");
  line("last", last_text(state) + (state.last_message.empty() ? "" : ": " + state.last_message));
  line("failures", std::to_string(state.failures) + " in a row");
  line("circuit", std::string(to_string(state.circuit)) +
                      (state.circuit == Circuit::open && state.circuit_until
                           ? " until " + format_time(*state.circuit_until)
                           : ""));
  return out;
}

std::string entry_line(const ProbeRunEntry& entry) {
  if (entry.what != ProbeRunEntry::What::ran) return entry.name + "  skipped  " + entry.note + "\n";
  std::string out = entry.name + "  " + std::string(to_string(entry.outcome.result)) + "  " +
                    display_number(round_significant(entry.outcome.latency_ms, 3)) + " ms  " + entry.outcome.message;
  if (entry.attempts > 1) out += " (" + std::to_string(entry.attempts) + " attempts)";
  if (!entry.note.empty()) out += "; " + entry.note;
  return out + "\n";
}

std::string_view what_text(ProbeRunEntry::What what) {
  switch (what) {
  case ProbeRunEntry::What::ran: return "ran";
  case ProbeRunEntry::What::circuit_open: return "circuit_open";
  case ProbeRunEntry::What::dependency_down: return "dependency_down";
  case ProbeRunEntry::What::running_elsewhere: return "running_elsewhere";
  }
  return "ran";
}

Json run_json(const ProbeRunReport& report) {
  Json entries = Json::array();
  for (const auto& entry : report.entries) {
    Json item{{"name", entry.name}, {"what", what_text(entry.what)}, {"note", entry.note}};
    if (entry.what == ProbeRunEntry::What::ran) {
      item["result"] = to_string(entry.outcome.result);
      item["message"] = entry.outcome.message;
      item["latency_ms"] = statistic_json(entry.outcome.latency_ms);
      item["attempts"] = entry.attempts;
    }
    item["consecutive_failures"] = entry.state.failures;
    item["circuit"] = to_string(entry.state.circuit);
    entries.push_back(std::move(item));
  }
  Json changes = Json::array();
  for (const auto& change : report.changes)
    changes.push_back(Json{{"issue_id", change.issue.id}, {"event", event_json(*change.event)}});
  return Json{{"ran_at", format_time(report.at)}, {"probes", std::move(entries)}, {"changes", std::move(changes)}};
}

} // namespace

std::string render_probes(const std::vector<Probe>& probes, Format format) {
  if (format == Format::table) return probes_table(probes);
  if (format != Format::json) unsupported("a list of probes", format);
  Json list = Json::array();
  for (const auto& probe : probes) {
    Json item = spec_json(probe.spec);
    item["target"] = shown_target(probe.spec);
    item["state"] = state_json(probe.state);
    list.push_back(std::move(item));
  }
  return dump_json(Json{{"probes", std::move(list)}}, 2) + "\n";
}

std::string render_probe(const Probe& probe, Format format) {
  if (format == Format::text) return probe_text(probe);
  if (format != Format::json) unsupported("a probe", format);
  Json item = spec_json(probe.spec);
  item["target"] = shown_target(probe.spec);
  item["state"] = state_json(probe.state);
  return dump_json(item, 2) + "\n";
}

std::string render_probes_json(const std::vector<Probe>& probes) {
  Json list = Json::array();
  for (const auto& probe : probes) list.push_back(spec_json(probe.spec));
  return dump_json(Json{{"probes", std::move(list)}}, 2) + "\n";
}

std::string render_probe_run(const ProbeRunReport& report, Format format) {
  if (format == Format::json) return json_text(run_json(report)) + "\n";
  if (format != Format::text) unsupported("a probe run", format);
  std::string out;
  for (const auto& entry : report.entries) out += entry_line(entry);
  for (const auto& change : report.changes) out += render_check_change(change);
  return out;
}

} // namespace health
