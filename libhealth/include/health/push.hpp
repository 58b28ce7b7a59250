#pragma once
// push: the samples recorded since the last successful push, sent to a
// Prometheus remote-write receiver (Prometheus with
// --web.enable-remote-write-receiver, Mimir, VictoriaMetrics, Thanos). The
// transport is the caller's: push_remote_write (jobs.hpp) encodes,
// batches, retries and keeps the cursors; health::http (http.hpp) posts.

#include <health/ingest.hpp>
#include <health/query.hpp>
#include <health/time.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace health {

struct RemoteWriteResponse {
  int status = 0;      // the HTTP status; 0 when no answer came
  std::string message; // the answer's first line, or why none came
  // With status 0: whether the request may have reached the receiver (the
  // connection failed after it was sent), so that it may hold it.
  bool maybe_delivered = false;
  std::optional<Millis> retry_after; // from a 429 or 503
};

// Posts one WriteRequest (protobuf, not yet compressed) and returns the answer.
using RemoteWriteSend = std::function<RemoteWriteResponse(const std::string& request)>;

struct PushOptions {
  std::string target; // the receiver's URL without credentials: the cursor's key
  SeriesFilter filter;
  Millis now = 0; // 0: the clock
  // Points older than now - max_age are not sent (a receiver refuses what
  // is older than its head, an hour in Prometheus); 0: no limit. The first
  // push to a target starts there too.
  Millis max_age = k_hour_ms;
  std::size_t batch_samples = 2000; // samples per request, at most
  int retries = 3;                  // further tries of a request that failed for a while
  Millis backoff = k_second_ms;     // the first wait; it doubles (with jitter) up to backoff_max
  Millis backoff_max = 30 * k_second_ms;
  DryRun dry_run = DryRun::no;
  std::function<void(Millis)> sleep; // how to wait between tries (empty: the thread sleeps)
};

struct PushReport {
  std::uint64_t samples = 0;   // samples the receiver acknowledged (with DryRun: would be sent)
  std::uint64_t series = 0;    // Prometheus series among them
  std::uint64_t requests = 0;  // requests made, tries again included (DryRun: that would be)
  std::uint64_t retries = 0;   // tries again after a failure
  std::uint64_t too_old = 0;   // points not sent: older than max_age when they were due
  std::uint64_t held = 0;      // samples of a request in doubt that the receiver already held
  std::uint64_t refused = 0;   // samples the receiver refused (4xx); they are not sent again
  std::string refused_reason;  // the receiver's first answer refusing some
  Millis duration = 0;
};


} // namespace health
