// analyze_eval: how well health::analyze finds labelled incidents and keeps
// quiet on calm series. It records the cases of labelled_series.hpp into a
// fresh database, analyzes each case's window on its own, and prints per kind
// and in total the incidents found and the calm cases with a false alarm. A
// case counts as flagged when analyze reports any anomaly (of any kind) on
// its series. The score is the share found less the share of false alarms.
//
// Usage: analyze_eval [--seed N] [--incidents N] [--calm N] [--min-score X]
//                     [--max-false-pct Y] [--min-found-pct Z] [--verbose]
// Exit: 0 when every gate given holds, 1 when one does not (or on an error),
// 2 on bad arguments.

#include "labelled_series.hpp"
#include "temp_dir.hpp"

#include <health/analyze.hpp>
#include <health/recorder.hpp>
#include <health/store.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using test::eval::Case;

struct Options {
  unsigned seed = 1;
  std::size_t incidents = 120;
  std::size_t calm = 120;
  std::optional<double> min_score;
  std::optional<double> max_false_pct;
  std::optional<double> min_found_pct;
  bool verbose = false;
};

constexpr const char* k_usage =
    "usage: analyze_eval [--seed N] [--incidents N] [--calm N] [--min-score X]\n"
    "                    [--max-false-pct Y] [--min-found-pct Z] [--verbose]\n";

std::optional<unsigned long long> whole_number(const char* text) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text, &end, 10);
  if (*text < '0' || *text > '9' || *end != '\0' || n > 1000000) return std::nullopt;
  return n;
}

std::optional<double> real_number(const char* text) {
  char* end = nullptr;
  const double x = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(x > -1e9 && x < 1e9)) return std::nullopt;
  return x;
}

// Stores `value` (the argument after `flag`) into `options`; false when the
// flag is unknown or its value is not a number of the right kind.
bool set_option(Options& options, std::string_view flag, const char* value) {
  const auto count = whole_number(value);
  const auto real = real_number(value);
  if (flag == "--seed" && count) options.seed = static_cast<unsigned>(*count);
  else if (flag == "--incidents" && count) options.incidents = static_cast<std::size_t>(*count);
  else if (flag == "--calm" && count) options.calm = static_cast<std::size_t>(*count);
  else if (flag == "--min-score" && real) options.min_score = real;
  else if (flag == "--max-false-pct" && real) options.max_false_pct = real;
  else if (flag == "--min-found-pct" && real) options.min_found_pct = real;
  else return false;
  return true;
}

// The options of `argv`, or nullopt after printing what is wrong.
std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--verbose") {
      options.verbose = true;
      continue;
    }
    if (i + 1 >= argc || !set_option(options, flag, argv[i + 1])) {
      std::fprintf(stderr, "analyze_eval: bad argument '%s%s%s'\n%s", argv[i], i + 1 < argc ? " " : "",
                   i + 1 < argc ? argv[i + 1] : "", k_usage);
      return std::nullopt;
    }
    ++i;
  }
  return options;
}

health::SeriesSpec spec_of(const Case& c) {
  health::SeriesSpec spec;
  spec.key.node = "eval";
  spec.key.component = c.name;
  spec.key.name = "value";
  spec.type = c.type;
  spec.unit = c.unit;
  return spec;
}

// Records every case's samples, up to 200,000 per transaction; returns how
// many. The cases end in late November 2026: allowing the future keeps the
// run working on a machine whose clock is earlier.
std::size_t record_cases(health::Store& store, const std::vector<Case>& cases) {
  constexpr std::size_t k_batch = 200000;
  std::vector<health::Recording> batch;
  std::size_t total = 0;
  for (const Case& c : cases) {
    const health::SeriesSpec spec = spec_of(c);
    for (const test::eval::Point& point : c.samples) batch.push_back({spec, {point.ts, point.value, {}}});
    total += c.samples.size();
    if (batch.size() < k_batch) continue;
    health::record(store, batch, health::AllowFuture::yes);
    batch.clear();
  }
  if (!batch.empty()) health::record(store, batch, health::AllowFuture::yes);
  return total;
}

struct Verdict {
  const Case* c = nullptr;
  std::optional<health::Anomaly> first; // the strongest finding on its series, if any
  bool flagged() const { return first.has_value(); }
};

Verdict judge(health::Store& store, const Case& c) {
  health::AnalyzeOptions options;
  options.now = c.until;
  options.window_ms = c.until - c.since;
  options.baseline_ms = c.baseline_ms;
  options.components = {c.name};
  const health::Analysis analysis = health::analyze(store, options);
  Verdict verdict{&c, std::nullopt};
  for (const health::Anomaly& anomaly : analysis.anomalies) {
    if (anomaly.series.component != c.name || anomaly.series.name != "value") continue;
    verdict.first = anomaly;
    break;
  }
  return verdict;
}

void print_case(const Verdict& v) {
  const Case& c = *v.c;
  const char* outcome = c.incident ? (v.flagged() ? "found" : "MISSED") : (v.flagged() ? "FALSE-ALARM" : "quiet");
  std::printf("%s %-24s %-11s %s/%s/%s", c.name.c_str(), c.kind.c_str(), outcome,
              health::format_duration(c.interval_ms).c_str(), health::format_duration(c.until - c.since).c_str(),
              health::format_duration(c.baseline_ms).c_str());
  if (c.incident)
    std::printf("  label %s..%s", health::format_time(c.incident_from).c_str(),
                health::format_time(c.incident_until).c_str());
  if (v.first)
    std::printf("  first %s against %s at %s until %s value %.4g expected %.4g score %.3g",
                std::string(health::to_string(v.first->kind)).c_str(),
                std::string(health::to_string(v.first->reference)).c_str(), health::format_time(v.first->at).c_str(),
                health::format_time(v.first->until).c_str(), v.first->value, v.first->expected, v.first->score);
  std::printf("\n");
}

struct Tally {
  std::size_t flagged = 0;
  std::size_t total = 0;
  void add(bool is_flagged) {
    flagged += is_flagged ? 1U : 0U;
    ++total;
  }
  double pct() const { return total == 0 ? 0 : 100.0 * static_cast<double>(flagged) / static_cast<double>(total); }
};

// Incident kinds first, then calm ones, each by name.
void print_kinds(const std::vector<Verdict>& verdicts) {
  std::map<std::pair<bool, std::string>, Tally> kinds;
  for (const Verdict& v : verdicts) kinds[{!v.c->incident, v.c->kind}].add(v.flagged());
  for (const auto& [key, tally] : kinds)
    std::printf("%-24s %3zu/%-3zu %s\n", key.second.c_str(), tally.flagged, tally.total,
                key.first ? "with a false alarm" : "found");
}

struct Totals {
  Tally found;
  Tally false_alarms;
  double score() const { return (found.pct() - false_alarms.pct()) / 100; }
};

Totals totals_of(const std::vector<Verdict>& verdicts) {
  Totals totals;
  for (const Verdict& v : verdicts) (v.c->incident ? totals.found : totals.false_alarms).add(v.flagged());
  return totals;
}

// Prints each gate of `options` that `totals` misses; true when none is missed.
bool gates_hold(const Totals& totals, const Options& options) {
  bool hold = true;
  if (options.min_score && totals.score() < *options.min_score) {
    std::printf("gate missed: score %.3f < %.3f\n", totals.score(), *options.min_score);
    hold = false;
  }
  if (options.max_false_pct && totals.false_alarms.pct() > *options.max_false_pct) {
    std::printf("gate missed: false alarms %.1f%% > %.1f%%\n", totals.false_alarms.pct(), *options.max_false_pct);
    hold = false;
  }
  if (options.min_found_pct && totals.found.pct() < *options.min_found_pct) {
    std::printf("gate missed: found %.1f%% < %.1f%%\n", totals.found.pct(), *options.min_found_pct);
    hold = false;
  }
  return hold;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The seconds each stage of a run took.
struct Timings {
  double generate = 0;
  double record = 0;
  double analyze = 0;
};

void print_totals(const Options& options, std::size_t samples, const Timings& took, const Totals& totals) {
  std::printf("seed %u: %zu cases, %zu samples; generated in %.1f s, recorded in %.1f s, analyzed in %.1f s\n",
              options.seed, totals.found.total + totals.false_alarms.total, samples, took.generate, took.record,
              took.analyze);
  std::printf("incidents found: %zu/%zu (%.1f%%)  calm with a false alarm: %zu/%zu (%.1f%%)  score %.3f\n",
              totals.found.flagged, totals.found.total, totals.found.pct(), totals.false_alarms.flagged,
              totals.false_alarms.total, totals.false_alarms.pct(), totals.score());
}

health::Store create_store(const test::TempDir& dir) {
  health::StoreOptions options;
  options.path = dir.file("eval.db");
  options.mode = health::OpenMode::create;
  return health::Store::open(options);
}

int run(const Options& options) {
  Timings took;
  auto start = std::chrono::steady_clock::now();
  const std::vector<Case> cases = test::eval::generate_cases(options.seed, options.incidents, options.calm);
  took.generate = seconds_since(start);
  const test::TempDir dir;
  health::Store store = create_store(dir);
  start = std::chrono::steady_clock::now();
  const std::size_t samples = record_cases(store, cases);
  took.record = seconds_since(start);
  start = std::chrono::steady_clock::now();
  std::vector<Verdict> verdicts;
  for (const Case& c : cases) verdicts.push_back(judge(store, c));
  took.analyze = seconds_since(start);
  if (options.verbose)
    for (const Verdict& v : verdicts) print_case(v);
  print_kinds(verdicts);
  const Totals totals = totals_of(verdicts);
  print_totals(options, samples, took, totals);
  return gates_hold(totals, options) ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse_options(argc, argv);
  if (!options) return 2;
  try {
    return run(*options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "analyze_eval: error: %s\n", e.what());
    return 1;
  }
}
