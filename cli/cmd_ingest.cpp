// healthctl ingest: bulk samples from NDJSON or CSV files or stdin.

#include "commands.hpp"
#include "progress.hpp"

#include <health/error.hpp>
#include <health/ingest.hpp>
#include <health/render.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace healthctl {

namespace {

constexpr Formats k_formats{"ingest", {"ndjson", "csv", "tsv", "json"}, "unless the first FILE ends in .csv, .tsv or .json"};

struct IngestArgs {
  std::vector<std::string> files;
  std::size_t batch_size = 0;
  bool dry_run = false;
  bool allow_future = false;
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// --format, else the extension of the first file (.csv, .tsv, .json), else NDJSON.
health::IngestFormat input_format(const Globals& globals, const std::vector<std::string>& files) {
  std::string_view by_name = "ndjson";
  if (!files.empty())
    for (const std::string_view format : {"csv", "tsv", "json"})
      if (ends_with(files.front(), "." + std::string(format))) by_name = format;
  const auto format = choose_format(globals, k_formats, by_name);
  if (format == "csv") return health::IngestFormat::csv;
  if (format == "tsv") return health::IngestFormat::tsv;
  if (format == "json") return health::IngestFormat::json;
  return health::IngestFormat::ndjson;
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
  if (args.files.empty()) args.files.push_back("-");
  health::IngestOptions options;
  options.format = input_format(globals, args.files);
  options.default_node = node_name(globals);
  options.batch_size = args.batch_size;
  options.dry_run = args.dry_run ? health::DryRun::yes : health::DryRun::no;
  options.allow_future = args.allow_future ? health::AllowFuture::yes : health::AllowFuture::no;

  std::vector<std::unique_ptr<std::ifstream>> files;
  std::vector<health::IngestSource> sources;
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
      "ingest", "Load samples from NDJSON, CSV, TSV or an export's json document; all or nothing, duplicates skipped");
  command->add_option("FILE", args->files, "Input files; - or none reads standard input");
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
