#pragma once
// The migrations embedded from schema/NNN_description.sql, in version order.

#include <vector>

namespace health::schema {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Every migration, version 1 first, without gaps.
const std::vector<Migration>& migrations();

inline int latest_version() { return static_cast<int>(migrations().size()); }

} // namespace health::schema
