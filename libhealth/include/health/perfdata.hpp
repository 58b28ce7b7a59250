#pragma once
// What a monitoring plugin prints: its first line is the message, and what
// follows a `|` (on the first line or a later one) is performance data,
// `'label'=value[UOM];[warn];[crit];[min];[max]` separated by spaces. See
// the Monitoring Plugins Development Guidelines.

#include <string>
#include <string_view>
#include <vector>

namespace health {

// One performance value in healthctl's terms: a metric name made of the
// label (characters names do not take become '_'), the value converted to
// a unit healthctl uses (`%` -> percent; B, KB, MB, GB, TB -> bytes, at
// 1024 each step; s, ms, us kept; `c` -> count).
struct PerfValue {
  std::string name;
  double value = 0;
  std::string unit;
};

struct PluginOutput {
  std::string message; // the first line without its performance data, trimmed
  std::vector<PerfValue> perfdata;
  std::vector<std::string> skipped; // the items that could not be read, as written
};

// Never throws on any input: what cannot be read is skipped (a value of
// `U`, a missing `=`, a label that makes no name, a number that is not
// finite) and listed in `skipped`.
PluginOutput parse_plugin_output(std::string_view text);

} // namespace health
