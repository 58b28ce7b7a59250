#pragma once
// JSON inside render/: documents are built as nlohmann::ordered_json (the
// key order is the contract) and written by json_text, which writes exactly
// what our text building blocks write (format.hpp): every number in its
// shortest round-trip form. Only indented output (threshold export) uses
// nlohmann's dump. Private: nlohmann stays out of the public headers.

#include <health/backup.hpp>
#include <health/cleanup.hpp>
#include <health/issues.hpp>
#include <health/render.hpp>
#include <health/status.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace health {

using Json = nlohmann::ordered_json;

// `value` as compact text: strings by append_json_string, integers in full,
// other numbers by append_statistic, no spaces.
std::string json_text(const Json& value);

// Appends `value` as json_text does; for both nlohmann types (ordered_json
// keeps insertion order, json sorts its keys).
template <typename AnyJson> void append_json(std::string& out, const AnyJson& value);

// `value` as text: compact by append_json (`indent` < 0), or indented by
// nlohmann's dump with bytes that are not UTF-8 replaced by U+FFFD instead of
// an exception. Whatever a file holds, the JSON printed is valid.
template <typename AnyJson> std::string dump_json(const AnyJson& value, int indent = -1) {
  if (indent < 0) {
    std::string out;
    append_json(out, value);
    return out;
  }
  return value.dump(indent, ' ', false, AnyJson::error_handler_t::replace);
}

// A statistic as a JSON number, null when absent or not finite. A whole
// value is stored as an integer, so that nlohmann's indented dump writes
// "2500" and not "2500.0"; -0 stays a double, so that json_text writes "-0"
// as append_statistic does.
Json statistic_json(double value);
Json statistic_json(const std::optional<double>& value);
// RFC 3339 UTC, or null.
Json time_json(const std::optional<Millis>& t);
Json labels_json(const Labels& labels);

// The issue json of DESIGN.md sections 3 and 5, with duration_minutes at
// `now` and its events (render/issues.cpp).
Json issue_json(const Issue& issue, Millis now);
Json event_json(const IssueEvent& event);

// The status json of DESIGN.md section 5 (render/health_report.cpp).
Json status_json(const HealthReport& report);

// last_backup, last_success, last_verified (each null or {at, path, ok,
// duration_ms, bytes, detail}), attempts_30d, successes_30d, success_rate
// (render/lifecycle.cpp).
Json backup_status_json(const BackupStatus& status);
// check's JSON document (healthctl-check(1)), also inside maintain's.
Json check_document(const CheckResult& result, HealthStatus status, const std::vector<HookRun>& hooks);
// cleanup's JSON document (healthctl-cleanup(1)), also inside maintain's.
Json cleanup_document(const CleanupReport& report, DryRun dry_run);

} // namespace health
