// The SVG chart writer: scales, ticks, paths and one series' chart.

#include "render/chart.hpp"

#include <health/format.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace health::chart {

namespace {

// The plot area inside the viewBox: room for the value labels on the left,
// the time labels below and the unit above.
constexpr double k_left = 58;
constexpr double k_right = 14;
constexpr double k_top = 18;
constexpr double k_bottom = 22;
constexpr std::size_t k_value_ticks = 4;
constexpr std::size_t k_time_ticks = 8;
constexpr double k_max_axis = 1e300; // the value axis' furthest reach either way

} // namespace

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
}

std::string escaped(std::string_view text) {
  std::string out;
  append_escaped(out, text);
  return out;
}

double Scale::operator()(double value) const {
  if (d1 == d0) return (r0 + r1) / 2;
  return r0 + (value - d0) / (d1 - d0) * (r1 - r0);
}

Ticks nice_ticks(double lo, double hi, std::size_t max_ticks) {
  max_ticks = std::max<std::size_t>(max_ticks, 1);
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  // Beyond ±1e300 the span itself could overflow: the axis stops there.
  lo = std::clamp(lo, -k_max_axis, k_max_axis);
  hi = std::clamp(hi, -k_max_axis, k_max_axis);
  if (hi < lo) std::swap(lo, hi);
  // Values equal but for float noise (averages of 0.1) are one value: ticks
  // a few ulps apart would count past 2^53 and never end.
  const double magnitude = std::max(std::abs(lo), std::abs(hi));
  if (hi - lo <= magnitude * 1e-9) {
    const double pad = magnitude == 0 ? 1 : magnitude * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / static_cast<double>(max_ticks);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  Ticks ticks;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    ticks.step = m * power;
    if (std::ceil(hi / ticks.step - 1e-9) - std::floor(lo / ticks.step + 1e-9) <= static_cast<double>(max_ticks)) break;
  }
  const double first = std::floor(lo / ticks.step + 1e-9);
  const double steps = std::ceil(hi / ticks.step - 1e-9) - first;
  const auto count =
      std::isfinite(steps) ? static_cast<std::size_t>(std::clamp(steps, 1.0, static_cast<double>(max_ticks + 1))) : 1;
  for (std::size_t i = 0; i <= count; ++i) ticks.values.push_back((first + static_cast<double>(i)) * ticks.step);
  return ticks;
}

std::vector<std::string> tick_labels(const Ticks& ticks) {
  // An axis reaching ten thousand (million, ...) is labelled in thousands
  // (millions, ...), every tick alike, so that the labels fit the margin.
  static constexpr std::array<std::pair<double, std::string_view>, 5> k_prefixes{
      {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
  double largest = 0;
  for (const double v : ticks.values) largest = std::max(largest, std::abs(v));
  double size = 1;
  std::string_view prefix;
  for (const auto& [scale, name] : k_prefixes)
    if (largest >= 10 * scale && largest < 1e19) {
      size = scale;
      prefix = name;
      break;
    }
  std::vector<std::string> labels;
  for (const double v : ticks.values) {
    const double step = ticks.step / size;
    // Snap float noise (0.30000000000000004) to the step's precision.
    const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    double rounded = largest >= 1e19 ? round_significant(v, 6) : round_decimals(v / size, decimals);
    if (rounded == 0) rounded = 0; // -0 as 0
    labels.push_back(number_text(rounded) + (rounded == 0 ? "" : std::string(prefix)));
  }
  return labels;
}

TimeTicks time_ticks(TimeRange range, std::size_t max_ticks) {
  static constexpr std::array<Millis, 13> k_steps{
      k_minute_ms,     5 * k_minute_ms, 15 * k_minute_ms, 30 * k_minute_ms, k_hour_ms,
      3 * k_hour_ms,   6 * k_hour_ms,   12 * k_hour_ms,   k_day_ms,         2 * k_day_ms,
      k_week_ms,       2 * k_week_ms,   4 * k_week_ms};
  TimeTicks ticks;
  const Millis span = std::max<Millis>(range.until - range.since, 1);
  const auto fits = [&](Millis step) { return span / step + 1 <= static_cast<Millis>(std::max<std::size_t>(max_ticks, 1)); };
  ticks.step = k_steps.back();
  for (const Millis step : k_steps) {
    if (fits(step)) {
      ticks.step = step;
      break;
    }
  }
  while (!fits(ticks.step)) ticks.step *= 2; // beyond 28 days: 56, 112, ...
  for (Millis t = bucket_start(range.since, ticks.step); t < range.until; t += ticks.step)
    if (t >= range.since) ticks.at.push_back(t);
  return ticks;
}

std::string time_label(Millis t, Millis step) {
  const std::string text = format_time(t); // 2025-01-15T10:30:00.000Z
  if (step >= 4 * k_week_ms) return text.substr(0, 10); // a range of months, perhaps years
  if (step >= k_day_ms || bucket_start(t, k_day_ms) == t) return text.substr(5, 5);
  return text.substr(11, 5);
}

void append_coord(std::string& out, double value) {
  const double rounded = std::round(value * 10) / 10;
  append_number(out, rounded == 0 ? 0.0 : rounded);
}

std::string line_path(const std::vector<double>& xs, const std::vector<double>& ys,
                      const std::vector<bool>& breaks_before) {
  std::string d;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!d.empty()) d += ' ';
    d += i == 0 || breaks_before[i] ? 'M' : 'L';
    append_coord(d, xs[i]);
    d += ',';
    append_coord(d, ys[i]);
  }
  return d;
}

std::string band_path(const std::vector<double>& xs, const std::vector<double>& lows,
                      const std::vector<double>& highs, const std::vector<bool>& breaks_before) {
  std::string d;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= xs.size(); ++i) {
    if (i < xs.size() && !breaks_before[i]) continue;
    // One run: [start, i).
    for (std::size_t j = start; j < i; ++j) {
      if (!d.empty()) d += ' ';
      d += j == start ? 'M' : 'L';
      append_coord(d, xs[j]);
      d += ',';
      append_coord(d, highs[j]);
    }
    for (std::size_t j = i; j-- > start;) {
      d += " L";
      append_coord(d, xs[j]);
      d += ',';
      append_coord(d, lows[j]);
    }
    if (i > start) d += " Z";
    start = i;
  }
  return d;
}

Domain value_domain(const Chart& chart, std::vector<const Rule*>* off_chart) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const auto& p : chart.points) {
    lo = std::min({lo, p.low, p.value});
    hi = std::max({hi, p.high, p.value});
  }
  if (chart.points.empty()) lo = hi = 0;
  if (chart.shape == Shape::bars) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  const double reach = hi > lo ? hi - lo : std::max(std::abs(hi), 1.0);
  const double data_lo = lo;
  const double data_hi = hi;
  for (const auto& rule : chart.rules) {
    if (rule.value >= data_lo - reach && rule.value <= data_hi + reach) {
      lo = std::min(lo, rule.value);
      hi = std::max(hi, rule.value);
    } else if (off_chart != nullptr) {
      off_chart->push_back(&rule);
    }
  }
  return {lo, hi};
}

namespace {

// Where values and times land in the plot area.
struct Frame {
  Scale x;
  Scale y;
  double left = 0;
  double right = 0;
  double top = 0;
  double bottom = 0;
};

void attr(std::string& out, std::string_view name, double value) {
  out += ' ';
  out += name;
  out += "=\"";
  append_coord(out, value);
  out += '"';
}

void text_at(std::string& out, double x, double y, std::string_view anchor, std::string_view text) {
  out += "<text";
  attr(out, "x", x);
  attr(out, "y", y);
  if (!anchor.empty()) out += " text-anchor=\"" + std::string(anchor) + "\"";
  out += '>';
  append_escaped(out, text);
  out += "</text>";
}

void hline(std::string& out, double x1, double x2, double y) {
  out += "<line";
  attr(out, "x1", x1);
  attr(out, "x2", x2);
  attr(out, "y1", y);
  attr(out, "y2", y);
  out += "/>";
}

void rect(std::string& out, double x, double y, double w, double h) {
  out += "<rect";
  attr(out, "x", x);
  attr(out, "y", y);
  attr(out, "width", std::max(w, 0.0));
  attr(out, "height", std::max(h, 0.0));
  out += "/>";
}

// The grid and labels of the value axis, the time ticks and labels, the unit.
void draw_axes(std::string& out, const Chart& chart, const Frame& f, const Ticks& ticks) {
  out += "<g class=\"grid\">";
  for (const double v : ticks.values) hline(out, f.left, f.right, f.y(v));
  out += "</g><g class=\"axis\">";
  const auto labels = tick_labels(ticks);
  for (std::size_t i = 0; i < ticks.values.size(); ++i)
    text_at(out, f.left - 6, f.y(ticks.values[i]) + 4, "end", labels[i]);
  if (!chart.unit.empty()) text_at(out, f.left - 6, f.top - 7, "end", chart.unit);
  hline(out, f.left, f.right, f.bottom);
  const auto times = time_ticks(chart.range, k_time_ticks);
  for (const Millis t : times.at) {
    const double x = f.x(static_cast<double>(t));
    out += "<line";
    attr(out, "x1", x);
    attr(out, "x2", x);
    attr(out, "y1", f.bottom);
    attr(out, "y2", f.bottom + 4);
    out += "/>";
    text_at(out, x, f.bottom + 15, "middle", time_label(t, times.step));
  }
  out += "</g>";
}

// Issues shaded over the plot's height, findings outlined; each a group
// with its tooltip, drawn label and class.
void draw_spans(std::string& out, const Chart& chart, const Frame& f, const std::vector<Span>& spans,
                std::string_view kind) {
  for (const auto& span : spans) {
    const Millis from = std::max(span.from, chart.range.since);
    const Millis to = std::min(span.to, chart.range.until);
    if (to < from) continue;
    const double x0 = f.x(static_cast<double>(from));
    const double width = std::max(f.x(static_cast<double>(to)) - x0, 2.0);
    out += "<g class=\"" + std::string(kind) + ' ' + escaped(span.css_class) + "\"><title>";
    append_escaped(out, span.title);
    out += "</title>";
    rect(out, x0, f.top, width, f.bottom - f.top);
    // The label inside the plot, even for a span that starts at its end.
    text_at(out, std::min(x0 + 2, f.right - 18), f.top + (kind == "issue" ? 10 : 20), "", span.label);
    out += "</g>";
  }
}

void draw_bars(std::string& out, const Chart& chart, const Frame& f) {
  out += "<g class=\"bars\">";
  const double zero = f.y(0);
  for (const auto& p : chart.points) {
    const double x0 = f.x(static_cast<double>(std::max(p.at, chart.range.since)));
    const double x1 = f.x(static_cast<double>(std::min(p.at + chart.step, chart.range.until)));
    const double gap = x1 - x0 > 3 ? 0.5 : 0;
    const double y = f.y(p.value);
    rect(out, x0 + gap, std::min(y, zero), x1 - x0 - 2 * gap, std::abs(zero - y));
  }
  out += "</g>";
}

// The band from low to high and the line through the values, at each
// bucket's middle, broken where buckets are missing; a bucket alone between
// gaps is a dot.
void draw_line(std::string& out, const Chart& chart, const Frame& f) {
  std::vector<double> xs, ys, lows, highs;
  std::vector<bool> breaks;
  bool has_band = false;
  for (std::size_t i = 0; i < chart.points.size(); ++i) {
    const auto& p = chart.points[i];
    const Millis middle = std::clamp(p.at + chart.step / 2, chart.range.since, chart.range.until);
    xs.push_back(f.x(static_cast<double>(middle)));
    ys.push_back(f.y(p.value));
    lows.push_back(f.y(p.low));
    highs.push_back(f.y(p.high));
    breaks.push_back(i > 0 && p.at - chart.points[i - 1].at > chart.step);
    has_band = has_band || p.low != p.high;
  }
  if (has_band) out += "<path class=\"band\" d=\"" + band_path(xs, lows, highs, breaks) + "\"/>";
  out += "<path class=\"line\" d=\"" + line_path(xs, ys, breaks) + "\"/>";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const bool alone = (i == 0 || breaks[i]) && (i + 1 == xs.size() || breaks[i + 1]);
    if (!alone) continue;
    out += "<circle class=\"dot\"";
    attr(out, "cx", xs[i]);
    attr(out, "cy", ys[i]);
    out += " r=\"2\"/>";
  }
}

void draw_rules(std::string& out, const Frame& f, const std::vector<const Rule*>& rules) {
  for (const Rule* rule : rules) {
    const double y = f.y(rule->value);
    out += "<g class=\"rule " + escaped(rule->css_class) + "\">";
    hline(out, f.left, f.right, y);
    // At the left, where the latest data (and most findings) are not.
    text_at(out, f.left + 4, y - 3, "", rule->label);
    out += "</g>";
  }
}

} // namespace

std::string svg(const Chart& chart, double width, double height) {
  std::vector<const Rule*> off_chart;
  const auto domain = value_domain(chart, &off_chart);
  const auto ticks = nice_ticks(domain.lo, domain.hi, k_value_ticks);
  Frame f;
  f.left = k_left;
  f.right = width - k_right;
  f.top = k_top;
  f.bottom = height - k_bottom;
  f.x = Scale{static_cast<double>(chart.range.since), static_cast<double>(chart.range.until), f.left, f.right};
  f.y = Scale{ticks.values.front(), ticks.values.back(), f.bottom, f.top};
  std::vector<const Rule*> on_chart;
  for (const auto& rule : chart.rules)
    if (std::find(off_chart.begin(), off_chart.end(), &rule) == off_chart.end()) on_chart.push_back(&rule);

  const std::string id = escaped(chart.id);
  std::string out = "<svg class=\"chart\" viewBox=\"0 0 ";
  append_coord(out, width);
  out += ' ';
  append_coord(out, height);
  out += "\" role=\"img\" aria-labelledby=\"" + id + "-t " + id + "-d\"><title id=\"" + id + "-t\">";
  append_escaped(out, chart.title);
  out += "</title><desc id=\"" + id + "-d\">";
  append_escaped(out, chart.description);
  out += "</desc>";
  draw_axes(out, chart, f, ticks);
  draw_spans(out, chart, f, chart.issues, "issue");
  if (chart.shape == Shape::bars) draw_bars(out, chart, f);
  else draw_line(out, chart, f);
  draw_rules(out, f, on_chart);
  draw_spans(out, chart, f, chart.findings, "finding");
  out += "</svg>";
  return out;
}

} // namespace health::chart
