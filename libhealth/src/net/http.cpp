// HTTP over cpp-httplib for push and ingest --url; snappy for remote write.

#include <health/http.hpp>

#include <health/error.hpp>

#include <httplib.h>
#include <snappy.h>

#include <charconv>
#include <chrono>
#include <memory>

namespace health::http {

namespace {

// The first line of an answer's body, at most 200 bytes: enough to say why.
std::string first_line(std::string_view body) {
  body = body.substr(0, body.find('\n'));
  while (!body.empty() && (body.back() == '\r' || body.back() == ' ')) body.remove_suffix(1);
  return std::string(body.substr(0, 200));
}

std::unique_ptr<httplib::Client> client_for(const Url& url, const ClientOptions& options) {
  auto client = std::make_unique<httplib::Client>(url.scheme + "://" + url.host + ":" + std::to_string(url.port));
  const auto seconds = [](Millis ms) { return std::chrono::milliseconds(ms); };
  client->set_connection_timeout(seconds(options.timeout));
  client->set_read_timeout(seconds(options.timeout));
  client->set_write_timeout(seconds(options.timeout));
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true); // headers and body go in two writes: without it, Nagle waits for an ACK
  if (!options.bearer_token.empty()) client->set_bearer_token_auth(options.bearer_token);
  const bool basic = !options.user.empty() || !url.user.empty();
  if (basic) client->set_basic_auth(options.user.empty() ? url.user : options.user,
                                    options.user.empty() ? url.password : options.password);
  client->set_default_headers({{"User-Agent", options.user_agent}});
  return client;
}

std::string why(httplib::Error error) {
  switch (error) {
  case httplib::Error::Connection: return "cannot connect";
  case httplib::Error::ConnectionTimeout: return "timed out connecting";
  case httplib::Error::Read: return "no answer (the connection failed or timed out while waiting)";
  case httplib::Error::Write: return "the connection failed while sending";
  case httplib::Error::SSLConnection: return "the TLS handshake failed";
  case httplib::Error::SSLServerVerification: return "the server's TLS certificate did not verify";
  default: return httplib::to_string(error);
  }
}

std::optional<Millis> retry_after(const httplib::Response& response) {
  const auto text = response.get_header_value("Retry-After");
  long seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return std::min<Millis>(seconds, 3600) * k_second_ms;
}

} // namespace

RemoteWriteSend remote_write_sender(const Url& url, const ClientOptions& options) {
  std::shared_ptr<httplib::Client> client = client_for(url, options);
  const httplib::Headers headers{{"Content-Encoding", "snappy"},
                                 {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  return [client, headers, target = url.target](const std::string& request) {
    RemoteWriteResponse out;
    const auto result = client->Post(target, headers, snappy_compress(request), "application/x-protobuf");
    if (!result) {
      out.message = why(result.error());
      // Refused before anything was sent, or sent with its answer lost.
      out.maybe_delivered = result.error() != httplib::Error::Connection &&
                            result.error() != httplib::Error::ConnectionTimeout &&
                            result.error() != httplib::Error::SSLConnection &&
                            result.error() != httplib::Error::SSLServerVerification;
      return out;
    }
    out.status = result->status;
    out.message = first_line(result->body);
    if (out.status == 429 || out.status == 503) out.retry_after = retry_after(*result);
    return out;
  };
}

std::string get(const Url& url, const ClientOptions& options, std::size_t max_bytes, std::string_view accept) {
  auto client = client_for(url, options);
  client->set_follow_location(true);
  std::string body;
  bool too_big = false;
  const auto result = client->Get(url.target, {{"Accept", std::string(accept)}},
                                  [&](const char* data, std::size_t size) {
                                    too_big = body.size() + size > max_bytes;
                                    if (!too_big) body.append(data, size);
                                    return !too_big;
                                  });
  if (too_big)
    throw Error(ErrorKind::runtime, "the answer of " + url.text() + " is over " + std::to_string(max_bytes) + " bytes",
                "scrape something smaller, or save it to a file and ingest that");
  if (!result)
    throw Error(ErrorKind::busy, "cannot get " + url.text() + ": " + why(result.error()), "is the server up?");
  if (result->status < 200 || result->status >= 300) {
    const bool transient = result->status == 429 || result->status >= 500;
    throw Error(transient ? ErrorKind::busy : ErrorKind::runtime,
                "cannot get " + url.text() + ": HTTP " + std::to_string(result->status) + " " + first_line(body),
                transient ? "try again later" : "check the URL");
  }
  return body;
}

std::string snappy_compress(std::string_view data) {
  std::string out;
  snappy::Compress(data.data(), data.size(), &out);
  return out;
}

} // namespace health::http
