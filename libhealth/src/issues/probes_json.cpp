// Reading `probe import`'s JSON: the document render_probes_json writes.

#include <health/probes.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>

#include "issues/import_json.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace health {

namespace {

struct Entry {
  const nlohmann::json& json;
  const std::string& source;
  std::size_t index;

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(ErrorKind::bad_data, source + ": probe " + std::to_string(index) + ": " + problem,
                "nothing was imported");
  }
  bool has(const char* field) const { return json.contains(field) && !json[field].is_null(); }
  std::string text(const char* field) const {
    if (!has(field)) return {};
    if (!json[field].is_string()) fail(std::string("'") + field + "' is not a string");
    return json[field].get<std::string>();
  }
  Millis duration(const char* field, Millis fallback) const {
    return has(field) ? parse_duration(text(field)) : fallback;
  }
  std::int64_t whole(const char* field, std::int64_t fallback) const {
    if (!has(field)) return fallback;
    if (!json[field].is_number_integer()) fail(std::string("'") + field + "' is not a whole number");
    const auto value = json[field].get<std::int64_t>();
    if (value < 0 || value > 1000000000) fail(std::string("'") + field + "' is out of range");
    return value;
  }
  bool flag(const char* field, bool fallback) const {
    if (!has(field)) return fallback;
    if (!json[field].is_boolean()) fail(std::string("'") + field + "' is not true or false");
    return json[field].get<bool>();
  }
  std::vector<std::string> texts(const char* field) const {
    std::vector<std::string> out;
    if (!has(field)) return out;
    if (!json[field].is_array()) fail(std::string("'") + field + "' is not a list");
    for (const auto& each : json[field]) {
      if (!each.is_string()) fail(std::string("'") + field + "' holds something other than text");
      out.push_back(each.get<std::string>());
    }
    return out;
  }
  Labels labels() const {
    if (!has("labels")) return {};
    if (!json["labels"].is_object()) fail("'labels' is not an object");
    std::vector<std::string> pairs;
    for (const auto& [key, value] : json["labels"].items()) {
      if (!value.is_string()) fail("label '" + key + "' is not a string");
      pairs.push_back(key + "=" + value.get<std::string>());
    }
    return parse_label_args(pairs);
  }
};

const std::set<std::string> k_fields = {
    "name",       "kind",          "target",        "expect_status", "body_contains", "body_regex",
    "headers",    "tls_verify",    "max_age",       "min_size",      "query",         "warn",
    "crit",       "component",     "labels",        "depends_on",    "every",         "timeout",
    "retries",    "fail_after",    "critical_after", "breaker_after", "breaker_open", "breaker_max",
    "breaker_trials", "enabled", "state"}; // state: what `probe list --format json` adds, ignored

ProbeSpec spec_of(const Entry& entry) {
  ProbeSpec spec;
  spec.name = entry.text("name");
  const auto kind = parse_probe_kind(entry.text("kind"));
  if (!kind) entry.fail("'kind' is not one of http, tcp, exec, file, sqlite");
  spec.kind = *kind;
  spec.target = entry.text("target");
  spec.expect_status = entry.text("expect_status");
  spec.body_contains = entry.text("body_contains");
  spec.body_regex = entry.text("body_regex");
  spec.headers = entry.texts("headers");
  spec.tls_verify = entry.flag("tls_verify", true);
  if (entry.has("max_age")) spec.max_age = entry.duration("max_age", 0);
  if (entry.has("min_size")) spec.min_size = entry.whole("min_size", 0);
  spec.query = entry.text("query");
  spec.warn_range = entry.text("warn");
  spec.crit_range = entry.text("crit");
  spec.component = entry.text("component");
  spec.labels = entry.labels();
  spec.depends_on = entry.texts("depends_on");
  spec.every = entry.duration("every", spec.every);
  spec.timeout = entry.duration("timeout", spec.timeout);
  spec.retries = static_cast<int>(entry.whole("retries", spec.retries));
  spec.fail_after = static_cast<int>(entry.whole("fail_after", spec.fail_after));
  if (entry.has("critical_after")) spec.critical_after = static_cast<int>(entry.whole("critical_after", 0));
  spec.breaker_after = static_cast<int>(entry.whole("breaker_after", spec.breaker_after));
  spec.breaker_open = entry.duration("breaker_open", spec.breaker_open);
  spec.breaker_max = entry.duration("breaker_max", spec.breaker_max);
  spec.breaker_trials = static_cast<int>(entry.whole("breaker_trials", spec.breaker_trials));
  spec.enabled = entry.flag("enabled", true);
  return spec;
}

} // namespace

std::vector<ProbeSpec> parse_probes_json(std::string_view text, const std::string& source) {
  const nlohmann::json list = import_json::list_of(text, source, "probes");
  std::vector<ProbeSpec> out;
  std::set<std::string> names;
  std::size_t index = 0;
  for (const auto& json : list) {
    const Entry entry{json, source, ++index};
    if (!json.is_object()) entry.fail("not an object");
    for (const auto& [field, value] : json.items())
      if (k_fields.count(field) == 0) entry.fail("unknown field '" + field + "'");
    try {
      auto spec = spec_of(entry);
      validate_probe(spec);
      if (!names.insert(spec.name).second) entry.fail("probe " + spec.name + " is listed twice");
      out.push_back(std::move(spec));
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::bad_data) throw;
      entry.fail(error.what());
    }
  }
  return out;
}

} // namespace health
