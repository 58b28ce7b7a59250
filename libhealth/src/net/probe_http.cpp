// The check of an http probe: one GET, its status, its body.

#include <health/http.hpp>

#include <health/format.hpp>
#include <health/url.hpp>

#include <httplib.h>

#include <chrono>

#include <regex.h>

namespace health::http {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_body_limit = 1024 * 1024;

std::string why_not(httplib::Error error, Millis timeout) {
  switch (error) {
  case httplib::Error::Connection: return "cannot connect";
  case httplib::Error::ConnectionTimeout: return "no connection within " + format_duration(timeout);
  case httplib::Error::Read: return "no answer within " + format_duration(timeout);
  case httplib::Error::Write: return "the connection failed while sending";
  case httplib::Error::Canceled: return "no complete answer within " + format_duration(timeout);
  case httplib::Error::SSLConnection: return "the TLS handshake failed";
  case httplib::Error::SSLServerVerification: return "the server's TLS certificate did not verify";
  default: return httplib::to_string(error);
  }
}

httplib::Headers headers_of(const ProbeSpec& spec) {
  httplib::Headers out{{"User-Agent", "healthctl-probe"}};
  for (const auto& header : spec.headers) {
    const auto colon = header.find(':');
    const auto value = header.find_first_not_of(' ', colon + 1);
    out.emplace(header.substr(0, colon), value == std::string::npos ? "" : header.substr(value));
  }
  return out;
}

// Whether POSIX extended `pattern` matches somewhere in `body` (glibc's
// matcher keeps its state on the heap, so no body can exhaust the stack; a
// NUL ends the text it sees).
bool regex_matches(const std::string& pattern, const std::string& body) {
  regex_t compiled;
  if (::regcomp(&compiled, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return false;
  const bool found = ::regexec(&compiled, body.c_str(), 0, nullptr, 0) == 0;
  ::regfree(&compiled);
  return found;
}

// What is wrong with a complete answer, or empty.
std::string judge(const ProbeSpec& spec, int status, const std::string& body) {
  if (!status_expected(spec, status))
    return "HTTP " + std::to_string(status) + ", expected " +
           (spec.expect_status.empty() ? std::string("200-399") : spec.expect_status);
  if (!spec.body_contains.empty() && body.find(spec.body_contains) == std::string::npos)
    return "HTTP " + std::to_string(status) + " but the body lacks '" + spec.body_contains + "'";
  if (!spec.body_regex.empty() && !regex_matches(spec.body_regex, body))
    return "HTTP " + std::to_string(status) + " but the body does not match /" + spec.body_regex + "/";
  return {};
}

} // namespace

ProbeOutcome check_http(const ProbeSpec& spec, Millis timeout) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeout);
  const Url url = parse_url(spec.target);
  httplib::Client client(url.scheme + "://" + url.host + ":" + std::to_string(url.port));
  client.set_connection_timeout(std::chrono::milliseconds(timeout));
  client.set_read_timeout(std::chrono::milliseconds(timeout));
  client.set_write_timeout(std::chrono::milliseconds(timeout));
  client.set_follow_location(false);
  client.set_tcp_nodelay(true);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  client.enable_server_certificate_verification(spec.tls_verify);
#endif
  if (!url.user.empty()) client.set_basic_auth(url.user, url.password);
  std::string body;
  const auto result = client.Get(url.target, headers_of(spec), [&](const char* data, std::size_t size) {
    if (body.size() < k_body_limit) body.append(data, std::min(size, k_body_limit - body.size()));
    return Clock::now() < deadline;
  });
  const double latency = elapsed_ms(start);
  if (!result) return {ProbeResult::critical, url.text() + ": " + why_not(result.error(), timeout), latency, {}};
  if (auto problem = judge(spec, result->status, body); !problem.empty())
    return {ProbeResult::critical, problem, latency, {}};
  return {ProbeResult::ok, "HTTP " + std::to_string(result->status) + " in " +
                               display_number(round_significant(latency, 3)) + " ms",
          latency, {}};
}

} // namespace health::http
