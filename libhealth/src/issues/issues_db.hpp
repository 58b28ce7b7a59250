#pragma once
// The issue operations inside a transaction the caller holds: `check` opens,
// updates and resolves many issues in one.

#include <health/issues.hpp>

#include <optional>

struct sqlite3;

namespace health::issues_db {

// The open issue of `key`, if any.
std::optional<Issue> find_open(sqlite3* db, const IssueKey& key);
IssueChange report(sqlite3* db, const IssueReport& report);
IssueChange resolve(sqlite3* db, Issue issue, const std::string& note, const std::string& actor, Millis at);

// The open issue of `key`, else its most recently resolved one, if any.
std::optional<Issue> find_latest(sqlite3* db, const IssueKey& key);
// Adds a `note` event to `issue` (its state unchanged).
IssueEvent note(sqlite3* db, const Issue& issue, const std::string& note, const std::string& actor, Millis at);

} // namespace health::issues_db
