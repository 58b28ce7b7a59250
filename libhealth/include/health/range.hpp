#pragma once
// Threshold ranges in the monitoring-plugin syntax: `10` (alert outside
// 0..10), `10:` (alert below 10), `~:10` (alert above 10), `10:20` (alert
// outside 10..20), `@10:20` (alert inside 10..20). Endpoints are inclusive:
// a value equal to an endpoint is in the range. One parser serves thresholds
// and the perfdata of `status`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health {

class AlertRange {
public:
  // Throws Error(usage) naming `text` when it is not a range, or its start
  // is above its end (`10:5`).
  static AlertRange parse(std::string_view text);

  // True when `value` should raise an alert.
  bool alerts(double value) const;

  // The range as it was given, normalized (`0:10` -> `10`).
  std::string text() const;
  // The same with each endpoint written by `write_number` (text() uses
  // number_text; perfdata, which has no exponents, plain_decimal_text).
  std::string text(std::string (*write_number)(double)) const;
  // The breach spelled out for people: "outside 0..1000", "below 10",
  // "above 10", "inside 10..20".
  std::string describe() const;
  // The bound a value crossed, for an issue's threshold_value: the nearest
  // endpoint to `value` that is finite.
  std::optional<double> crossed_bound(double value) const;
  // Its finite endpoints, lowest first (one for `10:` or `~:10`).
  std::vector<double> bounds() const;

private:
  double m_start = 0;
  double m_end = 0; // +infinity when open
  bool m_start_open = false; // `~`: -infinity
  bool m_end_open = false;
  bool m_inside = false;
};

} // namespace health
