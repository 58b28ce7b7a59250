// healthctl collect: the host's own metrics from /proc, once (cron) or
// every --every until --count collections or a signal. Quiet like record.

#include "commands.hpp"

#include <health/collect.hpp>
#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/time.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace healthctl {

namespace {

constexpr Formats k_formats{"collect", {"text"}};

struct CollectArgs {
  std::string component = "system";
  std::string every;
  std::string count;
};

// How often, and how many times: once without --every; with it, `count`
// collections (0: until stopped).
struct Schedule {
  health::Millis every = 0;
  std::uint64_t count = 1;
};

Schedule schedule_of(const CollectArgs& args) {
  Schedule schedule;
  if (!args.count.empty() && args.every.empty())
    throw health::Error(health::ErrorKind::usage, "--count needs --every",
                        "healthctl collect --every 10s --count " + args.count);
  if (args.every.empty()) return schedule;
  schedule.every = health::parse_duration(args.every);
  if (schedule.every < health::k_second_ms)
    throw health::Error(health::ErrorKind::usage, "--every " + args.every + " is shorter than 1s",
                        "collect at most once a second, such as --every 10s");
  schedule.count = 0;
  if (!args.count.empty()) {
    const auto count = health::parse_whole_number(args.count);
    if (!count || *count < 1)
      throw health::Error(health::ErrorKind::usage, "--count " + args.count + " is not a whole number of 1 or more",
                          "such as --count 6");
    schedule.count = static_cast<std::uint64_t>(*count);
  }
  return schedule;
}

void say(const Globals& globals, const health::CollectReport& report) {
  if (!globals.verbose) return;
  std::fprintf(stderr, "healthctl: collected %llu samples of %llu series at %s%s\n",
               static_cast<unsigned long long>(report.samples), static_cast<unsigned long long>(report.series),
               health::format_time(report.at).c_str(),
               report.counters_started != 0 ? " (counters started: their increments come from the next run)" : "");
}

void run_collect(const Globals& globals, const CollectArgs& args) {
  choose_format(globals, k_formats); // it prints no results
  const auto schedule = schedule_of(args);
  health::CollectOptions options;
  options.node = node_name(globals);
  options.component = args.component;
  health::validate_name("component", options.component);
  auto store = open_store(globals, health::OpenMode::create);
  const auto start = std::chrono::steady_clock::now();
  const auto every = std::chrono::milliseconds(schedule.every);
  for (std::uint64_t done = 0; schedule.count == 0 || done < schedule.count; ++done) {
    // The next beat of start + k * every: beats missed while a collection
    // waited for the database are skipped, not caught up in a burst.
    if (done > 0)
      std::this_thread::sleep_until(start + every * ((std::chrono::steady_clock::now() - start) / every + 1));
    try {
      say(globals, health::collect_host(store, options));
    } catch (const health::Error& error) {
      // Run as a service, a collection the database was too busy for is
      // skipped, not the end of the service.
      if (error.kind() != health::ErrorKind::busy || schedule.count == 1) throw;
      warn(std::string("collection skipped: ") + error.what());
    }
  }
}

} // namespace

void setup_collect(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<CollectArgs>();
  auto* command =
      app.add_subcommand("collect", "Record the host's own metrics from /proc: CPU, memory, disks, network");
  command->add_option("-c,--component", args->component, "Component of the host's series (default system)");
  command->add_option("--every", args->every, "Collect again every DURATION (at least 1s) until stopped")
      ->type_name("DURATION");
  command->add_option("--count", args->count, "With --every: stop after N collections")->type_name("N");
  describe_globals(command, k_formats, NodeUse::records_as);
  command->callback([&globals, args] { run_collect(globals, *args); });
}

} // namespace healthctl
