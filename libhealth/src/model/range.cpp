#include <health/range.hpp>

#include <health/error.hpp>
#include <health/format.hpp>

#include <charconv>
#include <cmath>

namespace health {

namespace {

[[noreturn]] void invalid(std::string_view text, const std::string& why) {
  throw Error(ErrorKind::usage, "invalid range '" + std::string(text) + "': " + why,
              "use 10, 10:, ~:10, 10:20 or @10:20 (alert outside, or with @ inside, the range)");
}

double number(std::string_view whole, std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    invalid(whole, std::string("'").append(text).append("' is not a number"));
  return value;
}

} // namespace

AlertRange AlertRange::parse(std::string_view text) {
  AlertRange range;
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '@') {
    range.m_inside = true;
    rest.remove_prefix(1);
  }
  if (rest.empty()) invalid(text, "it is empty");
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    range.m_start = 0;
    range.m_end = number(text, rest);
  } else {
    const auto start = rest.substr(0, colon);
    const auto end = rest.substr(colon + 1);
    if (start == "~")
      range.m_start_open = true;
    else
      range.m_start = start.empty() ? 0 : number(text, start);
    if (end.empty())
      range.m_end_open = true;
    else
      range.m_end = number(text, end);
  }
  if (!range.m_start_open && !range.m_end_open && range.m_start > range.m_end)
    invalid(text, "its start is above its end");
  return range;
}

bool AlertRange::alerts(double value) const {
  const bool within = (m_start_open || value >= m_start) && (m_end_open || value <= m_end);
  return m_inside ? within : !within;
}

std::string AlertRange::text() const { return text(number_text); }

std::string AlertRange::text(std::string (*write_number)(double)) const {
  std::string out = m_inside ? "@" : "";
  if (!m_start_open && m_start == 0 && !m_end_open && !m_inside) return write_number(m_end);
  out += m_start_open ? "~" : write_number(m_start);
  out += ':';
  if (!m_end_open) out += write_number(m_end);
  return out;
}

std::string AlertRange::describe() const {
  if (m_start_open && m_end_open) return m_inside ? "anywhere" : "never";
  if (m_end_open) return (m_inside ? "at or above " : "below ") + number_text(m_start);
  if (m_start_open) return (m_inside ? "at or below " : "above ") + number_text(m_end);
  return (m_inside ? "inside " : "outside ") + number_text(m_start) + ".." + number_text(m_end);
}

std::optional<double> AlertRange::crossed_bound(double value) const {
  std::optional<double> best;
  for (const auto& [open, bound] : {std::pair{m_start_open, m_start}, std::pair{m_end_open, m_end}}) {
    if (open) continue;
    if (!best || std::abs(bound - value) < std::abs(*best - value)) best = bound;
  }
  return best;
}

std::vector<double> AlertRange::bounds() const {
  std::vector<double> out;
  if (!m_start_open) out.push_back(m_start);
  if (!m_end_open && (m_start_open || m_end != m_start)) out.push_back(m_end);
  return out;
}

} // namespace health
