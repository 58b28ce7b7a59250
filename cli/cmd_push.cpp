// healthctl push --remote-write URL: the samples recorded since the last
// successful push, to a Prometheus remote-write receiver.

#include "commands.hpp"
#include "network.hpp"

#include <health/error.hpp>
#include <health/jobs.hpp>
#include <health/render.hpp>

#include <fstream>
#include <memory>
#include <sstream>

namespace healthctl {

namespace {

constexpr Formats k_formats{"push", {"text", "json"}};

struct PushArgs {
  RangeArgs filter; // -c, -m and -l only
  std::string url;
  std::string max_age = "1h";
  std::size_t batch = 2000;
  std::size_t retries = 3;
  std::string timeout = "30s";
  std::string bearer_token_file;
  std::string basic_auth_file;
  bool dry_run = false;
};

health::http::ClientOptions client_options(const PushArgs& args) {
  health::http::ClientOptions options;
  options.timeout = health::parse_duration(args.timeout);
  if (options.timeout <= 0)
    throw health::Error(health::ErrorKind::usage, "--timeout must be longer than 0", "use --timeout 30s, say");
  options.user_agent = "healthctl/" HEALTHCTL_VERSION;
  if (!args.bearer_token_file.empty()) options.bearer_token = secret_from(args.bearer_token_file, "--bearer-token-file");
  if (!args.basic_auth_file.empty()) {
    const auto pair = secret_from(args.basic_auth_file, "--basic-auth-file");
    const auto colon = pair.find(':');
    if (colon == std::string::npos)
      throw health::Error(health::ErrorKind::bad_data, "--basic-auth-file: " + args.basic_auth_file + " holds no ':'",
                          "its first line is user:password");
    options.user = pair.substr(0, colon);
    options.password = pair.substr(colon + 1);
  }
  return options;
}

void run_push(const Globals& globals, const PushArgs& args) {
  const auto format = health::parse_format(choose_format(globals, k_formats));
  const auto url = health::parse_url(args.url);
  health::PushOptions options;
  options.target = url.text();
  options.filter = series_filter(globals, args.filter);
  options.max_age = args.max_age == "0" ? 0 : health::parse_duration(args.max_age);
  options.batch_samples = args.batch;
  options.retries = static_cast<int>(std::min<std::size_t>(args.retries, 100));
  options.dry_run = args.dry_run ? health::DryRun::yes : health::DryRun::no;
  const auto client = client_options(args);
  health::RemoteWriteSend send;
  if (!args.dry_run) send = open_remote_write(url, client);
  auto store = open_store(globals, args.dry_run ? health::OpenMode::read_only : health::OpenMode::read_write);
  const auto report = health::push_remote_write(store, options, send);
  if (!globals.quiet) write_out(health::render_push(report, options.target, options.dry_run, format));
  if (report.refused > 0) {
    if (globals.quiet)
      warn(std::to_string(report.refused) + " samples were refused by the receiver: " + report.refused_reason);
    set_exit_status(65); // bad data: the receiver will not take it
  }
}

} // namespace

void setup_push(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<PushArgs>();
  auto* command = app.add_subcommand(
      "push", "Send the samples recorded since the last push to a Prometheus remote-write receiver");
  command->add_option("--remote-write", args->url, "The receiver's URL (http or https)")
      ->type_name("URL")
      ->required();
  add_filter_options(command, args->filter);
  command->add_option("--max-age", args->max_age,
                      "Send nothing older than this; the first push starts here (default 1h; 0: no limit)")
      ->type_name("DURATION");
  command->add_option("--batch", args->batch, "Samples per request, at most (default 2000)")
      ->check(whole_number(1))
      ->type_name("N");
  command->add_option("--retries", args->retries, "Tries again of a request that failed for a while (default 3)")
      ->check(whole_number(0))
      ->type_name("N");
  command->add_option("--timeout", args->timeout, "To connect, and to wait for each answer (default 30s)")
      ->type_name("DURATION");
  command->add_option("--bearer-token-file", args->bearer_token_file, "Send the token on FILE's first line")
      ->type_name("FILE");
  command->add_option("--basic-auth-file", args->basic_auth_file, "Send user:password from FILE's first line")
      ->type_name("FILE");
  command->add_flag("--dry-run", args->dry_run, "Say what would be sent; send nothing");
  describe_globals(command, k_formats, NodeUse::filters);
  command->callback([&globals, args] { run_push(globals, *args); });
}

} // namespace healthctl
