#pragma once
// The one exception type libhealth throws. Its kind says what went wrong in
// terms a caller can act on; the CLI maps kinds to exit codes.

#include <stdexcept>
#include <string>

namespace health {

enum class ErrorKind {
  runtime,   // database or I/O failure, permission, corruption
  usage,     // a malformed argument: bad time, bad name, bad option value
  bad_data,  // bad input data: an ingest line, context JSON, a foreign file
  not_found, // missing input: no database, no such file
  busy,      // the database stayed locked past the busy timeout
};

class Error : public std::runtime_error {
public:
  // `what` is one line saying what failed; `hint` (optional) says what to do.
  // `detail` is extra text for verbose output, such as SQLite's own message.
  Error(ErrorKind kind, const std::string& what, std::string hint = {},
        std::string detail = {}, int sqlite_code = 0)
      : std::runtime_error(what), m_kind(kind), m_hint(std::move(hint)),
        m_detail(std::move(detail)), m_sqlite_code(sqlite_code) {}

  ErrorKind kind() const noexcept { return m_kind; }
  const std::string& hint() const noexcept { return m_hint; }
  const std::string& detail() const noexcept { return m_detail; }
  // SQLite's extended result code, or 0 when the error did not come from SQLite.
  int sqlite_code() const noexcept { return m_sqlite_code; }

private:
  ErrorKind m_kind;
  std::string m_hint;
  std::string m_detail;
  int m_sqlite_code;
};

} // namespace health
