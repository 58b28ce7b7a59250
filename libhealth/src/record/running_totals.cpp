// Running totals into increments (running_totals.hpp).

#include "record/running_totals.hpp"

#include "store/sqlite.hpp"

namespace health {

TotalTaken RunningTotals::add(std::int64_t series_id, Millis at, double total) {
  auto [state, first] = m_last.try_emplace(series_id);
  if (first) {
    sqlite::Statement load(m_store.handle(), "SELECT scraped_total, scraped_at FROM series WHERE id = ?1");
    if (load.bind(1, series_id).step() && !load.is_null(1)) {
      state->second = {load.real(0), load.int64(1), false};
    } else {
      state->second = {total, at, true};
      m_started[series_id] = total;
      return {TotalTaken::Outcome::started, 0};
    }
  }
  auto& last = state->second;
  if (at <= last.at) return {TotalTaken::Outcome::stale, 0};
  double increment = total - last.total;
  if (total < last.total && restarted(last, total)) {
    increment = total;
  } else if (total < last.total) { // jitter
    increment = 0;
    total = last.total;
  }
  m_recorder.insert(series_id, {at, increment, {}});
  last = {total, at, true};
  return {TotalTaken::Outcome::recorded, increment};
}

bool RunningTotals::restarted(const Last& last, double total) const {
  if (m_decreases.rule == Decreases::Rule::restart) return true;
  if (m_decreases.source_started && *m_decreases.source_started > last.at) return true;
  return total < last.total / 2;
}

void RunningTotals::save() {
  sqlite::Statement save(m_store.handle(), "UPDATE series SET scraped_total = ?2, scraped_at = ?3, "
                                           "total_sum = total_sum + ?4 WHERE id = ?1");
  for (const auto& [id, last] : m_last) {
    if (!last.changed) continue;
    const auto started = m_started.find(id);
    save.reset();
    save.bind(1, id).bind(2, last.total).bind(3, last.at).bind(4, started == m_started.end() ? 0.0 : started->second);
    save.run();
  }
}

} // namespace health
