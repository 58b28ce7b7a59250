#include "settings.hpp"

#include <health/backup.hpp>
#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/time.hpp>

#include <cstdlib>
#include <optional>
#include <pwd.h>
#include <vector>
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
  if (const auto ms = health::parse_whole_number(text); ms && *ms >= 0) return *ms;
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

// A retention from the environment: days (30) or a duration (30d), as the flag.
health::Millis retention_setting(const char* name, std::string_view value) {
  try {
    return health::parse_retention(value);
  } catch (const health::Error&) {
    throw health::Error(health::ErrorKind::usage,
                        std::string(name) + "='" + std::string(value) + "' is not a number of days or a duration",
                        std::string("set ") + name + " to 30 or 30d, say");
  }
}

constexpr std::int64_t k_max_size_mb = 1LL << 30; // 1 PB: far from overflowing bytes

// A whole number from 1 to `most` from the environment, or nullopt when
// unset. The bound keeps the arithmetic on it (days to milliseconds, MB to
// bytes) from overflowing into a value that means something else.
std::optional<std::uint64_t> env_count(const char* name, std::int64_t most) {
  const char* value = env(name);
  if (value == nullptr) return std::nullopt;
  const auto number = health::parse_whole_number(value);
  if (!number || *number <= 0 || *number > most)
    throw health::Error(health::ErrorKind::usage,
                        std::string(name) + "='" + value + "' is not a whole number from 1 to " + std::to_string(most),
                        std::string("set ") + name + " to a number such as 30");
  return static_cast<std::uint64_t>(*number);
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

health::CleanupOptions cleanup_options(const CleanupArgs& args, health::Millis now) {
  health::CleanupOptions options;
  options.now = now;
  if (!args.retention.empty())
    options.retention_ms = health::parse_retention(args.retention);
  else if (const char* value = env("HEALTH_RETENTION_DAYS"))
    options.retention_ms = retention_setting("HEALTH_RETENTION_DAYS", value);
  if (!args.max_size.empty())
    options.max_bytes = health::parse_size(args.max_size);
  else if (auto mb = env_count("HEALTH_MAX_DB_SIZE_MB", k_max_size_mb))
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
  return static_cast<health::Millis>(env_count("HEALTH_BACKUP_RETENTION_DAYS", health::k_max_retention_days).value_or(30)) * health::k_day_ms;
}

health::Millis backup_interval() {
  const char* value = env("HEALTH_BACKUP_INTERVAL");
  if (value == nullptr) return health::k_day_ms;
  if (auto duration = health::try_parse_duration(value); duration && *duration > 0) return *duration;
  throw health::Error(health::ErrorKind::usage, std::string("HEALTH_BACKUP_INTERVAL='") + value + "' is not a duration",
                      "use a duration such as 24h");
}

std::string notify_command(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* value = env("HEALTH_NOTIFY_CMD");
  return value != nullptr ? value : "";
}

std::string actor(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* user = env("USER"); user != nullptr && *user != '\0') return user;
  // cron sets no USER: the name of the account we run as.
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && *found->pw_name != '\0')
    return found->pw_name;
  return "healthctl";
}

bool no_color() { return env("NO_COLOR") != nullptr; }

} // namespace healthctl
