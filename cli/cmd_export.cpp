// healthctl export: samples over a time range as NDJSON, CSV or TSV.

#include "commands.hpp"

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/names.hpp>
#include <health/query.hpp>

namespace healthctl {

namespace {

struct ExportArgs {
  std::string since = "24h";
  std::string until = "now";
  std::vector<std::string> components;
  std::vector<std::string> metrics;
  std::vector<std::string> labels;
};

constexpr std::size_t k_flush_bytes = 1 << 18;

void run_export(const Globals& globals, const ExportArgs& args) {
  const auto format = choose_format(globals, "export", {"ndjson", "csv", "tsv"}, "ndjson");
  const health::RowFormat row_format = format == "csv"   ? health::RowFormat::csv
                                       : format == "tsv" ? health::RowFormat::tsv
                                                         : health::RowFormat::ndjson;
  const health::Millis now = health::now_ms();
  const health::TimeRange range{health::parse_time(args.since, now), health::parse_time(args.until, now)};
  if (range.until < range.since)
    throw health::Error(health::ErrorKind::usage, "--until is before --since",
                        "give --since earlier than --until");
  health::SeriesFilter filter;
  filter.components = split_commas(args.components);
  filter.metrics = split_commas(args.metrics);
  if (!globals.node.empty()) filter.nodes.push_back(globals.node);
  filter.labels = health::parse_label_args(args.labels);

  auto store = open_store(globals, health::OpenMode::read_only);
  std::string buffer;
  buffer.reserve(k_flush_bytes + 4096);
  if (row_format != health::RowFormat::ndjson) buffer = health::sample_header(row_format);
  health::scan_samples(store, filter, range, [&](const health::SampleRow& row) {
    health::append_sample(buffer, row_format, row);
    if (buffer.size() >= k_flush_bytes) {
      write_out(buffer);
      buffer.clear();
    }
  });
  write_out(buffer);
}

} // namespace

void setup_export(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<ExportArgs>();
  auto* command = app.add_subcommand("export", "Write the samples of a time range as NDJSON, CSV or TSV");
  command->add_option("--since", args->since, "Start of the range, inclusive (default 24h ago)");
  command->add_option("--until", args->until, "End of the range, exclusive (default now)");
  command->add_option("-c,--component", args->components, "Only these components (repeatable or a,b)");
  command->add_option("-m,--metric", args->metrics, "Only these metric names (repeatable or a,b)");
  command->add_option("-l,--label", args->labels, "Only series with label key=value (repeatable)");
  command->callback([&globals, args] { run_export(globals, *args); });
}

} // namespace healthctl
