#include <health/analyze.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>

#include "judged.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <utility>

namespace health {

namespace {

constexpr std::size_t k_probe_samples = 512;    // the first samples of a series set its step
constexpr std::size_t k_min_intervals = 8;      // to call a series regular
constexpr std::size_t k_kept_intervals = 1000;  // the latest ones judge regularity
constexpr Millis k_backup_overdue_ms = 2 * k_day_ms;
constexpr std::size_t k_max_anomaly_actions = 5;
constexpr std::size_t k_max_trend_actions = 5;

// component/metric{k=v;...}: how findings name a series or an issue; a
// series with `@node` after it when `nodes` says so.
std::string series_name(const SeriesInfo& s, NodeNames nodes) {
  return series_display_name(s.component, s.name, s.labels, NameStyle::path) +
         (nodes == NodeNames::show ? "@" + s.node : "");
}
std::string issue_name(const Issue& issue) {
  return series_display_name(issue.key.component, issue.key.metric, issue.key.labels, NameStyle::path);
}

// The value change_pct compares: rate for a counter, else the average.
double level(const SeriesInfo& s, const Stats& stats) { return is_counter(s) ? stats.rate_per_s : stats.avg; }

// The times one issue was open and critical, clipped to `range`, from its
// events (its first detection and resolution when it has none).
std::vector<TimeRange> critical_spans(const Issue& issue, TimeRange range) {
  std::vector<TimeRange> spans;
  bool open = false;
  Severity severity = issue.severity;
  Millis critical_since = 0;
  bool critical = false;
  const auto close_critical = [&](Millis at) {
    if (critical && at > critical_since) spans.push_back({critical_since, at});
    critical = false;
  };
  const auto set_state = [&](bool now_open, Severity now_severity, Millis at) {
    const bool now_critical = now_open && now_severity == Severity::critical;
    if (critical && !now_critical) close_critical(at);
    if (!critical && now_critical) {
      critical = true;
      critical_since = at;
    }
    open = now_open;
    severity = now_severity;
  };
  if (issue.events.empty()) {
    set_state(true, issue.severity, issue.first_detected);
  } else {
    for (const auto& event : issue.events) {
      const Severity next = event.severity.value_or(severity);
      if (event.kind == "opened" || event.kind == "reopened") set_state(true, next, event.at);
      else if (event.kind == "resolved") set_state(false, severity, event.at);
      else if (event.kind == "escalated" || event.kind == "de-escalated") set_state(open, next, event.at);
    }
  }
  if (issue.resolved_at && critical && !issue.open()) close_critical(*issue.resolved_at);
  if (critical) close_critical(std::max(range.until, critical_since));
  std::vector<TimeRange> clipped;
  for (auto span : spans) {
    span.since = std::max(span.since, range.since);
    span.until = std::min(span.until, range.until);
    if (span.until > span.since) clipped.push_back(span);
  }
  return clipped;
}

Millis union_length(std::vector<TimeRange> spans) {
  std::sort(spans.begin(), spans.end(), [](const TimeRange& a, const TimeRange& b) { return a.since < b.since; });
  Millis total = 0;
  Millis reach = std::numeric_limits<Millis>::min();
  for (const auto& span : spans) {
    const Millis start = std::max(span.since, reach);
    if (span.until > start) total += span.until - start;
    reach = std::max(reach, span.until);
  }
  return total;
}

bool overlaps(const Issue& issue, TimeRange range) {
  return issue.first_detected < range.until && (issue.open() || !issue.resolved_at || *issue.resolved_at >= range.since);
}

bool resolved_in(const Issue& issue, TimeRange range) {
  return !issue.open() && issue.resolved_at && *issue.resolved_at >= range.since && *issue.resolved_at < range.until;
}

std::vector<Uptime> uptime_of(const std::vector<std::string>& components, const std::vector<Issue>& issues,
                              TimeRange window) {
  std::vector<Uptime> out;
  const double window_ms = static_cast<double>(window.until - window.since);
  for (const auto& component : components) {
    Uptime uptime;
    uptime.component = component;
    std::vector<TimeRange> down;
    double repair_ms = 0;
    std::size_t repaired = 0;
    for (const auto& issue : issues) {
      if (issue.key.component != component || !overlaps(issue, window)) continue;
      ++uptime.incidents;
      const auto spans = critical_spans(issue, window);
      down.insert(down.end(), spans.begin(), spans.end());
      if (resolved_in(issue, window)) {
        repair_ms += static_cast<double>(*issue.resolved_at - issue.first_detected);
        ++repaired;
      }
    }
    const double down_ms = static_cast<double>(union_length(down));
    uptime.uptime_pct = window_ms > 0 ? 100.0 * (1.0 - down_ms / window_ms) : 100.0;
    if (repaired > 0) uptime.mttr_minutes = repair_ms / static_cast<double>(repaired) / k_minute_ms;
    if (uptime.incidents > 0)
      uptime.mtbf_hours = (window_ms - down_ms) / static_cast<double>(uptime.incidents) / k_hour_ms;
    out.push_back(std::move(uptime));
  }
  return out;
}

// Whether an upward or downward trend ends where the baseline never was:
// the median of the window's last hour of buckets above the baseline's 95th
// percentile (upward) or below its 5th (downward). A daily cycle the
// baseline already holds is then no trend. Without a baseline, or for other
// directions, true.
bool ends_outside_baseline(const SeriesInfo& series, const Trend& trend, const std::vector<Bucket>& baseline,
                           const std::vector<Bucket>& window, Millis step_ms) {
  if (trend.direction != TrendDirection::upward && trend.direction != TrendDirection::downward) return true;
  std::vector<double> reference;
  for (const auto& b : judged(series, baseline)) reference.push_back(b.value);
  if (reference.size() < k_min_reference || window.empty()) return true;
  std::sort(reference.begin(), reference.end());
  const Millis last_hour = window.back().at + step_ms - k_hour_ms;
  std::vector<double> end;
  for (const auto& b : judged(series, window))
    if (b.at >= last_hour) end.push_back(b.value);
  if (end.empty()) return true;
  const double level = median_of(end);
  return trend.direction == TrendDirection::upward ? level > quantile(reference, 0.95)
                                                   : level < quantile(reference, 0.05);
}

std::optional<StaleSeries> stale_check(const SeriesInfo& series, const std::vector<Millis>& intervals,
                                       std::optional<Millis> last_seen, Millis now) {
  if (!last_seen || intervals.size() < k_min_intervals) return std::nullopt;
  std::vector<double> sorted(intervals.begin(), intervals.end());
  std::sort(sorted.begin(), sorted.end());
  const double median = quantile(sorted, 0.5);
  const double p99 = quantile(sorted, 0.99);
  if (median <= 0) return std::nullopt;
  const double silence = static_cast<double>(now - *last_seen);
  if (silence <= 3 * median || silence <= 1.5 * p99) return std::nullopt;
  // Whole seconds read better, and jitter below a second says nothing.
  const auto interval = median >= k_second_ms ? std::llround(median / k_second_ms) * k_second_ms : std::llround(median);
  return StaleSeries{series, *last_seen, static_cast<Millis>(interval)};
}

void add_recent_changes(Analysis& a, const std::vector<Issue>& issues) {
  for (const auto& issue : issues)
    for (const auto& event : issue.events) {
      if (event.at < a.window.since || event.at >= a.window.until) continue;
      if (event.kind == "updated" || event.kind == "note") continue;
      std::string kind = "issue_" + event.kind;
      std::replace(kind.begin(), kind.end(), '-', '_');
      std::string text = "issue " + std::to_string(issue.id) + " " + event.kind + ": " + issue_name(issue);
      if (event.severity) text += " " + std::string(to_string(*event.severity));
      if (event.kind == "opened" || event.kind == "reopened") text += " (" + issue.reason + ")";
      if (!event.note.empty() && event.kind != "opened") text += " (" + event.note + ")";
      a.recent_changes.push_back({event.at, kind, text});
    }
  for (const auto& s : a.series)
    if (s.series.first && *s.series.first >= a.window.since && *s.series.first < a.window.until)
      a.recent_changes.push_back({*s.series.first, "new_series",
                                  "first sample of " + series_name(s.series, a.node_names) + " (" +
                                      std::string(to_string(s.series.type)) +
                                      (s.series.unit.empty() ? "" : ", " + s.series.unit) + ")"});
}

void add_backup_changes(Analysis& a, Store& store) {
  for (const auto& entry : backup_history(store, a.window.since, a.window.until)) {
    std::string kind = entry.kind == "create" ? "backup" : entry.kind == "verify" ? "backup_verified" : "restore";
    if (!entry.ok) kind += "_failed";
    std::string text = entry.kind + " " + entry.path;
    if (!entry.ok && !entry.detail.empty()) text += ": " + entry.detail;
    a.recent_changes.push_back({entry.at, kind, text});
  }
}

// What to do about a finding, by its kind, with the finding as evidence.
SuggestedAction finding_action(const Anomaly& f, NodeNames nodes) {
  const std::string name = series_name(f.series, nodes);
  const std::string unit = (f.series.unit.empty() ? "" : " " + f.series.unit) + (is_counter(f.series) ? "/s" : "");
  const std::string because = std::string(to_string(f.kind)) + " " + name + " at " + format_time(f.at);
  switch (f.kind) {
  case FindingKind::level_shift:
    return {"Find what changed at " + format_time(f.at) + ": " + name + " moved from " + display_number(f.expected) +
                unit + " to " + display_number(f.value) + unit + " and stayed there until " + format_time(f.until),
            because};
  case FindingKind::flatline:
    return {"Check what feeds " + name + ": stuck at " + display_number(f.value) + unit + " from " +
                format_time(f.at) + " to " + format_time(f.until),
            because};
  case FindingKind::dropout:
    return {"Check what feeds " + name + ": no increments from " + format_time(f.at) + " to " + format_time(f.until) +
                " against an expected " + display_number(f.expected) + unit,
            because};
  case FindingKind::anomaly: break;
  }
  return {"Look at " + name + " from " + format_time(f.at) + " to " + format_time(f.until) + ": " +
              display_number(f.value) + unit + " against an expected " + display_number(f.expected),
          because};
}

void add_actions(Analysis& a) {
  std::set<std::pair<std::string, std::string>> with_issue;
  for (const auto& issue : a.active_issues) with_issue.insert({issue.key.component, issue.key.metric});
  for (const Severity severity : {Severity::critical, Severity::warning})
    for (const auto& issue : a.active_issues) {
      if (issue.severity != severity || issue.status == IssueStatus::acknowledged) continue;
      a.actions.push_back({std::string(severity == Severity::critical ? "Investigate " : "Look into ") +
                               issue_name(issue) + ": " + issue.reason + " (" + std::string(to_string(severity)) +
                               " since " + format_time(issue.first_detected) + ")",
                           "issue " + std::to_string(issue.id)});
    }
  for (const auto& stale : a.stale)
    a.actions.push_back({"Check that whatever reports " + series_name(stale.series, a.node_names) +
                             " still runs: nothing since " + format_time(stale.last_seen) + ", expected every " +
                             format_duration(stale.expected_interval),
                         "stale " + series_name(stale.series, a.node_names)});
  // A stale counter is also a dropout to the window's end: one action
  // (check its reporter) says it.
  std::set<std::int64_t> stale_ids;
  for (const auto& stale : a.stale) stale_ids.insert(stale.series.id);
  std::size_t anomaly_actions = 0;
  for (const auto& anomaly : a.anomalies) {
    if (anomaly_actions == k_max_anomaly_actions) break;
    if (with_issue.count({anomaly.series.component, anomaly.series.name})) continue;
    if (anomaly.kind == FindingKind::dropout && stale_ids.count(anomaly.series.id)) continue;
    ++anomaly_actions;
    a.actions.push_back(finding_action(anomaly, a.node_names));
  }
  const auto& backup = a.backup;
  if (backup.last_backup && !backup.last_backup->ok)
    a.actions.push_back({"Fix backups: the last one failed (" + backup.last_backup->detail +
                             "); run 'healthctl backup create' and read its error",
                         "backup failed at " + format_time(backup.last_backup->at)});
  else if (!backup.last_success && !a.series.empty())
    a.actions.push_back({"Take a first backup with 'healthctl backup create', or run 'healthctl maintain' from cron",
                         "no successful backup on record"});
  else if (backup.last_success && a.generated_at - backup.last_success->at > k_backup_overdue_ms)
    a.actions.push_back({"Backups are overdue: run 'healthctl backup create' and check the maintain job",
                         "last successful backup at " + format_time(backup.last_success->at)});
  std::vector<const SeriesAnalysis*> trending;
  for (const auto& s : a.series)
    if (s.trend.direction == TrendDirection::upward || s.trend.direction == TrendDirection::downward)
      trending.push_back(&s);
  std::stable_sort(trending.begin(), trending.end(), [](const SeriesAnalysis* x, const SeriesAnalysis* y) {
    return std::abs(x->trend.change_pct) > std::abs(y->trend.change_pct);
  });
  for (std::size_t i = 0; i < trending.size() && i < k_max_trend_actions; ++i) {
    const auto& s = *trending[i];
    char change[32];
    std::snprintf(change, sizeof change, "%.0f%%", std::abs(s.trend.change_pct));
    a.actions.push_back({"Watch " + series_name(s.series, a.node_names) + ": " +
                             (s.trend.direction == TrendDirection::upward ? "rising " : "falling ") + change +
                             " over the window",
                         "trend " + series_name(s.series, a.node_names)});
  }
}

// An analysis with the periods of `options`, and
// nothing found yet. Throws Error(usage) for an empty window or a negative
// baseline.
Analysis periods_of(const AnalyzeOptions& options) {
  if (options.window_ms <= 0) throw Error(ErrorKind::usage, "the window must be longer than zero");
  if (options.baseline_ms < 0) throw Error(ErrorKind::usage, "the baseline must not be negative");
  Analysis a;
  a.generated_at = options.now;
  a.window = {options.now - options.window_ms, options.now};
  a.baseline = {a.window.since - options.baseline_ms, a.window.since};
  return a;
}

// Throws Error(not_found) for the first of `components` that `report` does
// not hold.
std::vector<std::string> component_names(const HealthReport& report) {
  std::vector<std::string> out;
  for (const auto& c : report.components) out.push_back(c.component);
  return out;
}

// The issues of `components` that were open at the window's end or at some
// time in the window, with their events, as they stood at its end (what
// happened after it is left out). The open ones also go to `a.active_issues`
// and those resolved in the window to `a.recently_resolved`.
std::vector<Issue> read_issues(Store& store, const std::vector<std::string>& components, Analysis& a) {
  IssueFilter filter;
  filter.which = IssueFilter::Which::all;
  filter.components = components;
  std::vector<Issue> issues;
  for (const auto& listed : list_issues(store, filter)) {
    if (listed.first_detected > a.window.until) continue;
    const bool changed_since = listed.last_updated > a.window.until;
    if (!changed_since && !overlaps(listed, a.window) && !listed.open()) continue;
    auto then = issue_as_of(get_issue(store, listed.id), a.window.until);
    if (!then || (!overlaps(*then, a.window) && !then->open())) continue;
    issues.push_back(std::move(*then));
    const auto& issue = issues.back();
    if (issue.open())
      a.active_issues.push_back(issue);
    else if (resolved_in(issue, a.window))
      a.recently_resolved.push_back(issue);
  }
  return issues;
}

// The latest k_kept_intervals intervals between the samples of a series
// given in time order, and the time of the last sample.
class RecentIntervals {
public:
  void add(Millis ts) {
    if (m_last_seen) {
      m_intervals.push_back(ts - *m_last_seen);
      // Trimmed by halves: constant time per sample, however many there are.
      if (m_intervals.size() >= 2 * k_kept_intervals)
        m_intervals.erase(m_intervals.begin(), m_intervals.begin() + static_cast<std::ptrdiff_t>(k_kept_intervals));
    }
    m_last_seen = ts;
  }
  std::optional<Millis> last_seen() const { return m_last_seen; }
  // At most k_kept_intervals, oldest first.
  std::vector<Millis> latest() const {
    const auto kept = static_cast<std::ptrdiff_t>(std::min(m_intervals.size(), k_kept_intervals));
    return {m_intervals.end() - kept, m_intervals.end()};
  }

private:
  std::vector<Millis> m_intervals;
  std::optional<Millis> m_last_seen;
};

// The bucket step for a series from its first samples in time order: its
// median interval between them (judging_step).
Millis step_from(const std::vector<std::pair<Millis, double>>& head, Millis range_ms) {
  std::vector<double> intervals;
  for (std::size_t i = 1; i < head.size(); ++i) intervals.push_back(static_cast<double>(head[i].first - head[i - 1].first));
  return judging_step(static_cast<Millis>(median_of(std::move(intervals))), range_ms);
}

// What one pass over a series' samples in the baseline and the window
// collects: the statistics of both periods, the window's trend and (when
// asked for) history, the buckets the detectors judge over both, and the
// intervals between samples.
class SeriesScan {
public:
  SeriesScan(MetricType type, const Analysis& a, std::optional<Millis> history_step)
      : window_since(a.window.since), trend(type, a.window.since, a.window.until),
        history(type, history_step.value_or(k_hour_ms), a.window), keep_history(history_step.has_value()),
        m_type(type), m_range{a.baseline.since, a.window.until} {}

  void add(Millis ts, double value) {
    if (ts < window_since) {
      before.add(ts, value);
    } else {
      current.add(ts, value);
      trend.add(ts, value);
      if (keep_history) history.add(ts, value);
    }
    intervals.add(ts);
    if (m_buckets) return m_buckets->add(ts, value);
    m_head.emplace_back(ts, value);
    if (m_head.size() == k_probe_samples) start_buckets();
  }

  // The judged buckets over the baseline and the window, at step().
  std::vector<Bucket> finish_buckets() {
    if (!m_buckets) start_buckets();
    return m_buckets->finish();
  }
  Millis step() const { return m_step; }

  Millis window_since;
  StatsBuilder before;
  StatsBuilder current;
  TrendBuilder trend;
  Bucketer history;
  bool keep_history;
  RecentIntervals intervals;

private:
  // The step is known once the first k_probe_samples (or all) are in:
  // buckets from then on, the first ones replayed.
  void start_buckets() {
    m_step = step_from(m_head, m_range.until - m_range.since);
    // Buckets start at whole multiples of the step (10:45, 10:50, ...).
    m_buckets.emplace(m_type, m_step, m_range);
    for (const auto& [ts, value] : m_head) m_buckets->add(ts, value);
    m_head = {};
  }

  MetricType m_type;
  TimeRange m_range;
  Millis m_step = 0;
  std::vector<std::pair<Millis, double>> m_head;
  std::optional<Bucketer> m_buckets;
};

// The length of `period` a rate is over: the part from the series' `first`
// sample on (a series born yesterday has no quiet week before it), and one
// bucket of `step_ms` at least (one sample a moment old is not a rate of
// thousands).
Millis rate_span(TimeRange period, Millis first, Millis step_ms) {
  return std::min(period.until - period.since, std::max(period.until - std::max(period.since, first), step_ms));
}

// The window's level against the baseline's in percent; nullopt without a
// baseline level, or for a series other than a counter without samples in
// the window.
std::optional<double> change_pct(const SeriesAnalysis& s) {
  if (!s.baseline || level(s.series, *s.baseline) == 0 || (s.current.count == 0 && !is_counter(s.series)))
    return std::nullopt;
  return (level(s.series, s.current) - level(s.series, *s.baseline)) / std::abs(level(s.series, *s.baseline)) *
         100.0;
}

// The statistics, trend, history and change of a scanned series, whose
// buckets are in.
SeriesAnalysis measure_series(SeriesInfo info, SeriesScan& scan, const Analysis& a) {
  SeriesAnalysis s;
  s.series = std::move(info);
  s.step_ms = scan.step();
  const Millis first = *s.series.first;
  if (!scan.before.empty()) s.baseline = scan.before.finish(rate_span(a.baseline, first, s.step_ms));
  s.current = scan.current.finish(rate_span(a.window, first, s.step_ms));
  s.trend = scan.trend.finish();
  if (scan.keep_history) s.history = scan.history.finish();
  s.change_pct = change_pct(s);
  return s;
}

// Judges the buckets of series `s` over the baseline and the window: its
// anomalies go to `a`, and its trend is stable when it ends inside what the
// baseline held.
void judge_buckets(SeriesAnalysis& s, const std::vector<Bucket>& buckets, Analysis& a) {
  const auto split = std::partition_point(buckets.begin(), buckets.end(),
                                          [&](const Bucket& b) { return b.at + s.step_ms <= a.window.since; });
  const std::vector<Bucket> before(buckets.begin(), split);
  const std::vector<Bucket> window(split, buckets.end());
  if (!ends_outside_baseline(s.series, s.trend, before, window, s.step_ms)) s.trend.direction = TrendDirection::stable;
  const auto found = find_anomalies(s.series, before, window, s.step_ms, a.window);
  a.anomalies.insert(a.anomalies.end(), found.begin(), found.end());
}

// Scans each series of `options.components` with samples in the baseline or
// the window once, and adds its analysis, anomalies and staleness to `a`:
// the strongest anomaly and the longest silent series first.
void analyze_series(Store& store, const AnalyzeOptions& options, Analysis& a) {
  SeriesFilter filter;
  filter.components = options.components;
  std::optional<Millis> history_step;
  if (options.history) {
    history_step = step_for_points(options.window_ms, std::max<std::size_t>(options.history_points, 2));
    a.history_step_ms = *history_step;
  }
  SampleScanner scanner(store, WithContext::no);
  for (auto& info : list_series(store, filter, WithStats::yes)) {
    if (!info.last || *info.last < a.baseline.since || !info.first || *info.first >= a.window.until) continue;
    SeriesScan scan(info.type, a, history_step);
    scanner.scan(info, {a.baseline.since, a.window.until}, [&](const SampleRow& row) { scan.add(row.ts, row.value); });
    const auto last_seen = scan.intervals.last_seen();
    if (!last_seen) continue;
    const auto buckets = scan.finish_buckets();
    SeriesAnalysis s = measure_series(std::move(info), scan, a);
    judge_buckets(s, buckets, a);
    if (auto stale = stale_check(s.series, scan.intervals.latest(), last_seen, options.now)) a.stale.push_back(*stale);
    a.series.push_back(std::move(s));
  }
  for (const auto& s : a.series)
    if (s.series.node != a.series.front().series.node) a.node_names = NodeNames::show;
  std::stable_sort(a.anomalies.begin(), a.anomalies.end(),
                   [](const Anomaly& x, const Anomaly& y) { return std::abs(x.score) > std::abs(y.score); });
  std::stable_sort(a.stale.begin(), a.stale.end(),
                   [](const StaleSeries& x, const StaleSeries& y) { return x.last_seen < y.last_seen; });
}

} // namespace

bool on_series(const IssueKey& key, const SeriesInfo& s) {
  if (key.component != s.component || (!key.metric.empty() && key.metric != s.name)) return false;
  return std::all_of(key.labels.begin(), key.labels.end(), [&](const auto& pair) {
    return std::find(s.labels.begin(), s.labels.end(), pair) != s.labels.end();
  });
}

namespace {

// Sets each series' own status from the open issues on it.
void rate_series(Analysis& a) {
  for (auto& s : a.series)
    for (const auto& issue : a.active_issues) {
      if (!on_series(issue.key, s.series)) continue;
      if (issue.severity == Severity::critical) s.status = HealthStatus::critical;
      else if (s.status == HealthStatus::healthy) s.status = HealthStatus::degraded;
    }
}

} // namespace

Analysis analyze(Store& store, const AnalyzeOptions& options) {
  Analysis a = periods_of(options);
  ReadSnapshot snapshot(store);
  a.status = health_report_as_of(store, options.components, options.now);
  const auto issues = read_issues(store, options.components, a);
  analyze_series(store, options, a);
  rate_series(a);
  add_recent_changes(a, issues);
  a.backup = backup_status(store);
  add_backup_changes(a, store);
  std::stable_sort(a.recent_changes.begin(), a.recent_changes.end(),
                   [](const RecentChange& x, const RecentChange& y) { return x.at < y.at; });
  a.uptime = uptime_of(component_names(a.status), issues, a.window);
  add_actions(a);
  return a;
}

} // namespace health
