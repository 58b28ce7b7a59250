#include <health/issues.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/query.hpp>

#include "base/enum_names.hpp"
#include "issues/issues_db.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <limits>

namespace health {

namespace {

constexpr const char* k_issue_columns =
    "id, component, metric, labels, severity, status, reason, current_value, threshold_value, "
    "first_detected, last_updated, resolved_at, occurrences, source";

// Each enum's names, for printing and for reading rows back (a name the
// table does not know reads as the first entry).
constexpr EnumName<Severity> k_severity_names[] = {{Severity::warning, "warning"}, {Severity::critical, "critical"}};
constexpr EnumName<IssueStatus> k_status_names[] = {
    {IssueStatus::active, "active"}, {IssueStatus::acknowledged, "acknowledged"}, {IssueStatus::resolved, "resolved"}};
constexpr EnumName<IssueSource> k_source_names[] = {
    {IssueSource::manual, "manual"}, {IssueSource::threshold, "threshold"}, {IssueSource::run, "run"}};

Severity severity_of(std::string_view text) {
  return value_named(k_severity_names, text).value_or(Severity::warning);
}
IssueStatus status_of(std::string_view text) {
  return value_named(k_status_names, text).value_or(IssueStatus::active);
}
IssueSource source_of(std::string_view text) {
  return value_named(k_source_names, text).value_or(IssueSource::manual);
}

Issue read_issue(const sqlite::Statement& row) {
  Issue issue;
  issue.id = row.int64(0);
  issue.key.component = row.text(1);
  issue.key.metric = row.text(2);
  issue.key.labels = parse_labels(row.text(3)).value_or(Labels{});
  issue.severity = severity_of(row.text(4));
  issue.status = status_of(row.text(5));
  issue.reason = row.text(6);
  issue.current_value = row.optional_real(7);
  issue.threshold_value = row.optional_real(8);
  issue.first_detected = row.int64(9);
  issue.last_updated = row.int64(10);
  issue.resolved_at = row.optional_int64(11);
  issue.occurrences = row.int64(12);
  issue.source = source_of(row.text(13));
  return issue;
}

// Writes the issue's mutable fields back.
void save(sqlite3* db, const Issue& issue) {
  sqlite::Statement update(db, "UPDATE issues SET severity = ?2, status = ?3, reason = ?4, current_value = ?5, "
                               "threshold_value = ?6, last_updated = ?7, resolved_at = ?8, occurrences = ?9 "
                               "WHERE id = ?1");
  update.bind(1, issue.id)
      .bind(2, to_string(issue.severity))
      .bind(3, to_string(issue.status))
      .bind(4, std::string_view(issue.reason));
  update.bind(5, issue.current_value).bind(6, issue.threshold_value).bind(7, issue.last_updated);
  update.bind(8, issue.resolved_at).bind(9, issue.occurrences);
  update.run();
}

IssueEvent add_event(sqlite3* db, const Issue& issue, std::string kind, const std::string& actor,
                     const std::string& note, std::optional<Severity> previous, Millis at) {
  // Every reason, note and actor comes through here: text that is not UTF-8
  // would make every JSON reader of the issue fail.
  for (const auto& [what, text] : {std::pair{"the note", &note}, std::pair{"the actor", &actor}})
    if (!is_valid_utf8(*text))
      throw Error(ErrorKind::bad_data, std::string(what) + " is not valid UTF-8", "nothing was changed");
  IssueEvent event;
  event.at = at;
  event.kind = std::move(kind);
  event.actor = actor;
  event.note = note;
  event.previous_severity = previous;
  event.severity = issue.severity;
  event.value = issue.current_value;
  sqlite::Statement insert(db, "INSERT INTO issue_events (issue_id, at, kind, actor, note, previous_severity, "
                               "severity, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.bind(1, issue.id).bind(2, at).bind(3, std::string_view(event.kind)).bind(4, std::string_view(actor));
  insert.bind(5, std::string_view(note));
  if (previous)
    insert.bind(6, to_string(*previous));
  else
    insert.bind_null(6);
  insert.bind(7, to_string(issue.severity));
  insert.bind(8, issue.current_value);
  insert.run();
  event.id = sqlite::last_insert_rowid(db);
  return event;
}

std::optional<Issue> find_by_id(sqlite3* db, std::int64_t id) {
  sqlite::Statement query(db, std::string("SELECT ") + k_issue_columns + " FROM issues WHERE id = ?1");
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  return read_issue(query);
}

Issue require_issue(sqlite3* db, std::int64_t id) {
  auto issue = find_by_id(db, id);
  if (!issue)
    throw Error(ErrorKind::not_found, "no issue " + std::to_string(id), "see 'healthctl issue list --status all'");
  return *issue;
}

// The most recent resolved issue of `key`, resolved at or after `since`.
std::optional<Issue> find_recently_resolved(sqlite3* db, const IssueKey& key, Millis since) {
  sqlite::Statement query(db, std::string("SELECT ") + k_issue_columns +
                                  " FROM issues WHERE component = ?1 AND metric = ?2 AND labels = ?3 "
                                  "AND status = 'resolved' AND resolved_at >= ?4 ORDER BY resolved_at DESC LIMIT 1");
  const std::string labels = format_labels(key.labels);
  query.bind(1, std::string_view(key.component)).bind(2, std::string_view(key.metric));
  query.bind(3, std::string_view(labels)).bind(4, since);
  if (!query.step()) return std::nullopt;
  return read_issue(query);
}

void check_key(const IssueKey& key) {
  for (const auto& [what, value] : {std::pair{"component", &key.component}, std::pair{"metric", &key.metric}}) {
    if (auto problem = name_problem(what, *value))
      throw Error(ErrorKind::usage, *problem, "names use letters, digits and _ . : - (1 to 128)");
  }
}

template <typename Action>
auto in_write_transaction(Store& store, Action&& action) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  auto result = action(store.handle());
  transaction.commit();
  return result;
}

} // namespace

std::string_view to_string(Severity severity) { return name_of(k_severity_names, severity); }
std::string_view to_string(IssueStatus status) { return name_of(k_status_names, status); }
std::string_view to_string(IssueSource source) { return name_of(k_source_names, source); }

Severity parse_severity(std::string_view text) {
  if (const auto severity = value_named(k_severity_names, text)) return *severity;
  throw Error(ErrorKind::usage, "invalid severity '" + std::string(text) + "'", "use warning or critical");
}

std::optional<Issue> issue_as_of(const Issue& issue, Millis at) {
  if (issue.first_detected > at) return std::nullopt;
  if (std::none_of(issue.events.begin(), issue.events.end(), [at](const IssueEvent& e) { return e.at > at; }))
    return issue;
  Issue then = issue;
  then.events.clear();
  then.occurrences = 0;
  for (const IssueEvent& event : issue.events) {
    if (event.at > at) break;
    then.events.push_back(event);
    then.last_updated = event.at;
    if (event.severity) then.severity = *event.severity;
    if (event.value) then.current_value = event.value;
    if (event.kind == "resolved") {
      then.status = IssueStatus::resolved;
      then.resolved_at = event.at;
      continue;
    }
    if (event.kind == "acknowledged") {
      then.status = IssueStatus::acknowledged;
      continue;
    }
    if (event.kind == "note") continue;
    // opened, reopened, escalated (to critical), de-escalated, updated: a report
    if (event.kind == "opened" || event.kind == "reopened" || event.kind == "escalated")
      then.status = IssueStatus::active;
    if (event.kind == "opened" || event.kind == "reopened") then.resolved_at.reset();
    if (!event.note.empty()) then.reason = event.note;
    ++then.occurrences;
  }
  return then;
}

double Issue::duration_minutes(Millis now) const {
  const Millis end = resolved_at.value_or(now);
  return static_cast<double>(std::max<Millis>(0, end - first_detected)) / static_cast<double>(k_minute_ms);
}

namespace issues_db {

std::optional<Issue> find_open(sqlite3* db, const IssueKey& key) {
  sqlite::Statement query(db, std::string("SELECT ") + k_issue_columns +
                                  " FROM issues WHERE component = ?1 AND metric = ?2 AND labels = ?3 "
                                  "AND status <> 'resolved'");
  const std::string labels = format_labels(key.labels);
  query.bind(1, std::string_view(key.component)).bind(2, std::string_view(key.metric));
  query.bind(3, std::string_view(labels));
  if (!query.step()) return std::nullopt;
  return read_issue(query);
}

namespace {

// Makes `issue` active with what `report` says (severity, reason, values).
void activate(Issue& issue, const IssueReport& report) {
  issue.severity = report.severity;
  issue.status = IssueStatus::active;
  issue.reason = report.reason;
  issue.current_value = report.value;
  issue.threshold_value = report.threshold;
  issue.last_updated = report.at;
}

} // namespace

IssueChange report(sqlite3* db, const IssueReport& report) {
  check_key(report.key);
  if (!is_valid_utf8(report.reason))
    throw Error(ErrorKind::bad_data, "the reason is not valid UTF-8", "nothing was changed");
  if (auto open = find_open(db, report.key)) {
    Issue issue = *open;
    const Severity previous = issue.severity;
    issue.severity = report.severity;
    issue.reason = report.reason;
    if (report.value) issue.current_value = report.value;
    if (report.threshold) issue.threshold_value = report.threshold;
    issue.last_updated = report.at;
    ++issue.occurrences;
    std::optional<IssueEvent> event;
    if (report.severity != previous) {
      if (report.severity == Severity::critical) issue.status = IssueStatus::active;
      save(db, issue);
      event = add_event(db, issue, report.severity == Severity::critical ? "escalated" : "de-escalated",
                        report.actor, report.reason, previous, report.at);
    } else {
      save(db, issue);
      if (report.source != IssueSource::threshold)
        event = add_event(db, issue, "updated", report.actor, report.reason, std::nullopt, report.at);
    }
    return {issue, event};
  }
  if (auto resolved = find_recently_resolved(db, report.key, report.at - k_reopen_window_ms)) {
    Issue issue = *resolved;
    const Severity previous = issue.severity;
    activate(issue, report);
    issue.resolved_at.reset();
    ++issue.occurrences;
    save(db, issue);
    auto event = add_event(db, issue, "reopened", report.actor, report.reason, previous, report.at);
    return {issue, event};
  }
  Issue issue;
  issue.key = report.key;
  activate(issue, report);
  issue.first_detected = report.at;
  issue.occurrences = 1;
  issue.source = report.source;
  sqlite::Statement insert(db, "INSERT INTO issues (component, metric, labels, severity, status, reason, "
                               "current_value, threshold_value, first_detected, last_updated, occurrences, source) "
                               "VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7, ?8, ?8, 1, ?9)");
  const std::string labels = format_labels(issue.key.labels);
  insert.bind(1, std::string_view(issue.key.component)).bind(2, std::string_view(issue.key.metric));
  insert.bind(3, std::string_view(labels)).bind(4, to_string(issue.severity));
  insert.bind(5, std::string_view(issue.reason));
  insert.bind(6, issue.current_value).bind(7, issue.threshold_value);
  insert.bind(8, report.at).bind(9, to_string(report.source));
  insert.run();
  issue.id = sqlite::last_insert_rowid(db);
  auto event = add_event(db, issue, "opened", report.actor, report.reason, std::nullopt, report.at);
  return {issue, event};
}

IssueChange resolve(sqlite3* db, Issue issue, const std::string& note, const std::string& actor, Millis at) {
  if (!issue.open()) return {issue, std::nullopt};
  issue.status = IssueStatus::resolved;
  issue.resolved_at = at;
  issue.last_updated = at;
  save(db, issue);
  auto event = add_event(db, issue, "resolved", actor, note, std::nullopt, at);
  return {issue, event};
}

std::optional<Issue> find_latest(sqlite3* db, const IssueKey& key) {
  if (auto open = find_open(db, key)) return open;
  return find_recently_resolved(db, key, std::numeric_limits<Millis>::min());
}

IssueEvent note(sqlite3* db, const Issue& issue, const std::string& note, const std::string& actor, Millis at) {
  return add_event(db, issue, "note", actor, note, std::nullopt, at);
}

} // namespace issues_db

IssueChange report_issue(Store& store, const IssueReport& report) {
  return in_write_transaction(store, [&](sqlite3* db) { return issues_db::report(db, report); });
}

IssueChange resolve_issue(Store& store, std::int64_t id, const std::string& note, const std::string& actor,
                          Millis at) {
  return in_write_transaction(
      store, [&](sqlite3* db) { return issues_db::resolve(db, require_issue(db, id), note, actor, at); });
}

std::optional<IssueChange> resolve_issue(Store& store, const IssueKey& key, const std::string& note,
                                         const std::string& actor, Millis at) {
  return in_write_transaction(store, [&](sqlite3* db) -> std::optional<IssueChange> {
    auto open = issues_db::find_open(db, key);
    if (!open) return std::nullopt;
    return issues_db::resolve(db, *open, note, actor, at);
  });
}

IssueChange acknowledge_issue(Store& store, std::int64_t id, const std::string& note, const std::string& actor,
                              Millis at) {
  return in_write_transaction(store, [&](sqlite3* db) -> IssueChange {
    Issue issue = require_issue(db, id);
    if (issue.status != IssueStatus::active) {
      if (issue.status == IssueStatus::resolved)
        throw Error(ErrorKind::usage, "issue " + std::to_string(id) + " is resolved",
                    "only open issues can be acknowledged");
      return {issue, std::nullopt};
    }
    issue.status = IssueStatus::acknowledged;
    issue.last_updated = at;
    save(db, issue);
    auto event = add_event(db, issue, "acknowledged", actor, note, std::nullopt, at);
    return {issue, event};
  });
}

IssueChange escalate_issue(Store& store, std::int64_t id, Severity severity, const std::string& note,
                           const std::string& actor, Millis at) {
  return in_write_transaction(store, [&](sqlite3* db) -> IssueChange {
    Issue issue = require_issue(db, id);
    if (!issue.open())
      throw Error(ErrorKind::usage, "issue " + std::to_string(id) + " is resolved",
                  "report it again to reopen it");
    if (issue.severity == severity) return {issue, std::nullopt};
    const Severity previous = issue.severity;
    issue.severity = severity;
    if (severity == Severity::critical) issue.status = IssueStatus::active;
    issue.last_updated = at;
    save(db, issue);
    auto event = add_event(db, issue, severity == Severity::critical ? "escalated" : "de-escalated", actor, note,
                           previous, at);
    return {issue, event};
  });
}

std::vector<Issue> list_issues(Store& store, const IssueFilter& filter) {
  std::string sql = std::string("SELECT ") + k_issue_columns + " FROM issues WHERE last_updated >= ?1";
  if (filter.which == IssueFilter::Which::open) sql += " AND status <> 'resolved'";
  if (filter.which == IssueFilter::Which::resolved) sql += " AND status = 'resolved'";
  if (filter.severity) sql += " AND severity = ?2";
  sql += " ORDER BY last_updated DESC, id DESC";
  sqlite::Statement query(store.handle(), sql);
  query.bind(1, filter.since.value_or(std::numeric_limits<Millis>::min()));
  if (filter.severity) query.bind(2, to_string(*filter.severity));
  std::vector<Issue> out;
  while (query.step()) {
    Issue issue = read_issue(query);
    if (!filter.components.empty() &&
        std::find(filter.components.begin(), filter.components.end(), issue.key.component) ==
            filter.components.end())
      continue;
    out.push_back(std::move(issue));
  }
  return out;
}

Issue get_issue(Store& store, std::int64_t id) {
  ReadSnapshot snapshot(store);
  Issue issue = require_issue(store.handle(), id);
  sqlite::Statement events(store.handle(), "SELECT id, at, kind, actor, note, previous_severity, severity, value "
                                           "FROM issue_events WHERE issue_id = ?1 ORDER BY id");
  events.bind(1, id);
  while (events.step()) {
    IssueEvent event;
    event.id = events.int64(0);
    event.at = events.int64(1);
    event.kind = events.text(2);
    event.actor = events.text(3);
    event.note = events.text(4);
    if (!events.is_null(5)) event.previous_severity = severity_of(events.text(5));
    if (!events.is_null(6)) event.severity = severity_of(events.text(6));
    event.value = events.optional_real(7);
    issue.events.push_back(std::move(event));
  }
  return issue;
}

} // namespace health
