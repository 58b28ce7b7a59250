#include "issues/probes_db.hpp"

#include <health/names.hpp>

#include "store/sqlite.hpp"

#include <sstream>

namespace health::probes_db {

namespace {

constexpr const char* k_columns =
    "name, kind, target, expect_status, body_contains, body_regex, headers, tls_verify, max_age_ms, min_size, "
    "query, warn_range, crit_range, component, labels, depends_on, every_ms, timeout_ms, retries, fail_after, "
    "critical_after, breaker_after, breaker_open_ms, breaker_max_ms, breaker_trials, enabled, created_at, "
    "started_at, last_run_at, last_result, last_message, last_latency_ms, failures, circuit, circuit_until, "
    "circuit_open_ms, trial_successes, running_until";

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

ProbeSpec spec_of(const sqlite::Statement& row) {
  ProbeSpec spec;
  spec.name = row.text(0);
  spec.kind = parse_probe_kind(row.text(1)).value_or(ProbeKind::tcp);
  spec.target = row.text(2);
  spec.expect_status = row.text(3);
  spec.body_contains = row.text(4);
  spec.body_regex = row.text(5);
  spec.headers = split_lines(row.text(6));
  spec.tls_verify = row.int64(7) != 0;
  spec.max_age = row.optional_int64(8);
  spec.min_size = row.optional_int64(9);
  spec.query = row.text(10);
  spec.warn_range = row.text(11);
  spec.crit_range = row.text(12);
  spec.component = row.text(13);
  spec.labels = parse_labels(row.text(14)).value_or(Labels{});
  spec.depends_on = split_lines(row.text(15));
  spec.every = row.int64(16);
  spec.timeout = row.int64(17);
  spec.retries = static_cast<int>(row.int64(18));
  spec.fail_after = static_cast<int>(row.int64(19));
  if (auto after = row.optional_int64(20)) spec.critical_after = static_cast<int>(*after);
  spec.breaker_after = static_cast<int>(row.int64(21));
  spec.breaker_open = row.int64(22);
  spec.breaker_max = row.int64(23);
  spec.breaker_trials = static_cast<int>(row.int64(24));
  spec.enabled = row.int64(25) != 0;
  return spec;
}

ProbeState state_of(const sqlite::Statement& row) {
  ProbeState state;
  state.created_at = row.int64(26);
  state.started_at = row.optional_int64(27);
  state.last_run_at = row.optional_int64(28);
  if (!row.is_null(29)) {
    const auto text = row.text(29);
    for (auto result : {ProbeResult::ok, ProbeResult::warning, ProbeResult::critical, ProbeResult::unknown})
      if (to_string(result) == text) state.last_result = result;
  }
  state.last_message = row.text(30);
  state.last_latency_ms = row.optional_real(31);
  state.failures = static_cast<int>(row.int64(32));
  const auto circuit = row.text(33);
  state.circuit = circuit == "open" ? Circuit::open : circuit == "half-open" ? Circuit::half_open : Circuit::closed;
  state.circuit_until = row.optional_int64(34);
  state.circuit_open_for = row.optional_int64(35);
  state.trial_successes = static_cast<int>(row.int64(36));
  state.running_until = row.optional_int64(37);
  return state;
}

} // namespace

std::vector<Probe> read(sqlite3* db, const std::vector<std::string>& names) {
  std::vector<Probe> out;
  const std::string select = std::string("SELECT ") + k_columns + " FROM probes";
  if (names.empty()) {
    sqlite::Statement query(db, select + " ORDER BY name");
    while (query.step()) out.push_back({spec_of(query), state_of(query)});
    return out;
  }
  sqlite::Statement query(db, select + " WHERE name = ?1");
  for (const auto& name : names) {
    query.reset();
    query.bind(1, std::string_view(name));
    if (query.step()) out.push_back({spec_of(query), state_of(query)});
  }
  return out;
}

bool exists(sqlite3* db, const std::string& name) {
  sqlite::Statement query(db, "SELECT 1 FROM probes WHERE name = ?1");
  query.bind(1, std::string_view(name));
  return query.step();
}

void write_spec(sqlite3* db, const ProbeSpec& spec, Millis now) {
  sqlite::Statement upsert(
      db, "INSERT INTO probes (name, kind, target, expect_status, body_contains, body_regex, headers, tls_verify, "
          "max_age_ms, min_size, query, warn_range, crit_range, component, labels, depends_on, every_ms, "
          "timeout_ms, retries, fail_after, critical_after, breaker_after, breaker_open_ms, breaker_max_ms, "
          "breaker_trials, enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
          "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27) ON CONFLICT (name) DO UPDATE SET "
          "kind = ?2, target = ?3, expect_status = ?4, body_contains = ?5, body_regex = ?6, headers = ?7, "
          "tls_verify = ?8, max_age_ms = ?9, min_size = ?10, query = ?11, warn_range = ?12, crit_range = ?13, "
          "component = ?14, labels = ?15, depends_on = ?16, every_ms = ?17, timeout_ms = ?18, retries = ?19, "
          "fail_after = ?20, critical_after = ?21, breaker_after = ?22, breaker_open_ms = ?23, "
          "breaker_max_ms = ?24, breaker_trials = ?25, enabled = ?26");
  const std::string headers = joined_lines(spec.headers), depends = joined_lines(spec.depends_on);
  const std::string labels = format_labels(spec.labels);
  upsert.bind(1, std::string_view(spec.name)).bind(2, to_string(spec.kind)).bind(3, std::string_view(spec.target));
  upsert.bind(4, std::string_view(spec.expect_status)).bind(5, std::string_view(spec.body_contains));
  upsert.bind(6, std::string_view(spec.body_regex)).bind(7, std::string_view(headers));
  upsert.bind(8, spec.tls_verify ? 1 : 0);
  upsert.bind(9, spec.max_age);
  upsert.bind(10, spec.min_size);
  upsert.bind(11, std::string_view(spec.query)).bind(12, std::string_view(spec.warn_range));
  upsert.bind(13, std::string_view(spec.crit_range)).bind(14, std::string_view(spec.component));
  upsert.bind(15, std::string_view(labels)).bind(16, std::string_view(depends)).bind(17, spec.every);
  upsert.bind(18, spec.timeout).bind(19, spec.retries).bind(20, spec.fail_after);
  upsert.bind(21, spec.critical_after ? std::optional<std::int64_t>(*spec.critical_after) : std::nullopt);
  upsert.bind(22, spec.breaker_after).bind(23, spec.breaker_open).bind(24, spec.breaker_max);
  upsert.bind(25, spec.breaker_trials).bind(26, spec.enabled ? 1 : 0).bind(27, now);
  upsert.run();
}

void write_state(sqlite3* db, const std::string& name, const ProbeState& state) {
  sqlite::Statement update(db, "UPDATE probes SET started_at = ?2, last_run_at = ?3, last_result = ?4, "
                               "last_message = ?5, last_latency_ms = ?6, failures = ?7, circuit = ?8, "
                               "circuit_until = ?9, circuit_open_ms = ?10, trial_successes = ?11, running_until = ?12 "
                               "WHERE name = ?1");
  update.bind(1, std::string_view(name));
  update.bind(2, state.started_at);
  update.bind(3, state.last_run_at);
  if (state.last_result)
    update.bind(4, to_string(*state.last_result));
  else
    update.bind_null(4);
  update.bind(5, std::string_view(state.last_message));
  update.bind(6, state.last_latency_ms);
  update.bind(7, state.failures).bind(8, to_string(state.circuit));
  update.bind(9, state.circuit_until);
  update.bind(10, state.circuit_open_for);
  update.bind(11, state.trial_successes);
  update.bind(12, state.running_until);
  update.run();
}

void set_enabled(sqlite3* db, const std::string& name, bool enabled) {
  sqlite::Statement update(db, "UPDATE probes SET enabled = ?2 WHERE name = ?1");
  update.bind(1, std::string_view(name)).bind(2, enabled ? 1 : 0);
  update.run();
}

void remove(sqlite3* db, const std::string& name) {
  sqlite::Statement remove(db, "DELETE FROM probes WHERE name = ?1");
  remove.bind(1, std::string_view(name));
  remove.run();
}

} // namespace health::probes_db
