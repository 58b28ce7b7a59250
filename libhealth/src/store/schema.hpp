#pragma once
// The migrations embedded from schema/NNN_description.sql, in version order.

#include <string>
#include <vector>

struct sqlite3;

namespace health::schema {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Every migration, version 1 first, without gaps.
const std::vector<Migration>& migrations();

inline int latest_version() { return static_cast<int>(migrations().size()); }

enum class FileKind { empty, healthctl, foreign };

struct FileState {
  FileKind kind;
  int version; // 0 unless healthctl
};

// Reads what the open file holds without writing to it. A file that is not
// SQLite at all fails here (Error, from SQLITE_NOTADB).
FileState inspect(sqlite3* db);

// The identity a file holds (schema 5 on), or "" for an older file.
std::string database_id(sqlite3* db);

} // namespace health::schema
