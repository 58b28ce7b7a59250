#include <health/series.hpp>

#include <health/format.hpp>

#include "base/enum_names.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace health {

namespace {

// Every metric type with its name: one table for printing and parsing.
constexpr EnumName<MetricType> k_type_names[] = {
    {MetricType::counter, "counter"}, {MetricType::gauge, "gauge"},
    {MetricType::timer, "timer"},     {MetricType::rolling, "rolling"}};

} // namespace

std::string_view to_string(MetricType type) { return name_of(k_type_names, type); }

std::optional<MetricType> parse_metric_type(std::string_view text) { return value_named(k_type_names, text); }

std::optional<std::string> value_problem(MetricType type, double value) {
  if (!std::isfinite(value)) return "the value must be a finite number";
  if (type == MetricType::counter && value < 0)
    return "a counter increment must not be negative";
  return std::nullopt;
}

std::optional<double> parse_value(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::string> normalize_context(std::string_view text, std::string* problem) {
  const auto failed = [&](std::string message) -> std::optional<std::string> {
    if (problem != nullptr) *problem = std::move(message);
    return std::nullopt;
  };
  if (json_too_deep(text))
    return failed("the context is nested deeper than " + std::to_string(k_max_json_depth) + " levels");
  auto parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) return failed("the context is not valid JSON");
  if (!parsed.is_object()) return failed("the context must be a JSON object");
  std::string compact = parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  if (compact.size() > k_max_context_bytes)
    return failed("the context is " + std::to_string(compact.size()) +
                  " bytes, more than the 4096 allowed");
  return compact;
}

std::optional<std::string> time_problem(Millis ts, Millis now, AllowFuture allow_future) {
  if (ts < 0) return "the time " + std::to_string(ts) + " ms is before 1970-01-01";
  if (ts > k_max_sample_ts) return "the time " + std::to_string(ts) + " ms is after 9999-12-31";
  if (allow_future == AllowFuture::no && ts > now + k_max_clock_skew_ms)
    return "the time " + format_time(ts) + " is " + format_duration((ts - now + k_second_ms / 2) / k_second_ms * k_second_ms) +
           " in the future (more than 10m ahead: a clock running fast? --allow-future keeps it)";
  return std::nullopt;
}

std::optional<std::string> unit_problem(std::string_view unit) {
  const auto unit_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '/' || c == '%' || c == '-';
  };
  if (unit.size() > k_max_unit_length || !std::all_of(unit.begin(), unit.end(), unit_char))
    return "unit '" + std::string(unit.substr(0, k_max_unit_length)) +
           "' is not valid (use up to 32 of [A-Za-z0-9_.:/%-])";
  return std::nullopt;
}

std::optional<std::string> spec_problem(const SeriesSpec& spec) {
  if (auto problem = name_problem("node", spec.key.node)) return problem;
  if (auto problem = name_problem("component", spec.key.component)) return problem;
  if (auto problem = name_problem("metric", spec.key.name)) return problem;
  Labels labels = spec.key.labels;
  if (auto problem = normalize_labels(labels)) return problem;
  if (labels != spec.key.labels) return "labels are not sorted";
  return unit_problem(spec.unit);
}

} // namespace health
