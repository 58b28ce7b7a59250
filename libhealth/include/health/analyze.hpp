#pragma once
// analyze: the context document of DESIGN.md section 7. From one consistent
// snapshot of the file it finds what is wrong (issues, anomalies, stale
// series), since when, how bad, and what changed (trends, baseline
// comparison, recent changes); render.hpp renders it as JSON or a Markdown
// brief. Nothing in it is invented: every finding carries its evidence.
//
// The algorithms, in short (healthctl-analyze(1) says it in full):
// - Each series is bucketed over the baseline and the window at one step
//   (at most 300 buckets per window, so 5 minutes for 24 hours; buckets
//   start at whole multiples of the step). A bucket's value is its rate per
//   second for a counter (a bucket without samples is 0 between the series'
//   first and last sample), its average for a gauge and its p95 for a timer
//   or rolling series.
// - Anomaly: a window bucket whose robust z-score against the baseline
//   buckets (median, and 1.4826 x MAD as the scale; the mean absolute
//   deviation when the MAD is 0) is at least 6, that differs from the median
//   by at least 20% of it, and that lies beyond twice the distance from the
//   median to the baseline's 0.5th or 99.5th percentile. Such buckets at
//   most two buckets apart, on the same side, are one anomaly. A series
//   without 12 baseline buckets is judged against its own window (z and 20%
//   only). A counter's partial buckets (the one in progress) are not judged:
//   a rate over a part of a bucket is too rough.
// - Trend: TrendBuilder's least-squares fit over the window (aggregate.hpp);
//   with a baseline, an upward (downward) trend must also end where the
//   baseline never was: the median of the window's last hour of buckets
//   above the baseline buckets' 95th percentile (below their 5th), so a
//   daily cycle the baseline holds is no trend.
// - Stale: a series with at least 8 intervals between samples whose silence
//   up to now exceeds 3 times its median interval and 1.5 times its 99th
//   percentile interval.

#include <health/aggregate.hpp>
#include <health/backup.hpp>
#include <health/issues.hpp>
#include <health/names.hpp>
#include <health/query.hpp>
#include <health/status.hpp>
#include <health/store.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace health {

struct AnalyzeOptions {
  // The window's end: the present, or a past moment to look back at, when
  // issues, status and staleness are taken as they stood then.
  Millis now = 0;
  Millis window_ms = k_day_ms;         // the window is [now - window_ms, now)
  Millis baseline_ms = k_week_ms;      // the period just before the window
  std::vector<std::string> components; // empty: every component
  bool history = false;                // keep each series' coarse bucketed history
};

struct Anomaly {
  SeriesInfo series;
  Millis at = 0;    // start of the first anomalous bucket
  Millis until = 0; // end of the last
  std::size_t buckets = 0;
  double value = 0;    // the most extreme bucket's value
  double expected = 0; // the baseline median
  double score = 0;    // robust z of the most extreme bucket: > 0 above, < 0 below
};

struct StaleSeries {
  SeriesInfo series;
  Millis last_seen = 0;
  Millis expected_interval = 0; // the median interval between samples
};

// One series over the window, against the baseline.
struct SeriesAnalysis {
  SeriesInfo series;
  Stats current;                  // over the window (count 0: no samples there)
  std::optional<Stats> baseline;  // over the baseline, when it has samples
  std::optional<double> change_pct; // rate for a counter, else avg, against the baseline
  Trend trend;
  std::vector<Bucket> history; // AnalyzeOptions::history: coarse buckets over the window
  // Its own health: critical with an open critical issue on it, else degraded
  // with an open warning, else healthy. An issue is on the series of its
  // component and metric whose labels include the issue's, on every node.
  HealthStatus status = HealthStatus::healthy;
};

struct Uptime {
  std::string component;
  double uptime_pct = 100;       // share of the window without an open critical issue
  std::size_t incidents = 0;     // issues open at some time in the window
  std::optional<double> mttr_minutes; // mean time to resolve those resolved in the window
  std::optional<double> mtbf_hours;   // time without critical issues per incident
};

struct RecentChange {
  Millis at = 0;
  std::string kind; // issue_opened issue_resolved issue_reopened issue_escalated new_series backup backup_failed ...
  std::string text;
};

struct SuggestedAction {
  std::string text;
  std::string because; // the evidence: an issue, an anomaly, a stale series, the backup status
};

struct Analysis {
  Millis generated_at = 0;
  TimeRange window;
  TimeRange baseline;
  Millis step_ms = 0; // the anomaly buckets
  HealthReport status;
  std::vector<Issue> active_issues;     // open now, with events
  std::vector<Issue> recently_resolved; // resolved in the window, with events
  std::vector<SeriesAnalysis> series;   // with samples in the baseline or the window
  NodeNames node_names = NodeNames::hide; // show: those series come from more than one node
  std::vector<Anomaly> anomalies;       // strongest first
  std::vector<StaleSeries> stale;       // longest silent first
  std::vector<RecentChange> recent_changes; // oldest first
  BackupStatus backup;
  std::vector<Uptime> uptime;
  std::vector<SuggestedAction> actions; // most urgent first
};

// Analyzes the file at `options.now`. Throws Error(not_found) when a
// component of `options.components` is unknown.
Analysis analyze(Store& store, const AnalyzeOptions& options);

// The anomalies of `window` buckets against `baseline` buckets (see above).
std::vector<Anomaly> find_anomalies(const SeriesInfo& series, const std::vector<Bucket>& baseline,
                                    const std::vector<Bucket>& window, Millis step_ms);

} // namespace health
