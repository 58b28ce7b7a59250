#include "common.hpp"

#include <health/backup.hpp>
#include <health/error.hpp>
#include <health/names.hpp>
#include <health/time.hpp>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace healthctl {

namespace {

// An environment variable, or nullptr when unset or empty.
const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? value : nullptr;
}

// HEALTH_BUSY_TIMEOUT: a duration (5s, 500ms) or a whole number of milliseconds.
health::Millis busy_timeout() {
  const char* value = env("HEALTH_BUSY_TIMEOUT");
  if (value == nullptr) return 5 * health::k_second_ms;
  const std::string_view text(value);
  health::Millis ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec == std::errc{} && end == text.data() + text.size() && ms >= 0) return ms;
  if (auto duration = health::try_parse_duration(text)) return *duration;
  throw health::Error(health::ErrorKind::usage,
                      "HEALTH_BUSY_TIMEOUT='" + std::string(text) + "' is not a duration",
                      "use milliseconds (5000) or a duration such as 5s");
}

health::Synchronous synchronous() {
  const char* value = env("HEALTH_SYNCHRONOUS");
  if (value == nullptr || std::string_view(value) == "normal") return health::Synchronous::normal;
  if (std::string_view(value) == "full") return health::Synchronous::full;
  throw health::Error(health::ErrorKind::usage,
                      "HEALTH_SYNCHRONOUS='" + std::string(value) + "' is not normal or full",
                      "use HEALTH_SYNCHRONOUS=normal or full");
}

} // namespace

std::string database_path(const Globals& globals) {
  if (!globals.db.empty()) return globals.db;
  if (const char* value = env("HEALTH_DB_PATH")) return value;
  return health::default_database_path();
}

std::string node_name(const Globals& globals) {
  std::string node = globals.node;
  const char* source = "--node";
  if (node.empty()) {
    if (const char* value = env("HEALTH_NODE_NAME")) {
      node = value;
      source = "HEALTH_NODE_NAME";
    }
  }
  if (node.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
      throw health::Error(health::ErrorKind::runtime, "cannot read the host name",
                          "set --node or HEALTH_NODE_NAME");
    node = host;
    source = "the host name";
  }
  if (auto problem = health::name_problem("node", node))
    throw health::Error(health::ErrorKind::usage, *problem + " (from " + source + ")",
                        "names use letters, digits and _ . : - (1 to 128)");
  return node;
}

health::StoreOptions store_options(const Globals& globals, health::OpenMode mode) {
  health::StoreOptions options;
  options.path = database_path(globals);
  options.mode = mode;
  options.busy_timeout = busy_timeout();
  options.synchronous = synchronous();
  return options;
}

health::Store open_store(const Globals& globals, health::OpenMode mode) {
  return health::Store::open(store_options(globals, mode));
}

std::string choose_format(const Globals& globals, std::string_view command,
                          std::initializer_list<std::string_view> allowed,
                          std::string_view fallback) {
  if (globals.format.empty()) return std::string(fallback);
  for (const auto format : allowed)
    if (format == globals.format) return globals.format;
  std::string names;
  for (const auto format : allowed) {
    if (!names.empty()) names += ", ";
    names += format;
  }
  throw health::Error(health::ErrorKind::usage,
                      "unsupported format '" + globals.format + "' for " + std::string(command),
                      "use --format with one of: " + names);
}

void write_out(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size())
    throw health::Error(health::ErrorKind::runtime, "cannot write to standard output");
}

void flush_out() {
  if (std::fflush(stdout) != 0)
    throw health::Error(health::ErrorKind::runtime, "cannot write to standard output");
}

void add_range_options(CLI::App* command, RangeArgs& args) {
  command->add_option("--since", args.since, "Start of the range, inclusive (default 24h ago)");
  command->add_option("--until", args.until, "End of the range, exclusive (default now)");
  command->add_option("-c,--component", args.components, "Only these components (repeatable or a,b)");
  command->add_option("-m,--metric", args.metrics, "Only these metric names (repeatable or a,b)");
  command->add_option("-l,--label", args.labels, "Only series with label key=value (repeatable)");
}

health::TimeRange parse_range(const RangeArgs& args, health::Millis now, bool allow_empty) {
  const health::TimeRange range{health::parse_time(args.since, now), health::parse_time(args.until, now)};
  if (range.until < range.since || (!allow_empty && range.until == range.since))
    throw health::Error(health::ErrorKind::usage,
                        allow_empty ? "--until is before --since" : "--until is not after --since",
                        "give --since earlier than --until");
  return range;
}

health::SeriesFilter series_filter(const Globals& globals, const RangeArgs& args) {
  health::SeriesFilter filter;
  filter.components = split_commas(args.components);
  filter.metrics = split_commas(args.metrics);
  if (!globals.node.empty()) filter.nodes.push_back(globals.node);
  filter.labels = health::parse_label_args(args.labels);
  return filter;
}

namespace {

// A positive whole number from the environment, or nullopt when unset.
std::optional<std::uint64_t> env_count(const char* name) {
  const char* value = env(name);
  if (value == nullptr) return std::nullopt;
  const std::string_view text(value);
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end != text.data() + text.size() || number == 0)
    throw health::Error(health::ErrorKind::usage,
                        std::string(name) + "='" + value + "' is not a positive whole number",
                        std::string("set ") + name + " to a number such as 30");
  return number;
}

} // namespace

health::CleanupOptions cleanup_options(const CleanupArgs& args, health::Millis now) {
  health::CleanupOptions options;
  options.now = now;
  if (!args.retention.empty())
    options.retention_ms = health::parse_duration(args.retention);
  else if (auto days = env_count("HEALTH_RETENTION_DAYS"))
    options.retention_ms = static_cast<health::Millis>(*days) * health::k_day_ms;
  if (!args.max_size.empty())
    options.max_bytes = health::parse_size(args.max_size);
  else if (auto mb = env_count("HEALTH_MAX_DB_SIZE_MB"))
    options.max_bytes = *mb << 20;
  else
    options.max_bytes = std::uint64_t{100} << 20;
  options.issues_retention_ms = health::parse_duration(args.issues_retention);
  options.dry_run = args.dry_run;
  options.vacuum = args.vacuum;
  return options;
}

std::string backup_dir(const Globals& globals, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* value = env("HEALTH_BACKUP_DIR")) return value;
  return health::default_backup_dir(database_path(globals));
}

health::Millis backup_retention() {
  return static_cast<health::Millis>(env_count("HEALTH_BACKUP_RETENTION_DAYS").value_or(30)) * health::k_day_ms;
}

health::Millis backup_interval() {
  const char* value = env("HEALTH_BACKUP_INTERVAL");
  if (value == nullptr) return health::k_day_ms;
  if (auto duration = health::try_parse_duration(value); duration && *duration > 0) return *duration;
  throw health::Error(health::ErrorKind::usage, std::string("HEALTH_BACKUP_INTERVAL='") + value + "' is not a duration",
                      "use a duration such as 24h");
}

namespace {
int g_exit_status = 0;
} // namespace

void set_exit_status(int status) { g_exit_status = status; }
int exit_status() { return g_exit_status; }

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    std::size_t start = 0;
    for (;;) {
      const auto comma = value.find(',', start);
      const auto part = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

} // namespace healthctl
