#include <health/probes.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/range.hpp>
#include <health/url.hpp>

#include "base/enum_names.hpp"
#include "issues/probes_db.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <regex.h>

namespace health {

namespace {

constexpr EnumName<ProbeKind> k_kind_names[] = {{ProbeKind::http, "http"},
                                                 {ProbeKind::tcp, "tcp"},
                                                 {ProbeKind::exec, "exec"},
                                                 {ProbeKind::file, "file"},
                                                 {ProbeKind::sqlite, "sqlite"}};
constexpr EnumName<ProbeResult> k_result_names[] = {{ProbeResult::ok, "ok"},
                                                     {ProbeResult::warning, "warning"},
                                                     {ProbeResult::critical, "critical"},
                                                     {ProbeResult::unknown, "unknown"}};
constexpr EnumName<Circuit> k_circuit_names[] = {
    {Circuit::closed, "closed"}, {Circuit::open, "open"}, {Circuit::half_open, "half-open"}};

[[noreturn]] void bad_probe(const std::string& what, const std::string& hint = {}) {
  throw Error(ErrorKind::usage, what, hint);
}

void check_count(std::string_view flag, int value, int low, int high) {
  if (value < low || value > high)
    bad_probe(std::string(flag) + " must be " + std::to_string(low) + " to " + std::to_string(high) + ", not " +
              std::to_string(value));
}

void check_tcp_target(const std::string& target) {
  const auto colon = target.rfind(':');
  const std::string host = colon == std::string::npos ? "" : target.substr(0, colon);
  const auto port = colon == std::string::npos ? std::nullopt : parse_whole_number(target.substr(colon + 1));
  if (host.empty() || host == "[]" || !port || *port < 1 || *port > 65535)
    bad_probe("'" + target + "' is not HOST:PORT", "such as --tcp db.internal:5432 or --tcp [::1]:8080");
}

// Whether the options of other kinds were left alone.
void check_kind_options(const ProbeSpec& spec) {
  const auto only = [&](bool given, ProbeKind kind, std::string_view flag) {
    if (given && spec.kind != kind)
      bad_probe(std::string(flag) + " applies to --" + std::string(to_string(kind)) + " probes only");
  };
  only(!spec.expect_status.empty(), ProbeKind::http, "--expect-status");
  only(!spec.body_contains.empty(), ProbeKind::http, "--body-contains");
  only(!spec.body_regex.empty(), ProbeKind::http, "--body-regex");
  only(!spec.headers.empty(), ProbeKind::http, "--header");
  only(!spec.tls_verify, ProbeKind::http, "--insecure");
  only(spec.max_age.has_value(), ProbeKind::file, "--max-age");
  only(spec.min_size.has_value(), ProbeKind::file, "--min-size");
  only(!spec.query.empty(), ProbeKind::sqlite, "--query");
  only(!spec.warn_range.empty(), ProbeKind::sqlite, "--warn");
  only(!spec.crit_range.empty(), ProbeKind::sqlite, "--crit");
}

void check_http(const ProbeSpec& spec) {
  parse_url(spec.target);
  if (!spec.expect_status.empty() && !parse_status_list(spec.expect_status))
    bad_probe("--expect-status '" + spec.expect_status + "' is not a list of codes and ranges",
              "such as 200, 200-299 or 200,204,301-308");
  if (!spec.body_regex.empty()) {
    regex_t compiled;
    const int rc = ::regcomp(&compiled, spec.body_regex.c_str(), REG_EXTENDED | REG_NOSUB);
    if (rc != 0)
      bad_probe("--body-regex '" + spec.body_regex + "' is not a regular expression",
                "POSIX extended syntax, as grep -E takes");
    ::regfree(&compiled);
  }
  for (const auto& header : spec.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0 ||
        header.find_first_of("\r\n") != std::string::npos || name_problem("header", header.substr(0, colon)))
      bad_probe("--header '" + header + "' is not 'Name: value'", "such as --header 'Accept: application/json'");
  }
}

void check_target(const ProbeSpec& spec) {
  if (spec.target.empty()) bad_probe("the probe has no target", "give --http, --tcp, --exec, --file or --sqlite");
  if (spec.target.find('\0') != std::string::npos || !is_valid_utf8(spec.target))
    bad_probe("the target of probe " + spec.name + " is not valid text");
  switch (spec.kind) {
  case ProbeKind::http: check_http(spec); break;
  case ProbeKind::tcp: check_tcp_target(spec.target); break;
  case ProbeKind::exec: break;
  case ProbeKind::file:
    if (spec.max_age && *spec.max_age <= 0) bad_probe("--max-age must be longer than 0");
    if (spec.min_size && *spec.min_size < 0) bad_probe("--min-size must not be negative");
    break;
  case ProbeKind::sqlite:
    if (spec.query.empty()) bad_probe("a --sqlite probe needs --query", "such as --query 'SELECT count(*) FROM jobs'");
    if (!spec.warn_range.empty()) AlertRange::parse(spec.warn_range);
    if (!spec.crit_range.empty()) AlertRange::parse(spec.crit_range);
    break;
  }
}

void check_schedule(const ProbeSpec& spec) {
  if (spec.every < k_second_ms) bad_probe("--every must be at least 1s");
  if (spec.timeout <= 0) bad_probe("--timeout must be longer than 0");
  check_count("--retries", spec.retries, 0, 10);
  check_count("--fail-after", spec.fail_after, 1, 1000000);
  if (spec.critical_after) check_count("--critical-after", *spec.critical_after, spec.fail_after, 1000000);
  check_count("--breaker-after", spec.breaker_after, 0, 1000000);
  check_count("--breaker-trials", spec.breaker_trials, 1, 1000);
  if (spec.breaker_open <= 0) bad_probe("--breaker-open must be longer than 0");
  if (spec.breaker_max < spec.breaker_open) bad_probe("--breaker-max must be at least --breaker-open");
}

const std::string& component_of(const ProbeSpec& spec) { return spec.component.empty() ? spec.name : spec.component; }

} // namespace

std::string_view to_string(ProbeKind kind) { return name_of(k_kind_names, kind); }
std::string_view to_string(ProbeResult result) { return name_of(k_result_names, result); }
std::string_view to_string(Circuit circuit) { return name_of(k_circuit_names, circuit); }
std::optional<ProbeKind> parse_probe_kind(std::string_view text) { return value_named(k_kind_names, text); }

std::optional<std::vector<std::pair<int, int>>> parse_status_list(std::string_view text) {
  std::vector<std::pair<int, int>> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const auto part = text.substr(start, comma - start);
    const auto dash = part.find('-');
    const auto low = parse_whole_number(part.substr(0, dash));
    const auto high = dash == std::string_view::npos ? low : parse_whole_number(part.substr(dash + 1));
    if (!low || !high || *low < 100 || *high > 599 || *low > *high) return std::nullopt;
    out.emplace_back(static_cast<int>(*low), static_cast<int>(*high));
    start = comma + 1;
  }
  return out;
}

bool status_expected(const ProbeSpec& spec, int status) {
  const auto list = parse_status_list(spec.expect_status.empty() ? "200-399" : spec.expect_status);
  return list && std::any_of(list->begin(), list->end(),
                             [status](const auto& range) { return status >= range.first && status <= range.second; });
}

std::string probe_component(const ProbeSpec& spec) { return component_of(spec); }

Labels probe_labels(const ProbeSpec& spec) {
  Labels labels = spec.labels;
  labels.emplace_back("probe", spec.name);
  normalize_labels(labels);
  return labels;
}

void validate_probe(const ProbeSpec& spec) {
  if (auto problem = name_problem("probe name", spec.name))
    bad_probe(*problem, "names use letters, digits and _ . : - (1 to 128)");
  if (auto problem = name_problem("component", component_of(spec)))
    bad_probe(*problem, "names use letters, digits and _ . : - (1 to 128)");
  for (const auto& [key, value] : spec.labels)
    if (key == "probe") bad_probe("the label 'probe' is the probe's name", "choose another label name");
  Labels labels = probe_labels(spec);
  if (auto problem = normalize_labels(labels)) bad_probe(*problem);
  check_kind_options(spec);
  check_target(spec);
  check_schedule(spec);
  for (const auto& other : spec.depends_on)
    if (other == spec.name) bad_probe("probe " + spec.name + " cannot depend on itself");
}

namespace {

void check_dependencies(sqlite3* db, const std::string& changed) {
  std::map<std::string, std::vector<std::string>> graph;
  for (const auto& probe : probes_db::read(db, {})) graph[probe.spec.name] = probe.spec.depends_on;
  for (const auto& other : graph[changed])
    if (graph.count(other) == 0)
      bad_probe("probe " + changed + " depends on " + other + ", which is not a probe",
                "add " + other + " first, or import both together");
  // A cycle through `changed`: walk its dependencies looking for it.
  std::set<std::string> seen;
  const std::function<bool(const std::string&)> reaches = [&](const std::string& name) {
    if (!seen.insert(name).second) return false;
    for (const auto& next : graph[name])
      if (next == changed || reaches(next)) return true;
    return false;
  };
  if (reaches(changed)) bad_probe("probe " + changed + "'s dependencies lead back to it", "remove one --depends-on");
}

void add_one(sqlite3* db, const ProbeSpec& spec, Replace replace, Millis now) {
  validate_probe(spec);
  const bool exists = probes_db::exists(db, spec.name);
  if (exists && replace == Replace::no)
    bad_probe("probe " + spec.name + " exists", "remove it first, or use --replace");
  probes_db::write_spec(db, spec, now);
}

Probe only_probe(sqlite3* db, const std::string& name) {
  auto found = probes_db::read(db, {name});
  if (found.empty()) throw Error(ErrorKind::not_found, "no probe named " + name, "see 'healthctl probe list'");
  return std::move(found.front());
}

} // namespace

void add_probe(Store& store, const ProbeSpec& spec, Replace replace, Millis now) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  add_one(store.handle(), spec, replace, now);
  check_dependencies(store.handle(), spec.name);
  transaction.commit();
}

std::vector<Probe> list_probes(Store& store) { return probes_db::read(store.handle(), {}); }

Probe get_probe(Store& store, const std::string& name) { return only_probe(store.handle(), name); }

void remove_probe(Store& store, const std::string& name) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  only_probe(store.handle(), name);
  for (const auto& probe : probes_db::read(store.handle(), {}))
    if (std::count(probe.spec.depends_on.begin(), probe.spec.depends_on.end(), name) != 0)
      bad_probe("probe " + probe.spec.name + " depends on " + name,
                "remove that dependency first: healthctl probe add " + probe.spec.name + " ... --replace");
  probes_db::remove(store.handle(), name);
  transaction.commit();
}

void set_probe_enabled(Store& store, const std::string& name, bool enabled) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  only_probe(store.handle(), name);
  probes_db::set_enabled(store.handle(), name, enabled);
  transaction.commit();
}

void reset_probe(Store& store, const std::string& name) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  auto probe = only_probe(store.handle(), name);
  probe.state.failures = 0;
  probe.state.circuit = Circuit::closed;
  probe.state.circuit_until.reset();
  probe.state.circuit_open_for.reset();
  probe.state.trial_successes = 0;
  probes_db::write_state(store.handle(), name, probe.state);
  transaction.commit();
}

void import_probes(Store& store, const std::vector<ProbeSpec>& specs, Millis now) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  for (const auto& spec : specs) add_one(store.handle(), spec, Replace::yes, now);
  for (const auto& spec : specs) check_dependencies(store.handle(), spec.name);
  transaction.commit();
}

} // namespace health
