// healthctl probe: checks healthctl makes itself. add, list, show, rm,
// enable, disable, reset, export, import, and run (what cron calls).

#include "commands.hpp"
#include "network.hpp"

#include <health/cleanup.hpp>
#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/probe_run.hpp>
#include <health/render.hpp>

#include <algorithm>
#include <cstdio>

namespace healthctl {

namespace {

constexpr Formats k_text_formats{"probe", {"text"}};
constexpr Formats k_list_formats{"probe list", {"table", "json"}};
constexpr Formats k_show_formats{"probe show", {"text", "json"}};
constexpr Formats k_export_formats{"probe export", {"json"}};
constexpr Formats k_run_formats{"probe run", {"text", "json"}};

struct ProbeArgs {
  std::string name;
  std::vector<std::string> names;
  std::string http, tcp, exec, file, sqlite;
  std::string expect_status, body_contains, body_regex;
  std::vector<std::string> headers;
  bool insecure = false;
  std::string max_age, min_size, query, warn, crit;
  std::string component;
  std::vector<std::string> labels, depends_on;
  std::string every = "1m", timeout = "10s";
  int retries = 0, fail_after = 1, critical_after = 0;
  int breaker_after = 5, breaker_trials = 3;
  std::string breaker_open = "30s", breaker_max = "10m";
  bool disabled = false, replace = false;
  std::string file_to_import;
  bool all = false;
  int jobs = 8;
  std::string notify, notify_timeout = "10s";
};

void set_target(health::ProbeSpec& spec, const ProbeArgs& args) {
  int given = 0;
  for (const auto& [kind, target] : {std::pair{health::ProbeKind::http, &args.http},
                                     std::pair{health::ProbeKind::tcp, &args.tcp},
                                     std::pair{health::ProbeKind::exec, &args.exec},
                                     std::pair{health::ProbeKind::file, &args.file},
                                     std::pair{health::ProbeKind::sqlite, &args.sqlite}})
    if (!target->empty()) {
      spec.kind = kind;
      spec.target = *target;
      ++given;
    }
  if (given != 1)
    throw health::Error(health::ErrorKind::usage,
                        given == 0 ? "probe add needs what to check" : "probe add checks one thing at a time",
                        "give one of --http URL, --tcp HOST:PORT, --exec CMD, --file PATH, --sqlite FILE");
}

// --min-size: bytes when bare (1024), else with a unit (1KB, 10MB).
std::int64_t size_in_bytes(const std::string& text) {
  if (const auto bytes = health::parse_whole_number(text)) return *bytes;
  return static_cast<std::int64_t>(health::parse_size(text));
}

health::ProbeSpec spec_of(const ProbeArgs& args) {
  health::ProbeSpec spec;
  spec.name = args.name;
  set_target(spec, args);
  spec.expect_status = args.expect_status;
  spec.body_contains = args.body_contains;
  spec.body_regex = args.body_regex;
  spec.headers = args.headers;
  spec.tls_verify = !args.insecure;
  if (!args.max_age.empty()) spec.max_age = health::parse_duration(args.max_age);
  if (!args.min_size.empty()) spec.min_size = size_in_bytes(args.min_size);
  spec.query = args.query;
  spec.warn_range = args.warn;
  spec.crit_range = args.crit;
  spec.component = args.component;
  spec.labels = health::parse_label_args(args.labels);
  spec.depends_on = split_commas(args.depends_on);
  spec.every = health::parse_duration(args.every);
  spec.timeout = health::parse_duration(args.timeout);
  spec.retries = args.retries;
  spec.fail_after = args.fail_after;
  if (args.critical_after > 0) spec.critical_after = args.critical_after;
  spec.breaker_after = args.breaker_after;
  spec.breaker_open = health::parse_duration(args.breaker_open);
  spec.breaker_max = health::parse_duration(args.breaker_max);
  spec.breaker_trials = args.breaker_trials;
  spec.enabled = !args.disabled;
  return spec;
}

void run_add(const Globals& globals, const ProbeArgs& args) {
  choose_format(globals, k_text_formats);
  const auto spec = spec_of(args);
  health::validate_probe(spec); // before the database is made
  auto store = open_store(globals, health::OpenMode::create);
  health::add_probe(store, spec, args.replace ? health::Replace::yes : health::Replace::no, health::now_ms());
}

void run_list(const Globals& globals) {
  const auto format = health::parse_format(choose_format(globals, k_list_formats));
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_probes(health::list_probes(store), format));
}

void run_show(const Globals& globals, const ProbeArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_show_formats));
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_probe(health::get_probe(store, args.name), format));
}

void run_change(const Globals& globals, const ProbeArgs& args, void (*change)(health::Store&, const std::string&)) {
  choose_format(globals, k_text_formats);
  auto store = open_store(globals, health::OpenMode::read_write);
  change(store, args.name);
}

void run_export(const Globals& globals) {
  choose_format(globals, k_export_formats);
  auto store = open_store(globals, health::OpenMode::read_only);
  write_out(health::render_probes_json(health::list_probes(store)));
}

void run_import(const Globals& globals, const ProbeArgs& args) {
  choose_format(globals, k_text_formats);
  std::string source;
  const std::string text =
      read_document(args.file_to_import, source, "probe file", "give the JSON file 'healthctl probe export' writes");
  const auto specs = health::parse_probes_json(text, source); // all checked before anything is written
  auto store = open_store(globals, health::OpenMode::create);
  health::import_probes(store, specs, health::now_ms());
  if (!globals.quiet)
    std::fprintf(stderr, "imported %zu probe%s from %s\n", specs.size(), specs.size() == 1 ? "" : "s",
                 source.c_str());
}

// The check of http probes when the run may hold one: healthctl-net's (in
// healthctl this hands the command line over, before anything ran).
health::ProbeCheck http_check(health::Store& store, const ProbeArgs& args) {
  const auto probes = health::list_probes(store);
  const bool any_http = std::any_of(probes.begin(), probes.end(), [&](const health::Probe& probe) {
    const bool chosen = args.names.empty()
                            ? probe.spec.enabled
                            : std::count(args.names.begin(), args.names.end(), probe.spec.name) != 0;
    return chosen && probe.spec.kind == health::ProbeKind::http;
  });
  std::string why_not = "no HTTP in this run";
  if (any_http) try {
      return http_probe_check();
    } catch (const health::Error& error) { // healthctl-net missing: the other probes still run
      warn(std::string(error.what()) + ": http probes are not run");
      why_not = error.what();
    }
  return [why_not](const health::ProbeSpec&, health::Millis) {
    return health::ProbeOutcome{health::ProbeResult::unknown, why_not, 0, {}};
  };
}

int worst_exit_code(const health::ProbeRunReport& report) {
  int worst = 0;
  for (const auto& entry : report.entries) {
    if (entry.what != health::ProbeRunEntry::What::ran) continue;
    const int code = entry.outcome.result == health::ProbeResult::ok        ? 0
                     : entry.outcome.result == health::ProbeResult::warning ? 1
                     : entry.outcome.result == health::ProbeResult::critical ? 2
                                                                            : 3;
    worst = std::max(worst, code);
  }
  return worst;
}

void run_run(const Globals& globals, const ProbeArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_run_formats));
  const std::string notify = notify_command(args.notify);
  const health::Millis notify_timeout = health::parse_duration(args.notify_timeout);
  auto store = open_store(globals, health::OpenMode::create);
  const health::ProbeCheck http = http_check(store, args);
  health::ProbeRunOptions options;
  options.names = args.names;
  options.all = args.all;
  options.jobs = args.jobs;
  options.now = health::now_ms();
  options.node = node_name(globals);
  // By value: a check left blocking past its time outlives this function.
  const auto report = health::run_probes(store, options, [http](const health::ProbeSpec& spec, health::Millis timeout) {
    return health::check_probe(spec, timeout, http);
  });
  if (!notify.empty()) deliver_to_hook(store, notify, report.changes, notify_timeout, health::now_ms(), "probe run");
  if (format == health::Format::json || !globals.quiet) write_out(health::render_probe_run(report, format));
  set_exit_status(worst_exit_code(report));
}

void add_check_options(CLI::App* add, ProbeArgs& args) {
  add->add_option("--http", args.http, "Check an HTTP(S) URL: its status, and optionally its body")
      ->option_text("URL");
  add->add_option("--tcp", args.tcp, "Check that HOST:PORT takes a TCP connection")->option_text("HOST:PORT");
  add->add_option("--exec", args.exec, "Run a monitoring plugin (exit 0/1/2/3, first line, perfdata)")
      ->option_text("CMD");
  add->add_option("--file", args.file, "Check that a file exists, is fresh (--max-age) and large enough (--min-size)")
      ->option_text("PATH");
  add->add_option("--sqlite", args.sqlite, "Check the number --query gives on an SQLite file against --warn/--crit")
      ->option_text("FILE");
  add->add_option("--expect-status", args.expect_status, "http: codes and ranges taken (default 200-399)");
  add->add_option("--body-contains", args.body_contains, "http: text the body must hold");
  add->add_option("--body-regex", args.body_regex, "http: a regular expression the body must match");
  add->add_option("--header", args.headers, "http: a request header 'Name: value' (repeatable)");
  add->add_flag("--insecure", args.insecure, "http: do not verify the server's TLS certificate");
  add->add_option("--max-age", args.max_age, "file: the oldest it may be, such as 1h");
  add->add_option("--min-size", args.min_size, "file: the fewest bytes it may hold, such as 1KB");
  add->add_option("--query", args.query, "sqlite: a read-only query giving one number");
  add->add_option("--warn", args.warn, "sqlite: warning range: 10, 10:, ~:10, 10:20 or @10:20");
  add->add_option("--crit", args.crit, "sqlite: critical range, the same syntax");
}

void add_run_options(CLI::App* add, ProbeArgs& args) {
  add->add_option("-c,--component", args.component, "The component of its series and issue (default: its name)");
  add->add_option("-l,--label,--labels", args.labels, "Label key=value of its series (repeatable)");
  add->add_option("--depends-on", args.depends_on, "Skip it while this probe is down (repeatable)")
      ->option_text("PROBE");
  add->add_option("--every", args.every, "How often it is due (default 1m)");
  add->add_option("--timeout", args.timeout, "Each attempt's time limit (default 10s)");
  add->add_option("--retries", args.retries, "Attempts after a failed one, with backoff (default 0)")
      ->check(whole_number(0));
  add->add_option("--fail-after", args.fail_after, "Failures in a row that open an issue (default 1)")
      ->check(whole_number(1));
  add->add_option("--critical-after", args.critical_after, "Failures in a row that make the issue critical")
      ->check(whole_number(1));
  add->add_option("--breaker-after", args.breaker_after, "Failures in a row that open its circuit (default 5; 0: never)")
      ->check(whole_number(0));
  add->add_option("--breaker-open", args.breaker_open, "How long an open circuit stays open at first (default 30s)");
  add->add_option("--breaker-max", args.breaker_max, "The longest it stays open as it doubles (default 10m)");
  add->add_option("--breaker-trials", args.breaker_trials, "Successful half-open trials that close it (default 3)")
      ->check(whole_number(1));
  add->add_flag("--disable", args.disabled, "Keep it but do not run it");
  add->add_flag("--replace", args.replace, "Replace the probe of that name (its state is kept)");
}

CLI::App* named(CLI::App* probe, const char* name, const char* what, ProbeArgs& args) {
  auto* command = probe->add_subcommand(name, what);
  command->add_option("name", args.name, "The probe's name")->option_text("NAME")->required();
  return command;
}

} // namespace

void setup_probe(CLI::App& app, const Globals& globals) {
  auto* probe = app.add_subcommand("probe", "Checks healthctl runs itself: HTTP, TCP, plugins, files, queries");
  probe->require_subcommand(1);
  auto args = std::make_shared<ProbeArgs>();

  auto* add = named(probe, "add", "Add a probe (one of --http, --tcp, --exec, --file, --sqlite)", *args);
  add_check_options(add, *args);
  add_run_options(add, *args);
  describe_globals(add, k_text_formats, NodeUse::none);
  add->callback([&globals, args] { run_add(globals, *args); });

  auto* list = probe->add_subcommand("list", "List probes with what their last run left");
  describe_globals(list, k_list_formats, NodeUse::none);
  list->callback([&globals] { run_list(globals); });

  auto* show = named(probe, "show", "Show one probe: its checks, schedule, breaker and last run", *args);
  describe_globals(show, k_show_formats, NodeUse::none);
  show->callback([&globals, args] { run_show(globals, *args); });

  const std::pair<const char*, const char*> changes[] = {
      {"rm", "Remove a probe (its series and issues stay)"},
      {"enable", "Run a probe again when due"},
      {"disable", "Keep a probe but do not run it when due"},
      {"reset", "Close a probe's circuit and clear its failure streak"}};
  for (const auto& [name, what] : changes) {
    auto* command = named(probe, name, what, *args);
    describe_globals(command, k_text_formats, NodeUse::none);
    const std::string which = name;
    command->callback([&globals, args, which] {
      if (which == "rm") run_change(globals, *args, health::remove_probe);
      if (which == "enable")
        run_change(globals, *args, [](health::Store& s, const std::string& n) { health::set_probe_enabled(s, n, true); });
      if (which == "disable")
        run_change(globals, *args, [](health::Store& s, const std::string& n) { health::set_probe_enabled(s, n, false); });
      if (which == "reset") run_change(globals, *args, health::reset_probe);
    });
  }

  auto* exported = probe->add_subcommand("export", "Write every probe as JSON (the import format)");
  describe_globals(exported, k_export_formats, NodeUse::none);
  exported->callback([&globals] { run_export(globals); });

  auto* import = probe->add_subcommand("import", "Add or replace every probe of a JSON file, all or nothing");
  import->add_option("file", args->file_to_import, "The JSON file, or - for standard input")->required();
  describe_globals(import, k_text_formats, NodeUse::none);
  import->callback([&globals, args] { run_import(globals, *args); });

  auto* run = probe->add_subcommand("run", "Run the probes that are due (or those named); exit 0/1/2/3 as the worst");
  run->add_option("names", args->names, "Run these now, due or not")->option_text("NAME");
  run->add_flag("--all", args->all, "Run every enabled probe now, due or not");
  run->add_option("-j,--jobs", args->jobs, "Probes checked at once (default 8)")
      ->option_text("N")
      ->check(whole_number(1));
  run->add_option("--notify", args->notify, "Run CMD once per issue event, the event as JSON on stdin "
                                            "(env HEALTH_NOTIFY_CMD)");
  run->add_option("--notify-timeout", args->notify_timeout, "Kill a hook that runs longer (default 10s)");
  describe_globals(run, k_run_formats, NodeUse::records_as);
  run->callback([&globals, args] { run_run(globals, *args); });
}

} // namespace healthctl
