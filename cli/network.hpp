#pragma once
// The network, which only healthctl-net has. healthctl links neither
// cpp-httplib nor OpenSSL, whose start-up cost every run would pay (record
// too); a command that needs the network hands its whole command line over
// to healthctl-net, the same commands built with health::http, installed
// beside it (next to healthctl, else in ../libexec/healthctl/).

#include <health/http.hpp>
#include <health/probe_run.hpp>
#include <health/server.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace healthctl {

// Keeps the command line as main received it, to hand it over.
void keep_command_line(int argc, char** argv);

// health::http's, in healthctl-net. In healthctl each hands the command line
// over to healthctl-net and does not return; it throws Error(runtime) when
// healthctl-net is not installed.
health::RemoteWriteSend open_remote_write(const health::Url& url, const health::http::ClientOptions& options);
std::string fetch_url(const health::Url& url, const health::http::ClientOptions& options, std::size_t max_bytes,
                      std::string_view accept);

// The check of http probes: health::http::check_http in healthctl-net. In
// healthctl it hands the command line over and does not return, so call it
// before anything runs.
health::ProbeCheck http_probe_check();

// serve: the server, its log and its signals.
struct ServeRun {
  health::http::ServeOptions options;
  health::http::LogFormat log_format = health::http::LogFormat::text;
  bool access_log = true;
  std::string log_file; // empty: stderr
  health::Millis grace = 10 * health::k_second_ms;
};

// Serves until SIGTERM or SIGINT (SIGHUP reopens the log file), then stops
// within the grace period.
void serve_http(const ServeRun& run);

} // namespace healthctl
