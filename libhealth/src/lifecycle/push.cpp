// push --remote-write's progress per receiver, kept in the database.

#include <health/push.hpp>

#include <health/error.hpp>

#include "lifecycle/push_state.hpp"
#include "store/sqlite.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace health::push_state {

namespace {

enum class Totals { no, yes };

// Runs `sql` (?1 target, ?2 series id, ?3 time, and with Totals::yes ?4
// total, ?5 sum) for every series of `last` in one transaction, then `then`
// (?1 target, ?2 now, ?3 `then_value`) when given.
void for_each_series(Store& store, const std::string& target, const LastPoints& last, std::string_view sql,
                     Totals totals, std::string_view then = {}, std::int64_t then_value = 0) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  sqlite::Statement each(store.handle(), sql);
  for (const auto& [series, point] : last) {
    each.reset();
    each.bind(1, target).bind(2, series).bind(3, point.at);
    if (totals == Totals::yes) {
      each.bind(4, point.total).bind(5, point.sum);
    }
    each.run();
  }
  if (!then.empty()) {
    sqlite::Statement after(store.handle(), then);
    after.bind(1, target).bind(2, now_ms()).bind(3, then_value).run();
  }
  transaction.commit();
}

} // namespace

Exclusive::Exclusive(const Store& store) {
  const auto path = store.path() + "-push.lock";
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m_fd < 0)
    throw Error(ErrorKind::runtime, "cannot open " + path + ": " + std::strerror(errno),
                "push keeps a lock file beside the database: check the folder's permissions");
  if (::flock(m_fd, LOCK_EX | LOCK_NB) == 0) return;
  const int error = errno;
  ::close(m_fd);
  if (error == EWOULDBLOCK)
    throw Error(ErrorKind::busy, "another push from " + store.path() + " is running",
                "it sends what this one would; try again when it is done");
  throw Error(ErrorKind::runtime, "cannot lock " + path + ": " + std::strerror(error), "");
}

Exclusive::~Exclusive() { ::close(m_fd); }

Target load(Store& store, const std::string& target) {
  Target out;
  sqlite::Statement row(store.handle(), "SELECT start_ms FROM push_targets WHERE target = ?1");
  if (row.bind(1, target).step()) {
    out.known = true;
    out.start = row.int64(0);
  }
  sqlite::Statement cursors(
      store.handle(),
      "SELECT series_id, ts_ms, pending_ts, sent_total, sent_sum FROM push_cursors WHERE target = ?1");
  cursors.bind(1, target);
  while (cursors.step())
    out.cursors[cursors.int64(0)] = {cursors.optional_int64(1), cursors.optional_int64(2), cursors.optional_real(3),
                                     cursors.optional_real(4)};
  return out;
}

void begin(Store& store, const std::string& target, Millis start) {
  sqlite::Statement row(store.handle(), "INSERT INTO push_targets (target, start_ms) VALUES (?1, ?2) "
                                        "ON CONFLICT (target) DO NOTHING");
  row.bind(1, target).bind(2, start).run();
}

void mark_pending(Store& store, const std::string& target, const LastPoints& last) {
  for_each_series(store, target, last,
                  "INSERT INTO push_cursors (target, series_id, pending_ts) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (target, series_id) DO UPDATE SET pending_ts = excluded.pending_ts",
                  Totals::no);
}

void clear_pending(Store& store, const std::string& target, const LastPoints& last) {
  for_each_series(store, target, last,
                  "UPDATE push_cursors SET pending_ts = NULL WHERE target = ?1 AND series_id = ?2 AND ?3 IS NOT NULL",
                  Totals::no);
}

void acknowledge(Store& store, const std::string& target, const LastPoints& last, std::uint64_t samples) {
  for_each_series(store, target, last,
                  "INSERT INTO push_cursors (target, series_id, ts_ms, sent_total, sent_sum) VALUES (?1, ?2, ?3, ?4, ?5) "
                  "ON CONFLICT (target, series_id) DO UPDATE SET "
                  "ts_ms = max(coalesce(ts_ms, excluded.ts_ms), excluded.ts_ms), pending_ts = NULL, "
                  "sent_total = coalesce(excluded.sent_total, sent_total), sent_sum = coalesce(excluded.sent_sum, sent_sum)",
                  Totals::yes,
                  samples == 0 ? std::string_view()
                               : "UPDATE push_targets SET last_push = ?2, samples = samples + ?3 WHERE target = ?1",
                  static_cast<std::int64_t>(samples));
}

} // namespace health::push_state
