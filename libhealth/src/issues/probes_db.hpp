#pragma once
// The probes table (schema 010) inside a transaction the caller holds:
// used by issues/probes.cpp and by `probe run` (jobs/run_probes.cpp).

#include <health/probes.hpp>

#include <string>
#include <vector>

struct sqlite3;

namespace health::probes_db {

// The probes named (every probe when `names` is empty), by name; unknown
// names are left out.
std::vector<Probe> read(sqlite3* db, const std::vector<std::string>& names);
bool exists(sqlite3* db, const std::string& name);
// Inserts the probe, or updates the spec of the one of its name, keeping
// what its runs left.
void write_spec(sqlite3* db, const ProbeSpec& spec, Millis now);
void write_state(sqlite3* db, const std::string& name, const ProbeState& state);
void set_enabled(sqlite3* db, const std::string& name, bool enabled);
void remove(sqlite3* db, const std::string& name);

} // namespace health::probes_db
