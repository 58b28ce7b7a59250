#include <health/names.hpp>

#include <health/error.hpp>
#include <health/format.hpp>

#include <algorithm>

namespace health {

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

std::string quoted(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += '?';
    else out += c;
  }
  return out + "'";
}

std::optional<std::string> label_value_problem(std::string_view key, std::string_view value) {
  if (value.size() > k_max_label_value_length)
    return "label " + std::string(key) + " has a value longer than 1024 bytes";
  if (!is_valid_utf8(value)) return "label " + std::string(key) + " has a value that is not UTF-8";
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "label " + std::string(key) + " has a control character in its value";
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> name_problem(std::string_view what, std::string_view value) {
  if (value.empty()) return "empty " + std::string(what) + " name";
  if (value.size() > k_max_name_length)
    return std::string(what) + " name " + quoted(value.substr(0, 32)) +
           "... is longer than 128 characters";
  if (value.front() == '-')
    return std::string(what) + " name " + quoted(value) + " starts with '-'";
  const auto bad = std::find_if_not(value.begin(), value.end(), is_name_char);
  if (bad != value.end())
    return std::string(what) + " name " + quoted(value) +
           " has a character outside [A-Za-z0-9_.:-]";
  return std::nullopt;
}

void validate_name(std::string_view what, std::string_view value) {
  if (auto problem = name_problem(what, value))
    throw Error(ErrorKind::usage, *problem, "names use letters, digits and _ . : - (1 to 128)");
}

std::optional<std::string> normalize_labels(Labels& labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (auto problem = name_problem("label", labels[i].first)) return problem;
    if (i > 0 && labels[i].first == labels[i - 1].first)
      return "label " + labels[i].first + " is given twice";
    if (auto problem = label_value_problem(labels[i].first, labels[i].second)) return problem;
  }
  return std::nullopt;
}

Labels parse_label_args(const std::vector<std::string>& args) {
  Labels labels;
  for (const auto& arg : args) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorKind::usage, "label " + quoted(arg) + " has no '='", "use -l key=value");
    labels.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
  }
  if (auto problem = normalize_labels(labels))
    throw Error(ErrorKind::usage, *problem, "use -l key=value with a key of [A-Za-z0-9_.:-]");
  return labels;
}

std::string format_labels(const Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    if (!out.empty()) out += ';';
    out += key;
    out += '=';
    for (const char c : value) {
      if (c == '\\' || c == ';') out += '\\';
      out += c;
    }
  }
  return out;
}

std::optional<Labels> parse_labels(std::string_view text, std::string* problem) {
  Labels labels;
  const auto failed = [&](std::string message) -> std::optional<Labels> {
    if (problem != nullptr) *problem = std::move(message);
    return std::nullopt;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto eq = text.find('=', i);
    if (eq == std::string_view::npos)
      return failed("label " + quoted(text.substr(i)) + " has no '='");
    std::string key(text.substr(i, eq - i));
    std::string value;
    i = eq + 1;
    for (; i < text.size() && text[i] != ';'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      value += text[i];
    }
    labels.emplace_back(std::move(key), std::move(value));
    if (i < text.size()) {
      ++i; // the ';'
      if (i == text.size()) return failed("labels end with ';'");
    }
  }
  if (auto message = normalize_labels(labels)) return failed(*message);
  return labels;
}

std::string series_display_name(std::string_view component, std::string_view metric, const Labels& labels,
                                NameStyle style) {
  std::string out(component);
  if (!metric.empty()) out.append(style == NameStyle::path ? "/" : " ").append(metric);
  if (!labels.empty()) out.append(style == NameStyle::path ? "{" : " {").append(format_labels(labels)).append("}");
  return out;
}

} // namespace health
