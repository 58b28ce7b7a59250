// healthctl serve: health over HTTP for load balancers, monitoring,
// Prometheus and Claude, until SIGTERM. Its flags are checked here; the
// server itself runs in healthctl-net (network.hpp).

#include "commands.hpp"
#include "network.hpp"

#include <health/cleanup.hpp>
#include <health/error.hpp>

#include <cstdlib>
#include <memory>

namespace healthctl {

namespace {

constexpr Formats k_formats{"serve", {}};

struct ServeArgs {
  std::vector<std::string> listen;
  std::string api_key_file;
  std::vector<std::string> open{"status"};
  std::size_t rate_limit = 100;
  std::string cache_ttl = "5s";
  int degraded_status = 200;
  bool allow_write = false;
  std::string max_body = "16MB";
  std::string query_timeout = "10s";
  std::size_t threads = 8;
  std::size_t max_connections = 256;
  std::string timeout = "10s";
  std::string grace = "10s";
  std::string log_format = "text";
  std::string log_file;
};

health::Millis positive_duration(const std::string& text, const char* flag) {
  const auto value = health::parse_duration(text);
  if (value <= 0)
    throw health::Error(health::ErrorKind::usage, std::string(flag) + " must be longer than 0",
                        std::string("use ") + flag + " 10s, say");
  return value;
}

health::http::ServeOptions serve_options(const Globals& globals, const ServeArgs& args) {
  health::http::ServeOptions options;
  options.database = database_path(globals);
  options.busy_timeout = store_options(globals, health::OpenMode::read_only).busy_timeout;
  options.default_node = node_name(globals);
  if (!args.listen.empty()) options.listen = split_commas(args.listen);
  if (!args.api_key_file.empty()) {
    options.api_key = secret_from(args.api_key_file, "--api-key-file");
  } else if (const char* key = std::getenv("HEALTH_API_KEY"); key != nullptr) {
    // Set but empty is a mistake, not "no key": it would open every endpoint.
    if (*key == '\0')
      throw health::Error(health::ErrorKind::usage, "HEALTH_API_KEY is set but empty",
                          "give the key, or unset HEALTH_API_KEY to serve without one");
    options.api_key = key;
  }
  options.public_endpoints.clear();
  for (const auto& name : split_commas(args.open))
    if (name != "none") options.public_endpoints.insert(name);
  options.rate_limit = args.rate_limit;
  options.cache_ttl = args.cache_ttl == "0" ? 0 : health::parse_duration(args.cache_ttl);
  options.degraded_status = args.degraded_status;
  options.allow_write = args.allow_write;
  options.max_body = static_cast<std::size_t>(health::parse_size(args.max_body));
  options.query_timeout = positive_duration(args.query_timeout, "--query-timeout");
  options.threads = args.threads;
  options.max_connections = std::max(args.max_connections, args.threads);
  options.timeout = positive_duration(args.timeout, "--timeout");
  return options;
}

void run_serve(const Globals& globals, const ServeArgs& args) {
  if (!globals.format.empty())
    throw health::Error(health::ErrorKind::usage, "serve takes no --format",
                        "each request chooses its answer's format with ?format=, and --log-format the log's");
  ServeRun run;
  run.options = serve_options(globals, args);
  run.log_format = args.log_format == "json" ? health::http::LogFormat::json : health::http::LogFormat::text;
  run.access_log = !globals.quiet;
  run.log_file = args.log_file;
  run.grace = args.grace == "0" ? 0 : health::parse_duration(args.grace);
  serve_http(run);
}

} // namespace

void setup_serve(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<ServeArgs>();
  auto* command = app.add_subcommand(
      "serve", "Answer HTTP: status for load balancers, /metrics for Prometheus, analysis for Claude");
  command->add_option("--listen", args->listen, "ADDR:PORT to listen on, repeatable (default 127.0.0.1:8080)")
      ->type_name("ADDRESS");
  command->add_option("--api-key-file", args->api_key_file,
                      "The API key, on the file's first line (else HEALTH_API_KEY)")
      ->type_name("FILE");
  command->add_option("--public", args->open, "Endpoints open without the key (default status; none)")
      ->type_name("LIST");
  command->add_option("--rate-limit", args->rate_limit, "Requests per client a minute (default 100; 0: none)")
      ->type_name("N");
  command->add_option("--cache-ttl", args->cache_ttl, "Keep answers this long (default 5s; 0: no cache)")
      ->type_name("DUR");
  command->add_option("--degraded-status", args->degraded_status, "Status code of a degraded status (default 200)")
      ->check(one_of({"200", "503"}))
      ->type_name("CODE");
  command->add_flag("--allow-write", args->allow_write, "Accept POST ingest and record");
  command->add_option("--max-body", args->max_body, "Largest request body (default 16MB)")->type_name("SIZE");
  command->add_option("--query-timeout", args->query_timeout, "Interrupt a request's queries past this (default 10s)")
      ->type_name("DUR");
  command->add_option("--threads", args->threads, "Worker threads per listener (default 8)")
      ->check(whole_number(1))
      ->type_name("N");
  command->add_option("--max-connections", args->max_connections,
                      "Connections per listener before 503 (default 256)")
      ->check(whole_number(1))
      ->type_name("N");
  command->add_option("--timeout", args->timeout, "Drop a client idle this long (default 10s)")->type_name("DUR");
  command->add_option("--grace", args->grace, "Time in-flight requests get at SIGTERM (default 10s)")
      ->type_name("DUR");
  command->add_option("--log-format", args->log_format, "Log lines as text or json (default text)")
      ->check(one_of({"text", "json"}))
      ->type_name("FORMAT");
  command->add_option("--log-file", args->log_file, "Log to FILE, reopened on SIGHUP (default stderr)")
      ->type_name("FILE");
  describe_globals(command, k_formats, NodeUse::records_as);
  command->callback([&globals, args] { run_serve(globals, *args); });
}

} // namespace healthctl
