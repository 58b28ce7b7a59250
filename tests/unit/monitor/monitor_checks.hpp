#pragma once
// Reading back what a Monitor wrote, through plain SQL on samples_view as any
// sqlite3 user would, and a child process that holds a file's write lock.

#include <health/monitor.hpp>

#include "temp_dir.hpp"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace test {

// The samples of one series (component, name) in value order, with context.
struct Written {
  std::vector<double> values;
  std::vector<std::string> contexts;
  std::string type;
  std::string unit;
  double sum() const {
    double total = 0;
    for (double value : values) total += value;
    return total;
  }
};

inline Written written(const std::string& path, const std::string& component, const std::string& name) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT value, coalesce(context, ''), type, unit FROM samples_view "
                     "WHERE component = ?1 AND name = ?2 ORDER BY value",
                     -1, &stmt, nullptr);
  sqlite3_bind_text(stmt, 1, component.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, name.c_str(), -1, SQLITE_TRANSIENT);
  Written out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.values.push_back(sqlite3_column_double(stmt, 0));
    out.contexts.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    out.type = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2));
    out.unit = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

inline health::MonitorOptions monitor_options(const std::string& path) {
  health::MonitorOptions options;
  options.db = path;
  options.node = "test-node";
  options.flush_every = std::chrono::hours(1); // tests flush by hand
  options.busy_timeout = 30 * health::k_second_ms;
  return options;
}

// A test case's own database file and the options of a Monitor on it
// (TEST_CASE_METHOD(test::MonitorFile, ...)); cases change `options` as
// they need.
struct MonitorFile {
  TempDir dir;
  const std::string path = dir.file("health.db");
  health::MonitorOptions options = monitor_options(path);
};

// Another process holding the write lock of `path` until release().
class LockHolder {
public:
  explicit LockHolder(const std::string& path) {
    int ready[2], release[2];
    if (::pipe(ready) != 0 || ::pipe(release) != 0) throw std::runtime_error("pipe failed");
    m_child = ::fork();
    if (m_child == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      sqlite3* db = nullptr;
      char done = 0;
      const bool locked = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
                          sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
      done = locked ? 'y' : 'n';
      if (::write(ready[1], &done, 1) != 1) ::_exit(2);
      while (::read(release[0], &done, 1) > 0) {}
      ::_exit(locked ? 0 : 1);
    }
    ::close(ready[1]);
    ::close(release[0]);
    m_release = release[1];
    char answer = 0;
    if (::read(ready[0], &answer, 1) != 1 || answer != 'y') throw std::runtime_error("the child did not lock");
    ::close(ready[0]);
  }
  ~LockHolder() { release(); }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

  void release() {
    if (m_child <= 0) return;
    ::close(m_release);
    int status = 0;
    ::waitpid(m_child, &status, 0);
    m_child = -1;
  }

private:
  pid_t m_child = -1;
  int m_release = -1;
};

} // namespace test
