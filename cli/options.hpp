#pragma once
// Options shared by several commands: the time range and series filter of
// the commands that read samples, and comma lists.

#include "settings.hpp"

#include <health/query.hpp>

#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
class Validator;
}

namespace healthctl {

// The options of the commands that read a time range of some series:
// --since/--until, -c, -m and -l.
struct RangeArgs {
  std::string since = "24h";
  std::string until = "now";
  std::vector<std::string> components;
  std::vector<std::string> metrics;
  std::vector<std::string> labels;
};

// Declares the RangeArgs options on `command`.
void add_range_options(CLI::App* command, RangeArgs& args);
// Declares its series filter only: -c, -m and -l.
void add_filter_options(CLI::App* command, RangeArgs& args);

// The half-open range [since, until) at `now`. Throws Error(usage) for a
// malformed time or an end before the start (or at it, unless
// `allow_empty`).
health::TimeRange parse_range(const RangeArgs& args, health::Millis now, bool allow_empty);

// The series filter of the arguments; an explicit --node keeps that node's
// series only (HEALTH_NODE_NAME does not filter).
health::SeriesFilter series_filter(const Globals& globals, const RangeArgs& args);

// Validators of option values that say what is wrong in healthctl's words:
// a whole number of at least `least`; one of `names`.
CLI::Validator whole_number(std::size_t least);
CLI::Validator one_of(std::vector<std::string> names);

// The names `option` accepts when it was checked with one_of(); empty
// otherwise.
std::vector<std::string> one_of_names(CLI::Option* option);

// Splits comma lists given to a repeatable option: {"a,b", "c"} -> a, b, c.
std::vector<std::string> split_commas(const std::vector<std::string>& values);

// A document to import (a threshold or probe file) from `path`, or stdin
// for "-", at most 16 MB (so an endless input cannot fill memory); `source`
// is set to the name errors use ("stdin" or the path). Error(not_found)
// when unreadable or a folder, Error(bad_data) past 16 MB; `what` and
// `hint` word that error ("threshold file", "give the JSON file ...").
std::string read_document(const std::string& path, std::string& source, std::string_view what,
                          const std::string& hint);

// The first line of a secret's file (an API key, a token), without its line
// break: Error(not_found) when unreadable, Error(bad_data) when empty;
// `flag` names the option in errors.
std::string secret_from(const std::string& path, const char* flag);

} // namespace healthctl
