// healthctl ingest: bulk samples from NDJSON, CSV, TSV, an export's JSON
// document or Prometheus' formats, from files, stdin or a URL (a scrape).

#include "commands.hpp"
#include "network.hpp"
#include "progress.hpp"

#include <health/error.hpp>
#include <health/ingest.hpp>
#include <health/names.hpp>
#include <health/render.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace healthctl {

namespace {

constexpr Formats k_formats{"ingest",
                            {"ndjson", "csv", "tsv", "json", "prometheus", "openmetrics"},
                            "unless the first FILE ends in .csv, .tsv, .json, .prom or .om, or --url is given"};

// The most a scrape reads.
constexpr std::size_t k_max_scrape_bytes = std::size_t{64} << 20;

struct IngestArgs {
  std::vector<std::string> files;
  std::string url;
  std::string component = "prometheus";
  std::string timeout = "10s";
  std::size_t batch_size = 0;
  bool dry_run = false;
  bool allow_future = false;
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// --format, else prometheus for --url, else the extension of the first file
// (.csv, .tsv, .json, .prom, .om), else NDJSON.
health::IngestFormat input_format(const Globals& globals, const IngestArgs& args) {
  std::string_view by_name = args.url.empty() ? "ndjson" : "prometheus";
  constexpr std::pair<std::string_view, std::string_view> k_extensions[] = {
      {".csv", "csv"}, {".tsv", "tsv"}, {".json", "json"}, {".prom", "prometheus"}, {".om", "openmetrics"}};
  if (!args.files.empty())
    for (const auto& [extension, format] : k_extensions)
      if (ends_with(args.files.front(), extension)) by_name = format;
  const auto format = choose_format(globals, k_formats, by_name);
  if (format == "csv") return health::IngestFormat::csv;
  if (format == "tsv") return health::IngestFormat::tsv;
  if (format == "json") return health::IngestFormat::json;
  if (format == "prometheus") return health::IngestFormat::prometheus;
  if (format == "openmetrics") return health::IngestFormat::openmetrics;
  return health::IngestFormat::ndjson;
}

// The body of --url: a scrape, made before the database is opened.
std::string scrape(const IngestArgs& args, const health::Url& url, health::IngestFormat format) {
  if (!args.files.empty())
    throw health::Error(health::ErrorKind::usage, "ingest takes --url or FILE arguments, not both",
                        "scrape the URL in one call and ingest the files in another");
  health::http::ClientOptions client;
  client.timeout = health::parse_duration(args.timeout);
  if (client.timeout <= 0)
    throw health::Error(health::ErrorKind::usage, "--timeout must be longer than 0", "use --timeout 10s, say");
  client.user_agent = "healthctl/" HEALTHCTL_VERSION;
  return fetch_url(url, client, k_max_scrape_bytes,
                   format == health::IngestFormat::openmetrics ? "application/openmetrics-text;version=1.0.0"
                                                               : "text/plain;version=0.0.4");
}

// The bytes of the input when every source is a regular file, else 0 (not known).
std::uint64_t total_size(const std::vector<std::string>& files) {
  std::uint64_t total = 0;
  for (const auto& file : files) {
    struct stat info {};
    if (file == "-" || ::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return 0;
    total += static_cast<std::uint64_t>(info.st_size);
  }
  return total;
}

bool database_exists(const Globals& globals) {
  struct stat info {};
  return ::stat(database_path(globals).c_str(), &info) == 0;
}

void run_ingest(const Globals& globals, IngestArgs args) {
  std::ios::sync_with_stdio(false); // before any I/O: std::cin reads in large blocks
  health::IngestOptions options;
  options.format = input_format(globals, args);
  const bool exposition =
      options.format == health::IngestFormat::prometheus || options.format == health::IngestFormat::openmetrics;
  if (exposition && args.batch_size != 0) // before the database is made
    throw health::Error(health::ErrorKind::usage, "--batch-size does not apply to Prometheus' formats",
                        "they are read whole, in one transaction");
  options.default_node = node_name(globals);
  health::validate_name("component", args.component);
  options.component = args.component;
  options.batch_size = args.batch_size;
  options.dry_run = args.dry_run ? health::DryRun::yes : health::DryRun::no;
  options.allow_future = args.allow_future ? health::AllowFuture::yes : health::AllowFuture::no;

  const auto url = args.url.empty() ? std::optional<health::Url>() : health::parse_url(args.url);
  std::istringstream scraped(url ? scrape(args, *url, options.format) : std::string());
  if (args.files.empty() && !url) args.files.push_back("-");
  std::vector<std::unique_ptr<std::ifstream>> files;
  std::vector<health::IngestSource> sources;
  if (url) sources.push_back({url->text(), &scraped});
  for (const auto& file : args.files) {
    if (file == "-") {
      sources.push_back({"<stdin>", &std::cin});
      continue;
    }
    auto stream = std::make_unique<std::ifstream>(file, std::ios::binary);
    if (!*stream)
      throw health::Error(health::ErrorKind::not_found, "cannot open " + file,
                          "check the file name and its permissions");
    sources.push_back({file, stream.get()});
    files.push_back(std::move(stream));
  }
  health::IngestReport report;
  ProgressLine progress(globals, "ingest");
  options.progress = progress.callback(total_size(args.files));
  if (options.dry_run == health::DryRun::yes) {
    // A dry run never creates the database; it checks against one that exists.
    if (database_exists(globals)) {
      auto store = open_store(globals, health::OpenMode::read_only);
      report = health::ingest(&store, sources, options);
    } else {
      report = health::ingest(nullptr, sources, options);
    }
  } else {
    auto store = open_store(globals, health::OpenMode::create);
    report = health::ingest(&store, sources, options);
  }
  progress.clear();
  if (!globals.quiet) write_out(health::render_ingest(report, options.dry_run));
}

} // namespace

void setup_ingest(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<IngestArgs>();
  auto* command = app.add_subcommand(
      "ingest", "Load samples from NDJSON, CSV, TSV, an export's json document or Prometheus' formats; all or nothing");
  command->add_option("FILE", args->files, "Input files; - or none reads standard input");
  command->add_option("--url", args->url, "Scrape this URL (Prometheus' text format) instead of reading files")
      ->type_name("URL");
  command->add_option("--component", args->component,
                      "Component of Prometheus series without a component label (default prometheus)")
      ->type_name("NAME");
  command->add_option("--timeout", args->timeout, "With --url: to connect, and to wait for the answer (default 10s)")
      ->type_name("DURATION");
  command->add_option("--batch-size", args->batch_size,
                      "Commit every N samples instead of all at once (for endless streams)")
      ->check(whole_number(1))
      ->type_name("N");
  command->add_flag("--dry-run", args->dry_run, "Check every line, write nothing");
  command->add_flag("--allow-future", args->allow_future, "Accept samples more than 10 minutes after now");
  describe_globals(command, k_formats, NodeUse::records_as);
  command->callback([&globals, args] { run_ingest(globals, *args); });
}

} // namespace healthctl
