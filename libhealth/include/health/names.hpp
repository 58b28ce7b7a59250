#pragma once
// Names of nodes, components, metrics and label keys, and label sets.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace health {

inline constexpr std::size_t k_max_name_length = 128;
inline constexpr std::size_t k_max_label_value_length = 1024;

// What is wrong with `value` as a name: characters [A-Za-z0-9_.:-], 1 to 128
// of them, not starting with '-'. Returns nullopt when it is valid; otherwise
// a message naming `what` ("component", "metric", ...) and the value.
std::optional<std::string> name_problem(std::string_view what, std::string_view value);

// Throws Error(usage) with name_problem's message when `value` is invalid.
void validate_name(std::string_view what, std::string_view value);

// Label pairs sorted by key, keys unique. Values are 0 to 1024 bytes with no
// control characters.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Parses `key=value` arguments (as given to -l) into a sorted label set.
// Throws Error(usage) on a missing '=', a bad key or value, or a repeated key.
Labels parse_label_args(const std::vector<std::string>& args);

// Sorts `labels` and checks every key and value; returns a problem message
// or nullopt.
std::optional<std::string> normalize_labels(Labels& labels);

// The canonical text form `k=v;k=v` (sorted; '\' and ';' in values escaped
// with '\'); "" when empty. The same form is used in CSV.
std::string format_labels(const Labels& labels);

// Parses the canonical text form (any key order) and normalizes it. Returns
// nullopt and sets `problem` when it is malformed.
std::optional<Labels> parse_labels(std::string_view text, std::string* problem = nullptr);

// How a series is named for people, in one of two spellings:
//   path   component/metric{k=v;k=v}   (analyze's findings)
//   words  component metric {k=v;k=v} (command lines: check, issue, errors)
// with the labels in their canonical text form (format_labels).
// An empty `metric` names the component alone; labels are left off when
// there are none.
enum class NameStyle { path, words };
std::string series_display_name(std::string_view component, std::string_view metric, const Labels& labels,
                                NameStyle style);

// Whether a series' name for people carries its node, as `@node` after it
// (`api/requests@web1`): shown where series of more than one node meet, so
// that two nodes' series of one name stay apart.
enum class NodeNames { hide, show };

} // namespace health
