#pragma once
// The connection to one healthctl database file: opening, pragmas, schema
// version and migrations. Every domain module works through a Store.

#include <health/time.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

struct sqlite3;

namespace health {

enum class OpenMode {
  read_only,  // the file must exist; nothing is ever written
  read_write, // the file must exist; an older schema is migrated
  create,     // as read_write, creating the file (mode 0600) and its folder
};

enum class Synchronous { normal, full };

struct StoreOptions {
  std::string path;
  OpenMode mode = OpenMode::read_only;
  Millis busy_timeout = 5 * k_second_ms;
  Synchronous synchronous = Synchronous::normal;
};

// Threads: one Store per thread. A Store, and everything made from it
// (Recorder, ReadSnapshot, SampleScanner, ...), may be used by one thread at
// a time; it may move to another thread between uses. The connection is
// opened without SQLite's own mutex (SQLITE_OPEN_NOMUTEX), so sharing one
// Store between threads at once needs the caller's own lock. Several threads
// may each open a Store on the same file at once, exactly as several
// processes do: WAL lets readers run beside the one writer, and a writer
// waits for the write lock up to the busy timeout. Nothing in libhealth
// changes process-wide state (environment, signal handlers, the C locale).
class Store {
public:
  // Opens the database at `options.path`.
  // Throws Error(not_found) when the file is missing and the mode does not
  // create it; Error(bad_data) when the file is not a healthctl database (the
  // file is left untouched); Error(runtime) when it was written by a newer
  // healthctl (left byte-identical) or, in read_only mode, still needs a
  // migration; Error(busy) when locked past the busy timeout.
  static Store open(const StoreOptions& options);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const noexcept;
  // True when this open created the file.
  bool created() const noexcept;
  // The schema version of the file (after any migration this open applied).
  int schema_version() const noexcept;
  bool read_only() const noexcept;
  // The database's identity: a random UUID chosen when the file was created
  // (or migrated to schema 5), carried by its backups.
  std::string database_id() const;
  // How long a write waits for another process's lock.
  Millis busy_timeout() const noexcept;
  // Interrupts whatever this Store runs once the steady clock passes
  // `deadline`: the statement then throws Error(busy, "the query ran past
  // its time limit"). nullopt lifts it. For a server bounding each request.
  void set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline);
  // The underlying connection, for libhealth's own modules.
  sqlite3* handle() const noexcept;

private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// The schema version this build of libhealth writes.
int latest_schema_version();

// The default database path: $XDG_STATE_HOME/healthctl/health.db, else
// ~/.local/state/healthctl/health.db. Throws Error(usage) when neither
// XDG_STATE_HOME nor HOME is set to an absolute path.
std::string default_database_path();

} // namespace health
