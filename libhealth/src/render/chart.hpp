#pragma once
// The SVG chart writer of the HTML report: linear scales, round ticks for
// values and times, paths that break at gaps, and the chart of one series
// over a time range with its threshold lines, issue spans and findings.
// Everything it writes is well-formed XML (every element closed, every
// attribute quoted, text escaped), so the report parses as XHTML too.

#include <health/aggregate.hpp>
#include <health/time.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health::chart {

// Appends `text` with & < > " ' as character references: safe in element
// text and in quoted attributes of HTML and SVG alike.
void append_escaped(std::string& out, std::string_view text);
std::string escaped(std::string_view text);

// Maps the domain [d0, d1] onto the range [r0, r1] linearly; a domain of no
// width maps everything to the middle of the range.
struct Scale {
  double d0 = 0;
  double d1 = 1;
  double r0 = 0;
  double r1 = 1;
  double operator()(double value) const;
};

// Round values for an axis: the multiples of `step` (1, 2 or 5 times a
// power of ten) from the last at or below `lo` to the first at or above
// `hi`, at most `max_ticks` + 1 of them. Values equal but for float noise
// are widened around their value first, so there are always at least two
// ticks; the axis reaches no further than ±1e300, and non-finite bounds
// give 0 to 1.
struct Ticks {
  double step = 1;
  std::vector<double> values;
};
Ticks nice_ticks(double lo, double hi, std::size_t max_ticks);

// The labels of `ticks`: each value with as many decimals as the step needs
// ("0.25", "1500", "0.00002"), -0 as "0"; on an axis reaching ten thousand
// (million, billion, trillion, 10^15) all in those, with k (M, G, T, P):
// "15k", "250M". From 10^19 on, six significant digits.
std::vector<std::string> tick_labels(const Ticks& ticks);

// Time ticks inside `range`: the multiples (since the epoch, so days start
// at midnight UTC) of the smallest step of 1m 5m 15m 30m 1h 3h 6h 12h 1d 2d
// 7d 14d 28d, then doubling, that gives at most `max_ticks` of them.
struct TimeTicks {
  Millis step = k_hour_ms;
  std::vector<Millis> at;
};
TimeTicks time_ticks(TimeRange range, std::size_t max_ticks);

// A time tick's label: "YYYY-MM-DD" for steps of 28 days and more, "MM-DD"
// at midnight UTC or for steps of a day and more, else "HH:MM".
std::string time_label(Millis t, Millis step);

// Appends a coordinate with at most one decimal ("12.5", "300", "-0.5").
void append_coord(std::string& out, double value);

// One bucket of a series as the chart draws it: `value` is the line's point
// or the bar's height, [low, high] the band around it.
struct Point {
  Millis at = 0;
  double value = 0;
  double low = 0;
  double high = 0;
};

// An SVG path through the points (x, y) of each run, a new subpath ("M")
// where `breaks_before[i]` is true; "" for no points.
std::string line_path(const std::vector<double>& xs, const std::vector<double>& ys,
                      const std::vector<bool>& breaks_before);

// A closed SVG path per run: along `highs` forward, back along `lows`.
std::string band_path(const std::vector<double>& xs, const std::vector<double>& lows,
                      const std::vector<double>& highs, const std::vector<bool>& breaks_before);

enum class Shape { line, bars };

// A horizontal line at a threshold's bound.
struct Rule {
  double value = 0;
  std::string label;      // "crit 1000", drawn beside the line
  std::string css_class;  // "crit" or "warn"
};

// A stretch of time: an issue (shaded) or a finding (outlined, marked).
struct Span {
  Millis from = 0;
  Millis to = 0;
  std::string label;     // drawn at its top: "#3", "A1"
  std::string title;     // its tooltip and text alternative
  std::string css_class; // "critical", "warning"; "anomaly", "level_shift", ...
};

struct Chart {
  std::string id;          // unique in the page: the title's and description's ids derive from it
  std::string title;       // "p95 query_ms (ms)"
  std::string description; // the text alternative: what the chart shows, in words
  std::string unit;        // drawn above the value axis
  TimeRange range;
  Millis step = k_hour_ms; // the width of a bucket
  Shape shape = Shape::line;
  std::vector<Point> points; // in time order
  std::vector<Rule> rules;
  std::vector<Span> issues;
  std::vector<Span> findings;
};

// The value axis' domain: the points' lows and highs (and 0 for bars), and
// each rule within one data span of them; `off_chart` gets the rules left
// out, which the chart does not draw: the caller says them in words.
struct Domain {
  double lo = 0;
  double hi = 1;
};
Domain value_domain(const Chart& chart, std::vector<const Rule*>* off_chart = nullptr);

// The chart as one <svg> element, `width` by `height` in its viewBox (it
// scales with the page), with role="img", a <title> and <desc>, and class
// names for the page's style sheet: grid, axis, band, line, bar, rule,
// issue, finding.
std::string svg(const Chart& chart, double width, double height);

} // namespace health::chart
