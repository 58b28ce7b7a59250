// push --remote-write: the points after each series' cursor, in time order
// across series, in acknowledged batches; the cursor moves with each
// acknowledgement, in its own transaction.

#include <health/jobs.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/render.hpp>

#include "lifecycle/push_state.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <map>
#include <random>
#include <thread>

namespace health {

namespace {

// One point of a series: up to two values (a summary's _count and _sum).
struct Point {
  Millis at;
  std::uint32_t series;
  std::array<double, 2> values;
};

// What a push has to send: the series, their Prometheus series, and their
// points: first those of requests an earlier push sent and got no answer
// for (the receiver may hold them), then the rest, each in time order; and
// the points skipped as too old.
struct Pending {
  std::vector<SeriesInfo> series;
  std::vector<std::vector<PrometheusSeries>> parts;
  std::vector<Point> points;
  std::size_t in_doubt = 0; // points[0, in_doubt) were sent before, their answer lost
  push_state::LastPoints skipped_until; // each series' last point skipped as too old
  std::uint64_t too_old = 0;
};

Pending pending_points(Store& store, const PushOptions& options, const push_state::Target& target, Millis now) {
  ReadSnapshot snapshot(store);
  Pending out;
  out.series = list_series(store, options.filter, WithStats::no);
  check_prometheus_names(out.series);
  const Millis oldest = options.max_age > 0 ? now - options.max_age : std::numeric_limits<Millis>::min();
  SampleScanner scanner(store, WithContext::no);
  std::vector<Point> doubtful;
  for (std::uint32_t i = 0; i < out.series.size(); ++i) {
    const auto& s = out.series[i];
    out.parts.push_back(prometheus_series(s));
    const auto at = target.cursors.find(s.id);
    const auto cursor = at != target.cursors.end() ? at->second : push_state::Cursor{};
    const Millis since = cursor.acknowledged ? *cursor.acknowledged + 1 : target.start;
    if (since > now) continue;
    const bool running = s.type != MetricType::gauge;
    prometheus_history(store, scanner, s, {since, now + 1}, [&](Millis when, std::span<const double> values) {
      Point point{when, i, {}};
      std::copy(values.begin(), values.end(), point.values.begin());
      // Never less than what was sent: the same total added up again may
      // differ in its last bits, which Prometheus would read as a reset.
      if (running && cursor.sent_total) point.values[0] = std::max(point.values[0], *cursor.sent_total);
      if (running && values.size() > 1 && cursor.sent_sum) point.values[1] = std::max(point.values[1], *cursor.sent_sum);
      if (cursor.pending && when <= *cursor.pending) {
        doubtful.push_back(point); // sent before: again, whatever its age
      } else if (when < oldest) {
        out.too_old += values.size();
        out.skipped_until[s.id] = {when, {}, {}};
      } else {
        out.points.push_back(point);
      }
    });
  }
  const auto by_time = [](const Point& a, const Point& b) { return a.at < b.at; };
  std::stable_sort(doubtful.begin(), doubtful.end(), by_time);
  std::stable_sort(out.points.begin(), out.points.end(), by_time);
  out.in_doubt = doubtful.size();
  out.points.insert(out.points.begin(), doubtful.begin(), doubtful.end());
  return out;
}

std::size_t samples_of(const Pending& pending, const Point& point) { return pending.parts[point.series].size(); }

// The WriteRequest of points [begin, end), or of those of one series.
std::string encode(const Pending& pending, std::size_t begin, std::size_t end,
                   std::optional<std::uint32_t> only = std::nullopt) {
  std::vector<RemoteWriteSeries> series;
  std::map<std::pair<std::uint32_t, std::size_t>, std::size_t> index;
  for (std::size_t p = begin; p < end; ++p) {
    const auto& point = pending.points[p];
    if (only && point.series != *only) continue;
    const auto& parts = pending.parts[point.series];
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const auto [at, added] = index.try_emplace({point.series, k}, series.size());
      if (added) series.push_back({&parts[k].labels, {}});
      series[at->second].samples.emplace_back(point.at, point.values[k]);
    }
  }
  return encode_write_request(series);
}

// A refusal as old: Prometheus says "out of order sample" or "duplicate
// sample for timestamp", Mimir "out-of-order".
bool out_of_order(std::string_view message) {
  for (const std::string_view words : {"out of order", "out-of-order", "duplicate sample"})
    if (message.find(words) != std::string_view::npos) return true;
  return false;
}

// The receiver did not answer, or kept saying it is busy, past the retries.
struct Unreachable {
  std::string reason;
  bool maybe_delivered;
};

enum class Outcome { acknowledged, held, refused };

// Sends requests, trying each again after a backoff while the receiver
// cannot take it.
class Sender {
public:
  Sender(const PushOptions& options, const RemoteWriteSend& send, PushReport& report)
      : m_options(options), m_send(send), m_report(report), m_random(static_cast<unsigned>(now_ms())) {}

  // `in_doubt`: an earlier try of this request may have reached the receiver.
  Outcome deliver(const std::string& request, bool in_doubt) {
    for (int attempt = 0;; ++attempt) {
      const auto answer = m_send(request);
      ++m_report.requests;
      if (answer.status >= 200 && answer.status < 300) return Outcome::acknowledged;
      if (answer.status == 401 || answer.status == 403)
        throw Error(ErrorKind::runtime,
                    "the receiver refused the credentials: HTTP " + std::to_string(answer.status) + " " + answer.message,
                    "check --bearer-token-file or --basic-auth-file");
      if (answer.status == 400 || answer.status == 422) { // about the samples themselves
        if (in_doubt && out_of_order(answer.message)) return Outcome::held;
        if (m_report.refused_reason.empty())
          m_report.refused_reason = "HTTP " + std::to_string(answer.status) + " " + answer.message;
        return Outcome::refused;
      }
      const bool transient = answer.status == 0 || answer.status == 429 || answer.status >= 500;
      if (!transient) // not an answer about samples: a wrong URL, a redirect, a size limit
        throw Error(ErrorKind::runtime,
                    "the receiver answered HTTP " + std::to_string(answer.status) + " " + answer.message,
                    answer.status == 413 ? "send smaller requests with --batch"
                                         : "check the URL: Prometheus takes remote write at /api/v1/write when "
                                           "started with --web.enable-remote-write-receiver");
      in_doubt = in_doubt || (answer.status == 0 && answer.maybe_delivered);
      const std::string reason = answer.status == 0 ? answer.message
                                                    : "HTTP " + std::to_string(answer.status) + " " + answer.message;
      if (attempt >= m_options.retries) throw Unreachable{reason, in_doubt};
      wait(attempt, answer.retry_after);
      ++m_report.retries;
    }
  }

private:
  void wait(int attempt, std::optional<Millis> retry_after) {
    Millis delay = m_options.backoff;
    for (int i = 0; i < attempt && delay < m_options.backoff_max; ++i) delay *= 2;
    delay = std::min(delay, m_options.backoff_max);
    // Half to all of it, so that hosts failing together do not return together.
    delay = delay / 2 + std::uniform_int_distribution<Millis>(0, delay / 2)(m_random);
    if (retry_after) delay = std::max(delay, std::min(*retry_after, 10 * m_options.backoff_max));
    if (m_options.sleep) m_options.sleep(delay);
    else std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }

  const PushOptions& m_options;
  const RemoteWriteSend& m_send;
  PushReport& m_report;
  std::mt19937_64 m_random;
};

// The batches: [begin, end) ranges of points of at most `limit` samples
// (one point at least), those in doubt apart from the rest.
std::vector<std::pair<std::size_t, std::size_t>> batches_of(const Pending& pending, std::size_t limit) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t begin = 0;
  std::size_t samples = 0;
  for (std::size_t p = 0; p < pending.points.size(); ++p) {
    const auto size = samples_of(pending, pending.points[p]);
    if (p > begin && (samples + size > limit || p == pending.in_doubt)) {
      out.emplace_back(begin, p);
      begin = p;
      samples = 0;
    }
    samples += size;
  }
  if (begin < pending.points.size()) out.emplace_back(begin, pending.points.size());
  return out;
}

// The points [begin, end) of a request, or those of one series in it.
struct Span {
  std::size_t begin;
  std::size_t end;
  std::optional<std::uint32_t> only;
};

std::uint64_t samples_in(const Pending& pending, const Span& span) {
  std::uint64_t out = 0;
  for (std::size_t p = span.begin; p < span.end; ++p)
    if (!span.only || pending.points[p].series == *span.only) out += samples_of(pending, pending.points[p]);
  return out;
}

// The last point of each series in `span`, by series id, with its running
// totals.
push_state::LastPoints last_points(const Pending& pending, const Span& span) {
  push_state::LastPoints out;
  for (std::size_t p = span.begin; p < span.end; ++p) {
    const auto& point = pending.points[p];
    if (span.only && point.series != *span.only) continue;
    const auto& s = pending.series[point.series];
    auto& last = out[s.id];
    last.at = point.at;
    if (s.type == MetricType::gauge) continue;
    last.total = point.values[0];
    if (pending.parts[point.series].size() > 1) last.sum = point.values[1];
  }
  return out;
}

// Sends the batches in order. Each request's series are marked pending
// before it goes and acknowledged once it is answered, so a push that dies
// at any point leaves what the receiver may hold marked for the next.
class Pusher {
public:
  Pusher(Store& store, const PushOptions& options, const Pending& pending, const RemoteWriteSend& send,
         PushReport& report)
      : m_store(store), m_options(options), m_pending(pending), m_sender(options, send, report), m_report(report),
        m_sent(pending.series.size(), false) {}

  void run() {
    m_left = samples_in(m_pending, {0, m_pending.points.size(), std::nullopt});
    for (const auto& [begin, end] : batches_of(m_pending, std::max<std::size_t>(m_options.batch_samples, 1))) {
      send_batch({begin, end, std::nullopt}, begin < m_pending.in_doubt);
      m_left -= samples_in(m_pending, {begin, end, std::nullopt});
    }
  }

  std::uint64_t left() const { return m_left; }
  const std::vector<bool>& sent() const { return m_sent; }

private:
  void send_batch(const Span& batch, bool in_doubt) {
    if (const auto outcome = send(batch, in_doubt); outcome != Outcome::refused) return settle(batch, outcome);
    std::vector<std::uint32_t> series; // refused whole: again series by series
    for (std::size_t p = batch.begin; p < batch.end; ++p) series.push_back(m_pending.points[p].series);
    std::sort(series.begin(), series.end());
    series.erase(std::unique(series.begin(), series.end()), series.end());
    for (const auto s : series) {
      const Span one{batch.begin, batch.end, s};
      settle(one, send(one, in_doubt));
    }
  }

  Outcome send(const Span& span, bool in_doubt) {
    const auto last = last_points(m_pending, span);
    push_state::mark_pending(m_store, m_options.target, last);
    try {
      const auto outcome = m_sender.deliver(encode(m_pending, span.begin, span.end, span.only), in_doubt);
      if (outcome == Outcome::refused) push_state::clear_pending(m_store, m_options.target, last);
      return outcome;
    } catch (const Unreachable& failure) {
      if (!failure.maybe_delivered) push_state::clear_pending(m_store, m_options.target, last);
      throw;
    } catch (const Error&) { // refused credentials: an answer, so not taken
      push_state::clear_pending(m_store, m_options.target, last);
      throw;
    }
  }

  // Counts the span as sent, held or refused, and moves its cursors past it.
  void settle(const Span& span, Outcome outcome) {
    const auto samples = samples_in(m_pending, span);
    if (outcome == Outcome::refused) {
      m_report.refused += samples; // never to be sent again
    } else {
      (outcome == Outcome::held ? m_report.held : m_report.samples) += samples;
      for (std::size_t p = span.begin; p < span.end; ++p)
        if (!span.only || m_pending.points[p].series == *span.only) m_sent[m_pending.points[p].series] = true;
    }
    push_state::acknowledge(m_store, m_options.target, last_points(m_pending, span),
                            outcome == Outcome::refused ? 0 : samples);
  }

  Store& m_store;
  const PushOptions& m_options;
  const Pending& m_pending;
  Sender m_sender;
  PushReport& m_report;
  std::vector<bool> m_sent;
  std::uint64_t m_left = 0;
};

} // namespace

PushReport push_remote_write(Store& store, const PushOptions& options, const RemoteWriteSend& send) {
  const auto started = std::chrono::steady_clock::now();
  const Millis now = options.now != 0 ? options.now : now_ms();
  std::optional<push_state::Exclusive> alone;
  if (options.dry_run == DryRun::no) alone.emplace(store);
  auto target = push_state::load(store, options.target);
  if (!target.known) target.start = options.max_age > 0 ? now - options.max_age : std::numeric_limits<Millis>::min();
  const auto pending = pending_points(store, options, target, now);
  PushReport report;
  report.too_old = pending.too_old;
  std::vector<bool> sent(pending.series.size(), false);
  if (options.dry_run == DryRun::yes) {
    report.requests = batches_of(pending, std::max<std::size_t>(options.batch_samples, 1)).size();
    for (const auto& point : pending.points) {
      report.samples += samples_of(pending, point);
      sent[point.series] = true;
    }
  } else {
    push_state::begin(store, options.target, target.start);
    Pusher pusher(store, options, pending, send, report);
    try {
      pusher.run();
    } catch (const Unreachable& failure) {
      throw Error(ErrorKind::busy,
                  "cannot push to " + options.target + ": " + failure.reason + " (" +
                      std::to_string(options.retries + 1) + (options.retries == 0 ? " try" : " tries") + "); " +
                      std::to_string(report.samples) + " samples sent, " + std::to_string(pusher.left()) +
                      " left for the next push",
                  "the next push resumes where this one stopped");
    }
    push_state::acknowledge(store, options.target, pending.skipped_until, 0);
    sent = pusher.sent();
  }
  for (std::size_t i = 0; i < sent.size(); ++i)
    if (sent[i]) report.series += pending.parts[i].size();
  report.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return report;
}

} // namespace health
