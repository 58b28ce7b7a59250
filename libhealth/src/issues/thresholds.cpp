#include <health/thresholds.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/query.hpp>

#include "base/enum_names.hpp"
#include "issues/import_json.hpp"
#include "issues/issues_db.hpp"
#include "issues/job_state.hpp"
#include "store/sqlite.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace health {

namespace {

constexpr EnumName<CheckState> k_state_names[] = {{CheckState::ok, "ok"},
                                                   {CheckState::warning, "warning"},
                                                   {CheckState::critical, "critical"},
                                                   {CheckState::no_data, "no_data"}};

std::optional<CheckState> state_of(std::string_view text) { return value_named(k_state_names, text); }

void validate(const Threshold& threshold) {
  for (const auto& [what, value] : {std::pair{"component", &threshold.key.component},
                                    std::pair{"metric", &threshold.key.metric}})
    if (auto problem = name_problem(what, *value))
      throw Error(ErrorKind::usage, *problem, "names use letters, digits and _ . : - (1 to 128)");
  if (!threshold.warn && !threshold.crit)
    throw Error(ErrorKind::usage, "a threshold needs --warn, --crit or both", "such as --warn 500 --crit 1000");
  if (threshold.window_ms <= 0) throw Error(ErrorKind::usage, "the window must be longer than 0");
  if (threshold.for_ms < 0) throw Error(ErrorKind::usage, "--for must not be negative");
}

void upsert(sqlite3* db, const Threshold& threshold) {
  if (!is_valid_utf8(threshold.description))
    throw Error(ErrorKind::bad_data, "the description of " +
                    series_display_name(threshold.key.component, threshold.key.metric, threshold.key.labels,
                                        NameStyle::words) + " is not valid UTF-8",
                "nothing was changed");
  validate(threshold);
  sqlite::Statement insert(db, "INSERT OR REPLACE INTO thresholds (component, metric, labels, warn, crit, agg, "
                               "window_ms, for_ms, enabled, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  const std::string labels = format_labels(threshold.key.labels);
  const std::string warn = threshold.warn ? threshold.warn->text() : "";
  const std::string crit = threshold.crit ? threshold.crit->text() : "";
  insert.bind(1, std::string_view(threshold.key.component)).bind(2, std::string_view(threshold.key.metric));
  insert.bind(3, std::string_view(labels)).bind(4, std::string_view(warn)).bind(5, std::string_view(crit));
  insert.bind(6, to_string(threshold.agg)).bind(7, threshold.window_ms).bind(8, threshold.for_ms);
  insert.bind(9, threshold.enabled ? 1 : 0).bind(10, std::string_view(threshold.description));
  insert.run();
}

std::vector<Threshold> read_thresholds(sqlite3* db) {
  sqlite::Statement query(
      db, "SELECT component, metric, labels, warn, crit, agg, window_ms, for_ms, enabled, description, "
          "last_checked, last_state, last_value, pending_since, "
          "(SELECT unit FROM series s WHERE s.component = t.component AND s.name = t.metric LIMIT 1) "
          "FROM thresholds t ORDER BY component, metric, labels");
  std::vector<Threshold> out;
  while (query.step()) {
    Threshold threshold;
    threshold.key.component = query.text(0);
    threshold.key.metric = query.text(1);
    threshold.key.labels = parse_labels(query.text(2)).value_or(Labels{});
    if (!query.text(3).empty()) threshold.warn = AlertRange::parse(query.text(3));
    if (!query.text(4).empty()) threshold.crit = AlertRange::parse(query.text(4));
    threshold.agg = parse_agg(query.text(5)).value_or(Agg::avg);
    threshold.window_ms = query.int64(6);
    threshold.for_ms = query.int64(7);
    threshold.enabled = query.int64(8) != 0;
    threshold.description = query.text(9);
    threshold.last_checked = query.optional_int64(10);
    if (!query.is_null(11)) threshold.last_state = state_of(query.text(11));
    threshold.last_value = query.optional_real(12);
    threshold.pending_since = query.optional_int64(13);
    threshold.unit = query.text(14);
    out.push_back(std::move(threshold));
  }
  return out;
}

// "p95 query_ms 1500 ms": the aggregate, the metric and the value with its
// unit (none for a count; per second for a rate).
std::string value_text(const Threshold& threshold, double value) {
  std::string out = std::string(to_string(threshold.agg)) + " " + threshold.key.metric + " " + display_number(value);
  if (threshold.agg == Agg::rate) return out + "/s";
  if (!threshold.unit.empty() && threshold.agg != Agg::count) out += " " + threshold.unit;
  return out;
}

void save_state(sqlite3* db, const IssueKey& key, const Evaluation& evaluation, Millis now,
                std::optional<Millis> pending_since) {
  sqlite::Statement update(db, "UPDATE thresholds SET last_checked = ?4, last_state = ?5, last_value = ?6, "
                               "pending_since = ?7 WHERE component = ?1 AND metric = ?2 AND labels = ?3");
  const std::string labels = format_labels(key.labels);
  update.bind(1, std::string_view(key.component)).bind(2, std::string_view(key.metric));
  update.bind(3, std::string_view(labels)).bind(4, now).bind(5, to_string(evaluation.state));
  update.bind(6, evaluation.value).bind(7, pending_since);
  update.run();
}

[[noreturn]] void bad_entry(const std::string& source, std::size_t index, const std::string& problem) {
  throw Error(ErrorKind::bad_data, source + ": threshold " + std::to_string(index) + ": " + problem,
              "nothing was imported");
}

} // namespace

std::string_view to_string(CheckState state) { return name_of(k_state_names, state); }

void set_threshold(Store& store, const Threshold& threshold) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  upsert(store.handle(), threshold);
  transaction.commit();
}

void remove_threshold(Store& store, const IssueKey& key) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  sqlite::Statement remove(store.handle(),
                           "DELETE FROM thresholds WHERE component = ?1 AND metric = ?2 AND labels = ?3");
  const std::string labels = format_labels(key.labels);
  remove.bind(1, std::string_view(key.component)).bind(2, std::string_view(key.metric));
  remove.bind(3, std::string_view(labels));
  remove.run();
  if (sqlite::changes(store.handle()) == 0)
    throw Error(ErrorKind::not_found,
                "no threshold for " + series_display_name(key.component, key.metric, key.labels, NameStyle::words),
                "see 'healthctl threshold list'");
  transaction.commit();
}

std::vector<Threshold> list_thresholds(Store& store) { return read_thresholds(store.handle()); }

std::vector<Threshold> parse_thresholds_json(std::string_view text, const std::string& source) {
  const nlohmann::json list = import_json::list_of(text, source, "thresholds");
  static const std::set<std::string> k_fields = {"component", "metric", "labels", "warn", "crit",
                                                 "agg", "window", "for", "enabled", "description"};
  std::vector<Threshold> out;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  std::size_t index = 0;
  for (const auto& entry : list) {
    ++index;
    if (!entry.is_object()) bad_entry(source, index, "not an object");
    for (const auto& [field, value] : entry.items())
      if (k_fields.count(field) == 0) bad_entry(source, index, "unknown field '" + field + "'");
    const auto text_field = [&](const char* name, bool required) -> std::optional<std::string> {
      if (!entry.contains(name) || entry[name].is_null()) {
        if (required) bad_entry(source, index, std::string("'") + name + "' is missing");
        return std::nullopt;
      }
      if (!entry[name].is_string()) bad_entry(source, index, std::string("'") + name + "' is not a string");
      return entry[name].get<std::string>();
    };
    try {
      Threshold threshold;
      threshold.key.component = *text_field("component", true);
      threshold.key.metric = *text_field("metric", true);
      if (entry.contains("labels")) {
        if (!entry["labels"].is_object()) bad_entry(source, index, "'labels' is not an object");
        std::vector<std::string> pairs;
        for (const auto& [key, value] : entry["labels"].items()) {
          if (!value.is_string()) bad_entry(source, index, "label '" + key + "' is not a string");
          pairs.push_back(key + "=" + value.get<std::string>());
        }
        threshold.key.labels = parse_label_args(pairs);
      }
      if (auto warn = text_field("warn", false)) threshold.warn = AlertRange::parse(*warn);
      if (auto crit = text_field("crit", false)) threshold.crit = AlertRange::parse(*crit);
      if (auto agg = text_field("agg", false)) threshold.agg = parse_agg_list({*agg}).front();
      if (auto window = text_field("window", false)) threshold.window_ms = parse_duration(*window);
      if (auto for_text = text_field("for", false)) threshold.for_ms = parse_duration(*for_text);
      if (entry.contains("enabled")) {
        if (!entry["enabled"].is_boolean()) bad_entry(source, index, "'enabled' is not true or false");
        threshold.enabled = entry["enabled"].get<bool>();
      }
      if (auto description = text_field("description", false)) threshold.description = *description;
      validate(threshold);
      if (!seen.emplace(threshold.key.component, threshold.key.metric, format_labels(threshold.key.labels)).second)
        bad_entry(source, index, "a second threshold for " + threshold.key.component + " " + threshold.key.metric);
      out.push_back(std::move(threshold));
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::bad_data) throw;
      bad_entry(source, index, error.what());
    }
  }
  return out;
}

void import_thresholds(Store& store, const std::vector<Threshold>& thresholds) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  for (const auto& threshold : thresholds) upsert(store.handle(), threshold);
  transaction.commit();
}

CheckResult run_check(Store& store, Millis now, const std::string& actor) {
  sqlite3* db = store.handle();
  sqlite::Transaction transaction(db, sqlite::TransactionKind::immediate);
  CheckResult result;
  result.checked_at = now;
  SampleScanner scanner(store, WithContext::no);
  StatsBuilder builder;
  for (auto& threshold : read_thresholds(db)) {
    if (!threshold.enabled) continue;
    Evaluation evaluation;
    SeriesFilter filter;
    filter.components = {threshold.key.component};
    filter.metrics = {threshold.key.metric};
    filter.labels = threshold.key.labels;
    const TimeRange range{now - threshold.window_ms, now};
    for (const auto& series : list_series(store, filter, WithStats::no))
      scanner.scan(series, range, [&](const SampleRow& row) { builder.add(row.ts, row.value); });
    const Stats stats = builder.finish(threshold.window_ms);
    const bool zero_when_empty =
        threshold.agg == Agg::count || threshold.agg == Agg::sum || threshold.agg == Agg::rate;
    std::optional<Millis> pending_since = threshold.pending_since;
    if (stats.count == 0 && !zero_when_empty) {
      evaluation.state = CheckState::no_data;
      evaluation.reason = "no samples of " + threshold.key.metric + " in the last " + format_duration(threshold.window_ms);
    } else {
      const double value = *stats.value(threshold.agg);
      evaluation.value = value;
      const AlertRange* fired = nullptr;
      if (threshold.crit && threshold.crit->alerts(value)) {
        evaluation.state = CheckState::critical;
        fired = &*threshold.crit;
      } else if (threshold.warn && threshold.warn->alerts(value)) {
        evaluation.state = CheckState::warning;
        fired = &*threshold.warn;
      }
      auto open = issues_db::find_open(db, threshold.key);
      if (fired == nullptr) {
        pending_since.reset();
        evaluation.reason = value_text(threshold, value) + " in range";
        if (open && open->source == IssueSource::threshold) {
          auto change = issues_db::resolve(db, *open, "back in range: " + evaluation.reason, actor, now);
          if (change.event) result.changes.push_back(std::move(change));
        }
      } else {
        evaluation.reason = value_text(threshold, value) + " " + fired->describe();
        // A breach opens an issue once it has held for `for`; an open one
        // follows it at once.
        if (!open && !pending_since) pending_since = now;
        if (open || now - *pending_since >= threshold.for_ms) {
          pending_since.reset();
          IssueReport report;
          report.key = threshold.key;
          report.severity = evaluation.state == CheckState::critical ? Severity::critical : Severity::warning;
          report.reason = evaluation.reason;
          report.value = value;
          report.threshold = fired->crossed_bound(value);
          report.source = IssueSource::threshold;
          report.actor = actor;
          report.at = now;
          auto change = issues_db::report(db, report);
          if (change.event) result.changes.push_back(std::move(change));
        } else {
          evaluation.pending = true;
        }
      }
    }
    save_state(db, threshold.key, evaluation, now, pending_since);
    threshold.last_checked = now;
    threshold.last_state = evaluation.state;
    threshold.last_value = evaluation.value;
    threshold.pending_since = pending_since;
    evaluation.threshold = std::move(threshold);
    result.evaluations.push_back(std::move(evaluation));
  }
  job_state::check_stale(db, now, actor, result);
  transaction.commit();
  return result;
}

} // namespace health
