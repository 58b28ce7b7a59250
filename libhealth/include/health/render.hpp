#pragma once
// Rendering: every text, JSON, CSV, Markdown and Nagios form of the
// library's results, so that the CLI and a server print the same bytes from
// the same structs. A renderer takes results and a Format and returns the
// text (or writes it to a sink, for streams); it throws Error(usage) for a
// format it does not offer. Text ends with a newline; JSON is one document
// and a newline.

#include <health/analyze.hpp>
#include <health/backup.hpp>
#include <health/cleanup.hpp>
#include <health/export.hpp>
#include <health/ingest.hpp>
#include <health/maintain.hpp>
#include <health/probes.hpp>
#include <health/push.hpp>
#include <health/issues.hpp>
#include <health/query.hpp>
#include <health/sql.hpp>
#include <health/status.hpp>
#include <health/store.hpp>
#include <health/summary.hpp>
#include <health/thresholds.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace health {

enum class Format { text, table, json, ndjson, csv, tsv, markdown, nagios, html, prometheus, openmetrics };
std::string_view to_string(Format format);
// Throws Error(usage) for a name that is none of the above.
Format parse_format(std::string_view name);

// ---- building blocks

// An aligned text table: the header row, then each row, columns separated by
// two spaces, the last column not padded.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// A Markdown table: the header row, the `| --- |` row, then each row, with
// `|` in a cell escaped.
std::string format_markdown_table(const std::vector<std::string>& header,
                                  const std::vector<std::vector<std::string>>& rows);

enum class Sparklines { none, unicode, ascii };

// A sparkline of `values`, one character per value scaled from the smallest
// to the largest, a space where a value is missing. Unicode block
// characters, or with Sparklines::ascii the characters _.-~^ (lowest to
// highest). Sparklines::none gives "".
std::string sparkline(const std::vector<std::optional<double>>& values, Sparklines style);

// ---- the database, recording and series

// The database `store` opened (init): text (its path, its schema version)
// or json {"created","path","schema_version"} (keys in alphabetical order).
std::string render_database(const Store& store, Format format);

// What ingest read and wrote (text only).
std::string render_ingest(const IngestReport& report, DryRun dry_run);
// The same as a JSON object of its counts, for serve's POST ingest and record.
std::string render_ingest_json(const IngestReport& report);

// Components with their series and samples: table, json or csv. A
// component's status is its entry in `statuses`, healthy without one.
std::string render_components(const std::vector<ComponentInfo>& components,
                              const std::map<std::string, HealthStatus>& statuses, Format format);

// Series with their type, unit and extent: table, json or csv.
std::string render_metrics(const std::vector<SeriesInfo>& series, Format format);

// Per series statistics and trend over `range`: table (with a sparkline
// column unless `sparklines` is none), json, csv or markdown.
std::string render_summary(const std::vector<SeriesSummary>& summaries, TimeRange range, Format format,
                           Sparklines sparklines = Sparklines::none);

// The export of `options` in json, ndjson, csv or tsv (healthctl-export(1)),
// written to `out` as it is read from one snapshot; the errors are those of
// write_export in export.hpp.
ExportTotals write_export(Store& store, const ExportOptions& options, Format format, Millis generated_at,
                          const TextSink& out);

// The result of one read-only SQL statement as table, json, ndjson or csv,
// row by row: `columns` once, then `row` for each row, then `finish`. Text
// goes to `out` in pieces of about 64 KiB as rows come, so memory stays flat
// however many rows there are. The table holds only its first 1000 rows (or
// fewer, when their cells reach 1 MiB), to align its columns on them; a
// wider value after those widens its column from its row on.
class SqlWriter {
public:
  SqlWriter(Format format, TextSink out);
  ~SqlWriter();
  SqlWriter(const SqlWriter&) = delete;
  SqlWriter& operator=(const SqlWriter&) = delete;

  void columns(const std::vector<std::string>& names);
  void row(const std::vector<SqlValue>& values);
  void finish();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// ---- thresholds, check, issues, status

// Thresholds: table (with what the last check saw) or json, the import
// format {"thresholds":[{"component","metric","labels","warn","crit","agg",
// "window","for","enabled","description"}]}.
std::string render_thresholds(const std::vector<Threshold>& thresholds, Format format);

// ---- probes

// Probes: table (with what their last run left) or json {"probes":[...]},
// each spec as render_probes_json writes it plus its "state".
std::string render_probes(const std::vector<Probe>& probes, Format format);
// One probe: text (its spec and state, a line each) or json.
std::string render_probe(const Probe& probe, Format format);
// `probe export`: {"probes":[{"name","kind","target",...}]}, every field
// that applies to each probe's kind, what `probe import` reads.
std::string render_probes_json(const std::vector<Probe>& probes);
// What a probe run did: text (a line per probe, then a line per issue
// event) or json {"ran_at","probes":[...],"changes":[...]}.
std::string render_probe_run(const ProbeRunReport& report, Format format);

// One notify hook run of a check, as its json reports it.
struct HookRun {
  std::int64_t issue_id = 0;
  std::int64_t event_id = 0;
  std::string outcome; // delivered, failed or timeout
  std::string detail;
};

// What check did: text (a line per issue event, see render_check_change)
// or json {"checked_at","status","changes","evaluations","jobs","notifications"}.
std::string render_check(const CheckResult& result, HealthStatus status, const std::vector<HookRun>& hooks,
                         Format format);
// One line saying what an issue event of check was: `opened issue 3:
// database query_ms warning: p95 ...`.
std::string render_check_change(const IssueChange& change);

// One issue: text (its fields and its event timeline) or json (DESIGN.md
// sections 3 and 5, times RFC 3339, duration_minutes at `now`, its events).
std::string render_issue(const Issue& issue, Millis now, Format format);
// Issues: table or json (an array, one issue a line).
std::string render_issues(const std::vector<Issue>& issues, Millis now, Format format);
// What an issue command changed: text (one line) or json (the issue).
std::string render_issue_change(const IssueChange& change, Millis now, Format format);
// `issue resolve COMPONENT METRIC` with nothing open: text (one line) or
// json (null: no issue).
std::string render_nothing_to_resolve(const IssueKey& key, Format format);
// What a notify hook receives: {"event":{...},"issue":{...}} (the issue
// without its event list).
std::string render_event_payload(const Issue& issue, const IssueEvent& event, Millis now);

// Health status: text (the overall status, then each component and its
// issues), json (DESIGN.md section 5) or nagios: one monitoring-plugin line,
// `HEALTH CRITICAL - database: p95 query_ms 2500 ms outside 0..1000 |
// 'database.query_ms'=2500ms;500;1000;;`, with perfdata for each threshold
// check has evaluated.
std::string render_status(const HealthReport& report, Format format);
// The monitoring-plugin line when no status could be found: `HEALTH UNKNOWN
// - <why>`.
std::string render_status_unknown(std::string_view why);

// ---- lifecycle

std::string render_cleanup(const CleanupReport& report, DryRun dry_run, Format format); // text, json
// What a push sent to `target` (text, json).
std::string render_push(const PushReport& report, const std::string& target, DryRun dry_run, Format format);
std::string render_backup(const BackupResult& result, Format format);                   // text, json
std::string render_backups(const std::vector<CheckedBackup>& backups, Format format);   // table, json
// A backup that passed its check (text).
std::string render_backup_check(const std::string& path, const BackupCheck& check);
std::string render_prune(const PruneResult& result, DryRun dry_run); // text
// The backup status of `dir`, which holds `backups` backups: text or json
// {"backup_dir","last_backup","last_success","last_verified","attempts_30d",
// "successes_30d","success_rate","backups"}.
std::string render_backup_status(const BackupStatus& status, const std::string& dir, std::size_t backups,
                                 Format format);
std::string render_restore(const std::string& backup, const RestoreResult& result); // text

// One line of progress, without a line end: "healthctl: ingest: reading 45%
// (117.2 MB of 260.4 MB)", "healthctl: cleanup: removing samples 120000",
// "healthctl: cleanup: vacuum 12 s" (`elapsed_ms` in the step, for work
// that counts nothing).
std::string render_progress(std::string_view command, const Progress& progress, Millis elapsed_ms);
// What maintain did, text: a line per step, `<step>: <what it did> (<N> ms)`
// or `<step>: failed: <why> (<N> ms)`, check's issue events below its line.
// json: {"ok", "steps": [{name, ok, error, duration_ms}], "check" (as
// check's document), "cleanup" (as cleanup's), "backup", "prune",
// "warnings"}, a step's part null when it did not succeed.
std::string render_maintain(const MaintainReport& report, Format format = Format::text);

// ---- analyze: the documents of DESIGN.md section 7, json or markdown

// The whole analysis. With `max_bytes`, the lowest-signal detail is left out
// first until the JSON fits, and `notes` says what was left out; active
// issues, stale series and the strongest anomaly go last.
std::string analysis_document(const Analysis& analysis, Format format,
                              std::optional<std::size_t> max_bytes = std::nullopt);
// The same facts for one component, with each series' history and the
// issues' events (`analysis` made with that component and history).
std::string diagnose_document(const Analysis& analysis, const std::string& component, Format format,
                              std::optional<std::size_t> max_bytes = std::nullopt);
// The trend of every series in the window, strongest change first.
std::string trends_document(const Analysis& analysis, Format format,
                            std::optional<std::size_t> max_bytes = std::nullopt);
// Every series' window against its baseline (avg, p95, rate, change_pct),
// the largest change first.
std::string compare_document(const Analysis& analysis, Format format,
                             std::optional<std::size_t> max_bytes = std::nullopt);
// The suggested actions alone.
std::string recommendations_document(const Analysis& analysis, Format format,
                                     std::optional<std::size_t> max_bytes = std::nullopt);
// One issue, its events and its metric from an hour before it opened to its
// resolution (or `now`). Throws Error(not_found) for an unknown id.
std::string incident_document(Store& store, std::int64_t issue_id, Millis now, Format format,
                              std::optional<std::size_t> max_bytes = std::nullopt);

// ---- Prometheus: healthctl-export(1) PROMETHEUS

// The metric family a series is in, and how its values become the family's
// base unit: the name in snake_case in Prometheus' grammar, a unit
// word at its end replaced by the base unit (query_ms in ms is
// query_seconds, values divided by 1000; bytes; percent), _total after a
// counter's, _value after another type's name that ends in a reserved
// suffix (_total, _count, _sum, _bucket).
struct PrometheusName {
  std::string family;
  double factor = 1;   // units of the series per base unit (divide), or base units per unit
  bool divide = false;
  double base_value(double value) const { return divide ? value / factor : value * factor; }
};
PrometheusName prometheus_name(const SeriesInfo& series);

// The text exposition (format 0.0.4) of `series`, without timestamps, as
// node_exporter's textfile collector reads it: families by name, each with
// # HELP and # TYPE; labels node, component and the series' own; a counter's
// running total, a gauge's last value, a timer's or rolling series' summary
// (the quantiles of the last k_summary_window_ms, _sum and _count of every
// sample). Throws Error(bad_data) naming both series when two would be one
// metric, or one family would hold two types.
std::string render_prometheus(const std::vector<CurrentSeries>& series);

// A series as Prometheus stores it: its metric name and every label,
// __name__ among them, sorted by name (as remote write wants them).
using PrometheusLabels = std::vector<std::pair<std::string, std::string>>;
struct PrometheusSeries {
  std::string name;
  PrometheusLabels labels;
};

// The series one healthctl series is in a history (OpenMetrics, remote
// write): the family of a gauge or counter, or a summary's _count and _sum.
// Throws Error(bad_data) when two of its labels have one Prometheus name.
std::vector<PrometheusSeries> prometheus_series(const SeriesInfo& series);

// The history of one series over `range`, as OpenMetrics and remote write
// carry it: `visit(at, values)` once per millisecond that holds samples, in
// time order, with one value per prometheus_series entry in base units (its
// last sample's state): a gauge's value, a counter's running total, a
// summary's running _count and _sum, carried on from before the range.
void prometheus_history(Store& store, SampleScanner& scanner, const SeriesInfo& series, TimeRange range,
                        const std::function<void(Millis, std::span<const double>)>& visit);

// Throws Error(bad_data) naming both series when two of `series` would be
// one Prometheus series, or one family would hold two types.
void check_prometheus_names(const std::vector<SeriesInfo>& series);

// The history of the series of `filter` over `range` in OpenMetrics' text
// format, for `promtool tsdb create-blocks-from openmetrics` (a backfill):
// the families of render_prometheus, each series' points in time order with
// timestamps in seconds, one per millisecond that holds samples (its last
// sample's state), then `# EOF`. A gauge is its values; a counter its
// running total, and a timer or rolling series the running _count and _sum
// of a summary, carried on from before the range. Written to `out` in
// pieces of about 64 KiB from one snapshot; errors as render_prometheus.
void write_openmetrics(Store& store, const SeriesFilter& filter, TimeRange range, const TextSink& out);

// ---- remote write: healthctl-push(1)

// One series of a remote-write request: its labels (prometheus_series) and
// its samples, (time, value) in time order.
struct RemoteWriteSeries {
  const PrometheusLabels* labels;
  std::vector<std::pair<Millis, double>> samples;
};

// Prometheus remote write 1.0's WriteRequest of `series` in protobuf's wire
// format, not yet compressed (the sender adds snappy's block format).
std::string encode_write_request(const std::vector<RemoteWriteSeries>& series);

// ---- report: healthctl-report(1)

// The most history buckets a report's charts draw: analyze with `history`
// and `history_points` set to this gives render_report what it needs.
inline constexpr std::size_t k_report_points = 240;

// The analysis (made with history) as a report: html, one self-contained
// page (inline CSS and SVG, no script, no external reference) with the
// headline, suggested actions, the issue timeline, a chart per series with
// its threshold lines, issue spans and findings, and the summary table;
// markdown, the analysis brief with sparklines and the issue timeline; csv,
// the summary table, a row per series; json, the analysis document with
// histories, thresholds and the timeline.
std::string render_report(const Analysis& analysis, Format format);

} // namespace health
