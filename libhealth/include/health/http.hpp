#pragma once
// health::http: HTTP for the commands that speak to other programs (push's
// remote write, ingest --url), over cpp-httplib, with TLS. A library of its
// own (target health::http, built with HEALTH_WITH_HTTP), so that
// libhealth, and every healthctl command that does not use the network,
// stays free of OpenSSL's start-up cost.

#include <health/probes.hpp>
#include <health/push.hpp>
#include <health/url.hpp>
#include <health/time.hpp>

#include <cstddef>
#include <string>

namespace health::http {

struct ClientOptions {
  Millis timeout = 30 * k_second_ms; // to connect, and between bytes read or written
  std::string bearer_token;          // Authorization: Bearer, when not empty
  std::string user;                  // basic auth, when not empty
  std::string password;
  std::string user_agent = "healthctl";
};

// Posts WriteRequests to a remote-write receiver: snappy's block format,
// Content-Type application/x-protobuf, X-Prometheus-Remote-Write-Version
// 0.1.0, over one kept-alive connection. The returned function holds the
// connection and is used by one thread at a time.
RemoteWriteSend remote_write_sender(const Url& url, const ClientOptions& options);

// GETs `url` (following up to five redirects) and returns its body. Throws
// Error(busy) when the server cannot be reached or answers 5xx or 429,
// Error(runtime) for another status that is not 2xx and for a body over
// `max_bytes`.
std::string get(const Url& url, const ClientOptions& options, std::size_t max_bytes, std::string_view accept);

// An http probe's one attempt: a GET of its URL within `timeout`
// (connecting, and between bytes; a body still arriving at the deadline is
// cut off), redirects not followed, its status, body substring and regex
// (over the first MiB) checked. Never throws but std::bad_alloc.
ProbeOutcome check_http(const ProbeSpec& spec, Millis timeout);

// Snappy's block format of `data`: remote write's compression.
std::string snappy_compress(std::string_view data);

} // namespace health::http
