#pragma once
// analyze: the context document of DESIGN.md section 7. From one consistent
// snapshot of the file it finds what is wrong (issues, anomalies, stale
// series), since when, how bad, and what changed (trends, baseline
// comparison, recent changes); render.hpp renders it as JSON or a Markdown
// brief. Nothing in it is invented: every finding carries its evidence.
//
// The algorithms, in short (healthctl-analyze(1) says it in full, with the
// constants, which live in analysis/detect.cpp):
// - Each series is bucketed over the baseline and the window at its own
//   step: its median interval between samples (judging_step), so a
//   one-sample spike is never averaged away. A bucket's value is its rate
//   per second for a counter (0 between the series' first and last sample
//   where it has none), its average for a gauge and its p95 for a timer or
//   rolling series.
// - Reference: what the baseline says each window bucket should be. The
//   whole baseline (its median), or, when the baseline holds two days (two
//   weeks), the median of its buckets at the same time of day (of the same
//   weekday), whichever spreads the residuals least: each baseline bucket
//   is judged against the other days, so a cycle must earn its keep. z is a
//   bucket's residual over the robust spread of the baseline's (1.4826 MAD).
// - anomaly: buckets at least 6 z from the expected value, beyond what the
//   baseline held (its lowest to highest, or at that time of day, widened
//   by 20% of how far its noise went), and material: 20% of the expected
//   value, or half that reach beyond the held range. Parts at most two
//   buckets apart are one.
// - level_shift: runs of 6 buckets and 30 minutes with a median z of 3, or
//   24 buckets and 2 hours with a median z of 1, and more for a baseline
//   whose own runs strayed as far; at least 10% from the expected value.
// - flatline (constant samples) and dropout (a counter at zero, silence to
//   the window's end included): runs of 6 buckets and 30 minutes and twice
//   the longest such run of the baseline.
// - A series without 12 baseline buckets is judged against its own window
//   (z and 20% only). A counter's partial buckets are not judged.
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
#include <string_view>
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
  std::size_t history_points = 50;     // ... in at most about this many buckets (step_for_points)
};

// What kind of thing a finding is.
enum class FindingKind {
  anomaly,     // buckets far outside what the reference expected
  level_shift, // a sustained change of level
  flatline,    // constant where the baseline varied
  dropout,     // a counter's rate at zero where the baseline's never stayed there
};
std::string_view to_string(FindingKind kind);

// What a series' buckets were compared with.
enum class Reference {
  window, // its own window: the baseline was too short
  whole,  // every bucket of the baseline
  daily,  // the baseline's buckets at the same time of day
  weekly, // the baseline's buckets at the same time of the same weekday
};
std::string_view to_string(Reference reference);

// One finding about one series (the anomalies of DESIGN.md section 7).
struct Anomaly {
  SeriesInfo series;
  FindingKind kind = FindingKind::anomaly;
  Reference reference = Reference::whole;
  Millis at = 0;      // start of its first bucket: when the shift, flatline or dropout began
  Millis until = 0;   // end of its last bucket
  Millis step_ms = 0; // the series' bucket step
  std::size_t buckets = 0;
  double value = 0;    // anomaly: the most extreme bucket; else the median bucket from `at` on
  double expected = 0; // the reference's median there: the level before
  // anomaly and level_shift: robust z (the most extreme bucket's, the
  // median of the shift's), > 0 above, < 0 below; flatline and dropout: its
  // length over the longest like run in the baseline.
  double score = 0;
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
  Millis step_ms = 0; // the buckets it was judged by
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
  HealthReport status;
  std::vector<Issue> active_issues;     // open now, with events
  std::vector<Issue> recently_resolved; // resolved in the window, with events
  std::vector<SeriesAnalysis> series;   // with samples in the baseline or the window
  Millis history_step_ms = 0;           // the step of their history buckets (0: none kept)
  NodeNames node_names = NodeNames::hide; // show: those series come from more than one node
  std::vector<Anomaly> anomalies;       // strongest first
  std::vector<StaleSeries> stale;       // longest silent first
  std::vector<RecentChange> recent_changes; // oldest first
  BackupStatus backup;
  std::vector<Uptime> uptime;
  std::vector<SuggestedAction> actions; // most urgent first
};

// Whether the issue (or threshold) of `key` is on series `s`: its
// component and metric, with the key's labels among the series' own; a key
// without a metric is on every series of its component.
bool on_series(const IssueKey& key, const SeriesInfo& s);

// Analyzes the file at `options.now`. Throws Error(not_found) when a
// component of `options.components` is unknown.
Analysis analyze(Store& store, const AnalyzeOptions& options);

// The findings of `window` buckets against `baseline` buckets, both at
// `step_ms`, strongest first (see above). `range` is the window (a counter
// silent up to its end dropped out); empty: from its first bucket to the
// end of its last.
std::vector<Anomaly> find_anomalies(const SeriesInfo& series, const std::vector<Bucket>& baseline,
                                    const std::vector<Bucket>& window, Millis step_ms, TimeRange range = {});

// The bucket step analyze judges a series at: the smallest step of the
// ladder (aggregate.hpp) at least 0.9 times its median interval between
// samples (jitter aside, never finer than the series), coarser only to keep
// `range_ms` within k_max_buckets.
inline constexpr std::size_t k_max_buckets = 20000;
Millis judging_step(Millis median_interval_ms, Millis range_ms);

} // namespace health
