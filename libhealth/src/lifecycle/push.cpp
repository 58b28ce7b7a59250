// push --remote-write's progress per receiver, kept in the database.

#include <health/push.hpp>

#include "lifecycle/push_state.hpp"
#include "store/sqlite.hpp"

namespace health::push_state {

namespace {

// Runs `sql` (?1 target, ?2 series id, ?3 time) for every series of `last`
// in one transaction, then `then` (bound ?1 target) when given.
void for_each_series(Store& store, const std::string& target, const std::map<std::int64_t, Millis>& last,
                     std::string_view sql, std::string_view then = {}, std::int64_t then_value = 0) {
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  sqlite::Statement each(store.handle(), sql);
  for (const auto& [series, at] : last) {
    each.reset();
    each.bind(1, target).bind(2, series).bind(3, at).run();
  }
  if (!then.empty()) {
    sqlite::Statement after(store.handle(), then);
    after.bind(1, target).bind(2, now_ms()).bind(3, then_value).run();
  }
  transaction.commit();
}

} // namespace

Target load(Store& store, const std::string& target) {
  Target out;
  sqlite::Statement row(store.handle(), "SELECT start_ms FROM push_targets WHERE target = ?1");
  if (row.bind(1, target).step()) {
    out.known = true;
    out.start = row.int64(0);
  }
  sqlite::Statement cursors(store.handle(),
                            "SELECT series_id, ts_ms, pending_ts FROM push_cursors WHERE target = ?1");
  cursors.bind(1, target);
  while (cursors.step()) out.cursors[cursors.int64(0)] = {cursors.optional_int64(1), cursors.optional_int64(2)};
  return out;
}

void begin(Store& store, const std::string& target, Millis start) {
  sqlite::Statement row(store.handle(), "INSERT INTO push_targets (target, start_ms) VALUES (?1, ?2) "
                                        "ON CONFLICT (target) DO NOTHING");
  row.bind(1, target).bind(2, start).run();
}

void mark_pending(Store& store, const std::string& target, const std::map<std::int64_t, Millis>& last) {
  for_each_series(store, target, last,
                  "INSERT INTO push_cursors (target, series_id, pending_ts) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (target, series_id) DO UPDATE SET pending_ts = excluded.pending_ts");
}

void clear_pending(Store& store, const std::string& target, const std::map<std::int64_t, Millis>& last) {
  for_each_series(store, target, last,
                  "UPDATE push_cursors SET pending_ts = NULL WHERE target = ?1 AND series_id = ?2 AND ?3 IS NOT NULL");
}

void acknowledge(Store& store, const std::string& target, const std::map<std::int64_t, Millis>& last,
                 std::uint64_t samples) {
  for_each_series(store, target, last,
                  "INSERT INTO push_cursors (target, series_id, ts_ms) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (target, series_id) DO UPDATE SET "
                  "ts_ms = max(coalesce(ts_ms, excluded.ts_ms), excluded.ts_ms), pending_ts = NULL",
                  samples == 0 ? std::string_view()
                               : "UPDATE push_targets SET last_push = ?2, samples = samples + ?3 WHERE target = ?1",
                  static_cast<std::int64_t>(samples));
}

} // namespace health::push_state
