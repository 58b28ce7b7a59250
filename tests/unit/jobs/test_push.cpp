// push --remote-write in the library: the WriteRequest's protobuf, what a
// push sends (gauge values, counters' running totals, timers' _count and
// _sum, labels, batches in time order), cursors that send nothing twice,
// retries and backoff, a request in doubt, refused series, max_age, dry
// run, URLs, and the report's rendering. The receiver is a fake that
// decodes each request and can behave as Prometheus does.

#include <health/error.hpp>
#include <health/jobs.hpp>
#include <health/push.hpp>
#include <health/query.hpp>
#include <health/recorder.hpp>
#include <health/render.hpp>
#include <health/url.hpp>

#include "store/sqlite.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using health::k_hour_ms;
using health::k_minute_ms;
using health::Millis;
using health::MetricType;

namespace {

constexpr Millis k_now = 1795521600000; // 2026-11-24T12:00:00Z
const std::string k_target = "http://prometheus:9090/api/v1/write";

// ---- a protobuf reader, enough for prompb's WriteRequest

using LabelList = std::vector<std::pair<std::string, std::string>>;
using Samples = std::vector<std::pair<Millis, double>>;

struct DecodedSeries {
  LabelList labels; // in the order sent
  Samples samples;

  std::string name() const {
    for (const auto& [label, value] : labels)
      if (label == "__name__") return value;
    return {};
  }
  // name{k="v",...}, the other labels in the order sent.
  std::string key() const {
    std::string out = name() + "{";
    for (const auto& [label, value] : labels) {
      if (label == "__name__") continue;
      if (out.back() != '{') out += ',';
      out += label + "=\"" + value + "\"";
    }
    return out + "}";
  }
};

class ProtoReader {
public:
  explicit ProtoReader(std::string_view data) : m_data(data) {}

  bool done() const { return m_at == m_data.size(); }

  std::uint64_t varint() {
    std::uint64_t out = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      const auto byte = static_cast<std::uint8_t>(next());
      out |= static_cast<std::uint64_t>(byte & 0x7fU) << shift;
      if ((byte & 0x80U) == 0) return out;
    }
    throw std::runtime_error("protobuf: a varint longer than 10 bytes");
  }

  // A field's key: its number and wire type.
  std::pair<std::uint64_t, std::uint64_t> key() {
    const auto k = varint();
    return {k >> 3U, k & 7U};
  }

  std::string_view bytes() {
    const auto size = varint();
    if (size > m_data.size() - m_at) throw std::runtime_error("protobuf: a length past the end");
    const auto out = m_data.substr(m_at, static_cast<std::size_t>(size));
    m_at += static_cast<std::size_t>(size);
    return out;
  }

  std::uint64_t fixed64() {
    std::uint64_t out = 0;
    for (unsigned i = 0; i < 8; ++i) out |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(next())) << (8U * i);
    return out;
  }

private:
  char next() {
    if (m_at >= m_data.size()) throw std::runtime_error("protobuf: truncated");
    return m_data[m_at++];
  }

  std::string_view m_data;
  std::size_t m_at = 0;
};

[[noreturn]] void unexpected_field(const char* message, std::pair<std::uint64_t, std::uint64_t> key) {
  throw std::runtime_error(std::string("protobuf: unexpected field in ") + message + ": " + std::to_string(key.first) +
                           " wire type " + std::to_string(key.second));
}

std::pair<std::string, std::string> decode_label(std::string_view data) {
  ProtoReader in(data);
  std::pair<std::string, std::string> out;
  while (!in.done()) {
    const auto key = in.key();
    if (key == std::pair<std::uint64_t, std::uint64_t>{1, 2}) out.first = std::string(in.bytes());
    else if (key == std::pair<std::uint64_t, std::uint64_t>{2, 2}) out.second = std::string(in.bytes());
    else unexpected_field("Label", key);
  }
  return out;
}

std::pair<Millis, double> decode_sample(std::string_view data) {
  ProtoReader in(data);
  std::pair<Millis, double> out{0, 0.0};
  while (!in.done()) {
    const auto key = in.key();
    if (key == std::pair<std::uint64_t, std::uint64_t>{1, 1}) out.second = std::bit_cast<double>(in.fixed64());
    else if (key == std::pair<std::uint64_t, std::uint64_t>{2, 0}) out.first = static_cast<Millis>(in.varint());
    else unexpected_field("Sample", key);
  }
  return out;
}

DecodedSeries decode_series(std::string_view data) {
  ProtoReader in(data);
  DecodedSeries out;
  while (!in.done()) {
    const auto key = in.key();
    if (key == std::pair<std::uint64_t, std::uint64_t>{1, 2}) out.labels.push_back(decode_label(in.bytes()));
    else if (key == std::pair<std::uint64_t, std::uint64_t>{2, 2}) out.samples.push_back(decode_sample(in.bytes()));
    else unexpected_field("TimeSeries", key);
  }
  return out;
}

std::vector<DecodedSeries> decode_write_request(std::string_view data) {
  ProtoReader in(data);
  std::vector<DecodedSeries> out;
  while (!in.done()) {
    const auto key = in.key();
    if (key != std::pair<std::uint64_t, std::uint64_t>{1, 2}) unexpected_field("WriteRequest", key);
    out.push_back(decode_series(in.bytes()));
  }
  return out;
}

std::size_t sample_count(const std::vector<DecodedSeries>& request) {
  std::size_t out = 0;
  for (const auto& s : request) out += s.samples.size();
  return out;
}

// ---- a fake receiver

struct Answer {
  int status = 200;
  std::string message;
  bool maybe_delivered = false;
  std::optional<Millis> retry_after;
  bool keeps = false; // holds the request (as Prometheus would) whatever the answer says: an answer lost
};

Answer answer(int status, std::string message) {
  Answer out;
  out.status = status;
  out.message = std::move(message);
  return out;
}

// No answer, the connection lost after the request went out; `keeps`: the
// receiver got it and holds it.
Answer answer_lost(bool keeps) {
  Answer out = answer(0, "connection reset by peer");
  out.maybe_delivered = true;
  out.keeps = keeps;
  return out;
}

Answer answer_later(Millis retry_after) {
  Answer out = answer(429, "too many requests");
  out.retry_after = retry_after;
  return out;
}

class Receiver {
public:
  // The answers to the next requests, in order; nullopt (or none left): as
  // Prometheus answers.
  std::deque<std::optional<Answer>> script;
  // Metrics refused with 400 `refusal`, as a receiver refuses a bad series.
  std::set<std::string> refused_names;
  std::string refusal = "label value too long";

  std::vector<std::vector<DecodedSeries>> requests; // every request received
  std::vector<int> statuses;                         // what each was answered
  std::map<std::string, Samples> held;               // what it holds, by series

  health::RemoteWriteSend send() {
    return [this](const std::string& body) { return receive(body); };
  }

  std::size_t held_samples() const {
    std::size_t out = 0;
    for (const auto& [key, samples] : held) out += samples.size();
    return out;
  }

private:
  health::RemoteWriteResponse receive(const std::string& body) {
    requests.push_back(decode_write_request(body));
    const auto& request = requests.back();
    health::RemoteWriteResponse response;
    std::optional<Answer> scripted;
    if (!script.empty()) {
      scripted = script.front();
      script.pop_front();
    }
    if (scripted) {
      if (scripted->keeps) prometheus(request);
      response.status = scripted->status;
      response.message = scripted->message;
      response.maybe_delivered = scripted->maybe_delivered;
      response.retry_after = scripted->retry_after;
    } else {
      response = prometheus(request);
    }
    statuses.push_back(response.status);
    return response;
  }

  // Prometheus' rule: a sample at or before the newest of its series is
  // refused, and with it the whole request.
  health::RemoteWriteResponse prometheus(const std::vector<DecodedSeries>& request) {
    for (const auto& s : request)
      if (refused_names.count(s.name()) != 0) return {400, refusal, false, std::nullopt};
    std::map<std::string, Millis> newest;
    for (const auto& [key, samples] : held)
      if (!samples.empty()) newest[key] = samples.back().first;
    for (const auto& s : request) {
      for (const auto& [at, value] : s.samples) {
        const auto it = newest.find(s.key());
        if (it != newest.end() && at <= it->second) return {400, "out of order sample", false, std::nullopt};
        newest[s.key()] = at;
      }
    }
    for (const auto& s : request) {
      auto& into = held[s.key()];
      into.insert(into.end(), s.samples.begin(), s.samples.end());
    }
    return {200, "", false, std::nullopt};
  }
};

// ---- the database

// A fresh database of the case's own, copied from one made once: making
// one (its migrations) is most of a case's time.
struct Fixture {
  test::TempDir dir;
  health::Store store = open(dir);

  static health::Store open(const test::TempDir& dir) {
    static const test::TempDir made;
    static const std::string pattern = [] {
      test::StoreFixture::open(made); // closed at once: its WAL is checkpointed into the file
      return made.file("health.db");
    }();
    std::filesystem::copy_file(pattern, dir.file("health.db"));
    health::StoreOptions options;
    options.path = dir.file("health.db");
    options.mode = health::OpenMode::read_write;
    return health::Store::open(options);
  }
};

struct SeriesDef {
  std::string component;
  std::string name;
  MetricType type;
  std::string unit;
  health::Labels labels;
};

void record(health::Store& store, const SeriesDef& s, const Samples& samples) {
  std::vector<health::Recording> recordings;
  for (const auto& [at, value] : samples) {
    health::Recording r;
    r.spec.key = {"web1", s.component, s.name, s.labels};
    r.spec.type = s.type;
    r.spec.unit = s.unit;
    r.sample = {at, value, ""};
    recordings.push_back(std::move(r));
  }
  health::record(store, recordings, health::AllowFuture::yes);
}

const SeriesDef k_gauge_a{"app", "a", MetricType::gauge, "", {}};
const SeriesDef k_gauge_b{"app", "b", MetricType::gauge, "", {}};

// Five points of gauges a and b, a minute apart from `first`: ten samples,
// a's and b's at each time.
void record_ten(health::Store& store, Millis first = k_now - 50 * k_minute_ms) {
  Samples a;
  Samples b;
  for (int i = 0; i < 5; ++i) {
    a.emplace_back(first + i * k_minute_ms, i);
    b.emplace_back(first + i * k_minute_ms, 10 + i);
  }
  record(store, k_gauge_a, a);
  record(store, k_gauge_b, b);
}

health::PushOptions options_with(std::vector<Millis>& waits) {
  health::PushOptions options;
  options.target = k_target;
  options.now = k_now;
  options.sleep = [&waits](Millis wait) { waits.push_back(wait); };
  return options;
}

// The push_targets column `column` of k_target.
std::int64_t target_column(health::Store& store, const std::string& column) {
  health::sqlite::Statement row(store.handle(), "SELECT " + column + " FROM push_targets WHERE target = ?1");
  row.bind(1, k_target);
  if (!row.step()) throw std::runtime_error("no push_targets row");
  return row.int64(0);
}

// How many series of k_target note a request out without an answer.
std::int64_t pending_series(health::Store& store) {
  health::sqlite::Statement row(store.handle(),
                                "SELECT count(*) FROM push_cursors WHERE target = ?1 AND pending_ts IS NOT NULL");
  row.bind(1, k_target);
  row.step();
  return row.int64(0);
}

std::int64_t rows_of(health::Store& store, const std::string& table) {
  health::sqlite::Statement row(store.handle(), "SELECT count(*) FROM " + table);
  row.step();
  return row.int64(0);
}

health::Error push_error(health::Store& store, const health::PushOptions& options, Receiver& receiver) {
  try {
    health::push_remote_write(store, options, receiver.send());
  } catch (const health::Error& error) {
    return error;
  }
  FAIL("the push did not throw");
  return health::Error(health::ErrorKind::runtime, "");
}

// Every series the receiver holds has each time once, in order.
void check_each_once(const Receiver& receiver) {
  for (const auto& [key, samples] : receiver.held) {
    INFO(key);
    for (std::size_t i = 1; i < samples.size(); ++i) CHECK(samples[i - 1].first < samples[i].first);
  }
}

std::uint64_t bits_of(double value) { return std::bit_cast<std::uint64_t>(value); }

std::string run_decode_raw(const std::string& bytes, const test::TempDir& dir) {
  const auto file = dir.file("request.bin");
  std::ofstream(file, std::ios::binary) << bytes;
  const std::string command = "/usr/bin/protoc --decode_raw < '" + file + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

} // namespace

// ---- 1. the WriteRequest's protobuf

TEST_CASE("push: a WriteRequest is prompb's protobuf, byte for byte", "[push]") {
  const health::PrometheusLabels labels{{"a", "b"}};
  // WriteRequest{timeseries(1){labels(1){name(1) "a", value(2) "b"}, samples(2){value(1) 1.0, timestamp(2) 1}}}
  const std::string expected("\x0a\x15"
                             "\x0a\x06\x0a\x01"
                             "a"
                             "\x12\x01"
                             "b"
                             "\x12\x0b\x09\x00\x00\x00\x00\x00\x00\xf0\x3f\x10\x01",
                             23);
  CHECK(health::encode_write_request({{&labels, {{1, 1.0}}}}) == expected);
  CHECK(health::encode_write_request({}).empty());
  // A series without samples is its labels alone; a negative time ten bytes of varint.
  CHECK(health::encode_write_request({{&labels, {}}}) ==
        std::string("\x0a\x08\x0a\x06\x0a\x01" "a" "\x12\x01" "b", 10));
  const auto negative = health::encode_write_request({{&labels, {{-1, 0.0}}}});
  CHECK(negative.substr(negative.size() - 11) ==
        std::string("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11));
}

TEST_CASE("push: a WriteRequest of several series decodes back to its labels, times and value bits", "[push]") {
  const double nan = std::bit_cast<double>(std::uint64_t{0x7ff8000000000123});
  // Lengths of two varint bytes; 'w' is no protobuf key (wire type 7), so
  // protoc --decode_raw shows it as a string and not as a guessed message.
  const std::string long_value(300, 'w');
  const health::PrometheusLabels first{{"__name__", "up"}, {"component", "api"}, {"node", "web1"}};
  const health::PrometheusLabels second{{"__name__", "latency_seconds_sum"}, {"long", long_value}, {"z", ""}};
  const health::PrometheusLabels third{{"__name__", "gone"}};
  const Samples first_samples{{k_now, 0.1}, {k_now + 1, -0.0}, {k_now + 2, 1e300}, {k_now + 3, nan}};
  const Samples second_samples{{-1, -2.5},
                               {-1000, 3},
                               {0, 0},
                               {std::numeric_limits<Millis>::min(), std::numeric_limits<double>::infinity()},
                               {std::numeric_limits<Millis>::max(), std::numeric_limits<double>::denorm_min()}};
  std::vector<health::RemoteWriteSeries> series{{&first, first_samples}, {&second, second_samples}, {&third, {}}};
  const auto bytes = health::encode_write_request(series);

  const auto decoded = decode_write_request(bytes);
  REQUIRE(decoded.size() == 3);
  CHECK(decoded[0].labels == LabelList(first.begin(), first.end()));
  CHECK(decoded[1].labels == LabelList(second.begin(), second.end()));
  CHECK(decoded[2].labels == LabelList(third.begin(), third.end()));
  CHECK(decoded[2].samples.empty());
  const std::vector<std::pair<const Samples*, const Samples*>> pairs{{&first_samples, &decoded[0].samples},
                                                                     {&second_samples, &decoded[1].samples}};
  for (const auto& [sent, got] : pairs) {
    REQUIRE(got->size() == sent->size());
    for (std::size_t i = 0; i < sent->size(); ++i) {
      CHECK((*got)[i].first == (*sent)[i].first);
      CHECK(bits_of((*got)[i].second) == bits_of((*sent)[i].second)); // -0 and the NaN's payload kept
    }
  }

  SECTION("protoc --decode_raw reads it as the same fields") {
    if (!std::ifstream("/usr/bin/protoc")) {
      WARN("no /usr/bin/protoc: its part skipped");
      return;
    }
    test::TempDir dir;
    const auto text = run_decode_raw(bytes, dir);
    CHECK_THAT(text, Catch::StartsWith("1 {\n  1 {\n    1: \"__name__\"\n    2: \"up\"\n  }\n"));
    CHECK_THAT(text, Catch::Contains("  2 {\n    1: 0x3fb999999999999a\n    2: " + std::to_string(k_now) + "\n  }\n"));
    CHECK_THAT(text, Catch::Contains("    1: 0x8000000000000000\n")); // -0
    CHECK_THAT(text, Catch::Contains("    1: 0x7ff8000000000123\n"));
    CHECK_THAT(text, Catch::Contains("    2: 18446744073709551615\n")); // -1 as int64's varint
    CHECK_THAT(text, Catch::Contains("    2: 9223372036854775808\n"));  // the least int64
    CHECK_THAT(text, Catch::Contains("    2: \"" + long_value + "\"\n"));
    CHECK_THAT(text, Catch::Contains("1 {\n  1 {\n    1: \"__name__\"\n    2: \"gone\"\n  }\n}\n"));
  }
}

// ---- 2. what a push sends

TEST_CASE("push: gauges, counters' running totals and timers' _count and _sum, labelled and batched in time order",
          "[push]") {
  Fixture f;
  const Millis t1 = k_now - 50 * k_minute_ms;
  const Millis t2 = k_now - 40 * k_minute_ms;
  const Millis t3 = k_now - 30 * k_minute_ms;
  record(f.store, {"api", "latency_ms", MetricType::timer, "ms", {}},
         {{k_now - 3 * k_hour_ms, 100}, {t1, 400}, {t2, 600}});
  record(f.store, {"api", "requests", MetricType::counter, "", {{"route", "/a"}}},
         {{k_now - 2 * k_hour_ms, 5}, {t1, 3}, {t3, 2}, {t3, 4}});
  record(f.store, {"system", "heap_mb", MetricType::gauge, "MB", {{"area", "main"}}},
         {{k_now - 2 * k_hour_ms, 1}, {t1, 2}, {t2, 1.5}});

  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  options.batch_samples = 3;
  const auto report = health::push_remote_write(f.store, options, receiver.send());

  // Only the last hour (max_age) is sent; totals carry on from before it.
  const std::map<std::string, Samples> expected{
      {"heap_bytes{area=\"main\",component=\"system\",node=\"web1\"}", {{t1, 2.0 * 1048576}, {t2, 1.5 * 1048576}}},
      {"latency_seconds_count{component=\"api\",node=\"web1\"}", {{t1, 2}, {t2, 3}}},
      {"latency_seconds_sum{component=\"api\",node=\"web1\"}", {{t1, 500.0 / 1000}, {t2, 1100.0 / 1000}}},
      {"requests_total{component=\"api\",node=\"web1\",route=\"/a\"}", {{t1, 8}, {t3, 14}}},
  };
  CHECK(receiver.held == expected);
  CHECK(report.samples == 8);
  CHECK(report.series == 4);
  CHECK(report.requests == 3);
  CHECK(report.retries == 0);
  CHECK(report.too_old == 0); // a first push starts at now - max_age
  CHECK(report.held == 0);
  CHECK(report.refused == 0);
  CHECK(waits.empty());

  REQUIRE(receiver.requests.size() == 3);
  Millis newest_before = std::numeric_limits<Millis>::min();
  for (const auto& request : receiver.requests) {
    CHECK(sample_count(request) <= 3);
    Millis oldest = std::numeric_limits<Millis>::max();
    Millis newest = std::numeric_limits<Millis>::min();
    for (const auto& s : request) {
      INFO(s.key());
      CHECK(std::is_sorted(s.labels.begin(), s.labels.end()));
      CHECK((!s.labels.empty() && s.labels.front().first == "__name__"));
      CHECK_FALSE(s.samples.empty());
      for (std::size_t i = 1; i < s.samples.size(); ++i) CHECK(s.samples[i - 1].first < s.samples[i].first);
      for (const auto& [at, value] : s.samples) {
        oldest = std::min(oldest, at);
        newest = std::max(newest, at);
      }
    }
    CHECK(newest_before <= oldest); // batches in time order across series
    newest_before = newest;
  }
  // A timer's point is its _count and _sum together, in one request.
  for (const auto& request : receiver.requests) {
    std::map<Millis, int> parts;
    for (const auto& s : request)
      if (s.name().rfind("latency_seconds_", 0) == 0)
        for (const auto& sample : s.samples) ++parts[sample.first];
    for (const auto& [at, count] : parts) CHECK(count == 2);
  }
}

TEST_CASE("push: series that would be one Prometheus series are refused before anything is sent", "[push]") {
  Fixture f;
  record(f.store, {"api", "query-ms", MetricType::gauge, "", {}}, {{k_now - k_minute_ms, 1}});
  record(f.store, {"api", "query.ms", MetricType::gauge, "", {}}, {{k_now - k_minute_ms, 2}});
  Receiver receiver;
  std::vector<Millis> waits;
  const auto error = push_error(f.store, options_with(waits), receiver);
  CHECK(error.kind() == health::ErrorKind::bad_data);
  CHECK_THAT(error.what(), Catch::Contains("would both be the Prometheus metric query_ms"));
  CHECK(receiver.requests.empty());
}

// ---- 3. nothing sent twice

TEST_CASE("push: nothing is sent twice, the next push sends only what is new, cursors survive reopening", "[push]") {
  Fixture f;
  const SeriesDef latency{"api", "latency_ms", MetricType::timer, "ms", {}};
  const SeriesDef requests{"api", "requests", MetricType::counter, "", {}};
  const SeriesDef heap{"system", "heap", MetricType::gauge, "", {}};
  record(f.store, latency, {{k_now - 50 * k_minute_ms, 400}, {k_now - 40 * k_minute_ms, 600}});
  record(f.store, requests, {{k_now - 50 * k_minute_ms, 3}, {k_now - 30 * k_minute_ms, 2}});
  record(f.store, heap, {{k_now - 50 * k_minute_ms, 7}});

  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  CHECK(health::push_remote_write(f.store, options, receiver.send()).samples == 7);
  REQUIRE(receiver.requests.size() == 1);

  const auto again = health::push_remote_write(f.store, options, receiver.send());
  CHECK(again.samples == 0);
  CHECK(again.requests == 0);
  CHECK(again.series == 0);
  CHECK(receiver.requests.size() == 1);

  const Millis t4 = k_now - 10 * k_minute_ms;
  record(f.store, requests, {{t4, 1}});
  record(f.store, heap, {{t4, 8}});
  const auto newer = health::push_remote_write(f.store, options, receiver.send());
  CHECK(newer.samples == 2);
  CHECK(newer.series == 2);
  REQUIRE(receiver.requests.size() == 2);
  std::map<std::string, Samples> second;
  for (const auto& s : receiver.requests[1]) second[s.key()] = s.samples;
  CHECK(second == std::map<std::string, Samples>{{"heap{component=\"system\",node=\"web1\"}", {{t4, 8}}},
                                                 {"requests_total{component=\"api\",node=\"web1\"}", {{t4, 6}}}});

  f.store = health::Store::open({f.dir.file("health.db"), health::OpenMode::read_write});
  CHECK(health::push_remote_write(f.store, options, receiver.send()).requests == 0);
  const Millis t5 = k_now - 5 * k_minute_ms;
  record(f.store, latency, {{t5, 1000}});
  CHECK(health::push_remote_write(f.store, options, receiver.send()).samples == 2);
  REQUIRE(receiver.requests.size() == 3);
  std::map<std::string, Samples> third;
  for (const auto& s : receiver.requests[2]) third[s.key()] = s.samples;
  CHECK(third == std::map<std::string, Samples>{{"latency_seconds_count{component=\"api\",node=\"web1\"}", {{t5, 3}}},
                                                {"latency_seconds_sum{component=\"api\",node=\"web1\"}", {{t5, 2}}}});
  CHECK(receiver.held_samples() == 11);
  check_each_once(receiver);
  CHECK(target_column(f.store, "samples") == 11);

  // Cursors are a target's own: another receiver gets everything.
  Receiver other;
  options.target = "http://other:9090/api/v1/write";
  CHECK(health::push_remote_write(f.store, options, other.send()).samples == 11);
  CHECK(other.held == receiver.held);
}

// ---- 4. retries

TEST_CASE("push: a request that failed for a while is tried again after a backoff", "[push]") {
  Fixture f;
  record_ten(f.store);
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  options.backoff = 1000;

  SECTION("a 500, then a 200") {
    receiver.script = {answer(500, "boom")};
    const auto report = health::push_remote_write(f.store, options, receiver.send());
    CHECK(report.retries == 1);
    CHECK(report.requests == 2);
    CHECK(report.samples == 10);
    REQUIRE(waits.size() == 1);
    CHECK(waits[0] >= 500);
    CHECK(waits[0] <= 1000);
  }
  SECTION("no answer, then a 200") {
    receiver.script = {answer(0, "connection refused")};
    const auto report = health::push_remote_write(f.store, options, receiver.send());
    CHECK(report.retries == 1);
    CHECK(report.samples == 10);
    CHECK(waits.size() == 1);
  }
  SECTION("a 429's Retry-After is waited") {
    receiver.script = {answer_later(7000)};
    const auto report = health::push_remote_write(f.store, options, receiver.send());
    CHECK(report.retries == 1);
    CHECK(waits == std::vector<Millis>{7000});
  }
  SECTION("the backoff doubles up to backoff_max") {
    options.retries = 4;
    options.backoff_max = 3000;
    receiver.script = {answer(503, "unavailable"), answer(500, "a"), answer(502, "b"), answer(504, "c")};
    const auto report = health::push_remote_write(f.store, options, receiver.send());
    CHECK(report.retries == 4);
    CHECK(report.requests == 5);
    REQUIRE(waits.size() == 4);
    const std::vector<std::pair<Millis, Millis>> bounds{{500, 1000}, {1000, 2000}, {1500, 3000}, {1500, 3000}};
    for (std::size_t i = 0; i < 4; ++i) {
      INFO("wait " << i);
      CHECK(waits[i] >= bounds[i].first);
      CHECK(waits[i] <= bounds[i].second);
    }
  }
  CHECK(receiver.held_samples() == 10);
  check_each_once(receiver);
}

TEST_CASE("push: past its retries a push stops with what it sent and left, and the next one sends the rest", "[push]") {
  Fixture f;
  record_ten(f.store);
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  options.batch_samples = 4;
  options.retries = 2;
  receiver.script = {std::nullopt, answer(500, "boom"), answer(500, "boom"), answer(500, "boom")};
  const auto error = push_error(f.store, options, receiver);
  CHECK(error.kind() == health::ErrorKind::busy);
  CHECK_THAT(error.what(), Catch::Equals("cannot push to " + k_target +
                                         ": HTTP 500 boom (3 tries); 4 samples sent, 6 left for the next push"));
  CHECK(waits.size() == 2);
  CHECK(receiver.requests.size() == 4);
  CHECK(receiver.held_samples() == 4);
  CHECK(pending_series(f.store) == 0); // the failures said no answer was lost

  const auto report = health::push_remote_write(f.store, options, receiver.send());
  CHECK(report.samples == 6);
  CHECK(report.requests == 2);
  CHECK(report.held == 0);
  CHECK(receiver.held_samples() == 10);
  check_each_once(receiver);
  std::size_t acknowledged = 0; // nothing acknowledged twice
  for (std::size_t i = 0; i < receiver.requests.size(); ++i)
    if (receiver.statuses[i] == 200) acknowledged += sample_count(receiver.requests[i]);
  CHECK(acknowledged == 10);
}

// ---- 5. in doubt

TEST_CASE("push: a request whose answer was lost and is then refused as out of order was held already", "[push]") {
  Fixture f;
  record_ten(f.store);
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  options.batch_samples = 4;
  options.retries = 1;

  SECTION("in the next push") {
    receiver.script = {answer_lost(true), answer(500, "boom")};
    const auto error = push_error(f.store, options, receiver);
    CHECK(error.kind() == health::ErrorKind::busy);
    CHECK_THAT(error.what(), Catch::Contains("0 samples sent, 10 left for the next push"));
    CHECK(receiver.held_samples() == 4);
    CHECK(pending_series(f.store) > 0);

    const auto report = health::push_remote_write(f.store, options, receiver.send());
    CHECK(report.held == 4);
    CHECK(report.samples == 6);
    CHECK(report.refused == 0);
    CHECK(report.requests == 3);
    REQUIRE(receiver.statuses.size() == 5);
    CHECK(receiver.statuses[2] == 400); // the lost request, sent again
    CHECK(pending_series(f.store) == 0);
    CHECK(target_column(f.store, "samples") == 10);
    CHECK(health::push_remote_write(f.store, options, receiver.send()).requests == 0);
  }
  SECTION("in the same push") {
    receiver.script = {answer_lost(true)};
    const auto report = health::push_remote_write(f.store, options, receiver.send());
    CHECK(report.held == 4);
    CHECK(report.samples == 6);
    CHECK(report.retries == 1);
    CHECK(report.refused == 0);
  }
  SECTION("a request that may have been delivered but was not is simply sent") {
    receiver.script = {answer_lost(false), answer(500, "boom")};
    push_error(f.store, options, receiver);
    CHECK(receiver.held_samples() == 0);
    const auto report = health::push_remote_write(f.store, options, receiver.send());
    CHECK(report.held == 0);
    CHECK(report.samples == 10);
  }
  CHECK(receiver.held_samples() == 10);
  check_each_once(receiver);
}

// A lost answer to a partial (the last) batch, then new points: the next
// push sends the points in doubt on their own, so that a refusal as out of
// order (they were held) cannot take the new points with it.
TEST_CASE("push: a lost last batch merged with new points in the next push loses none of them", "[push]") {
  Fixture f;
  record_ten(f.store);
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  options.batch_samples = 4;
  options.retries = 1;
  receiver.script = {std::nullopt, std::nullopt, answer_lost(true),
                     answer(500, "boom")};
  push_error(f.store, options, receiver);
  CHECK(receiver.held_samples() == 10); // the last request (2 samples) was held, its answer lost
  record(f.store, k_gauge_a, {{k_now - 5 * k_minute_ms, 100}});
  record(f.store, k_gauge_b, {{k_now - 5 * k_minute_ms, 110}});

  const auto report = health::push_remote_write(f.store, options, receiver.send());
  CHECK(report.held == 2);
  CHECK(report.samples == 2);
  CHECK(receiver.held_samples() == 12);
}

// A batch refused and sent again series by series is cut by a lost answer:
// only the series whose answer was lost are in doubt in the next push, and
// the series never delivered are still sent.
TEST_CASE("push: a batch cut while sent series by series loses none of its series", "[push]") {
  Fixture f;
  const SeriesDef c{"app", "c", MetricType::gauge, "", {}};
  record_ten(f.store);
  record(f.store, c, {{k_now - 50 * k_minute_ms, 1}});
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  options.retries = 1;
  // The batch refused; a delivered alone; b's answer lost, then 500.
  receiver.script = {answer(400, "something else"), std::nullopt, answer_lost(true), answer(500, "boom")};
  push_error(f.store, options, receiver);
  CHECK(receiver.held_samples() == 10); // a and b, not c

  health::push_remote_write(f.store, options, receiver.send());
  CHECK(receiver.held_samples() == 11); // c's sample never arrives
}

// parse_url refuses hosts that are no host, and keeps the password it was
// given out of its error message.
TEST_CASE("push: a URL's password is kept out of its errors, and a bad host is refused", "[push]") {
  try {
    health::parse_url("http://user:secret@host:99999/");
    FAIL("no error");
  } catch (const health::Error& error) {
    CHECK_THAT(error.what(), !Catch::Contains("secret"));
  }
  for (const std::string bad :
       {"http://::1/", "http://[::1/", "http://host:8080:90/", "http://[::1]junk/", "http://a b/"}) {
    INFO(bad);
    CHECK_THROWS_AS(health::parse_url(bad), health::Error);
  }
}

// ---- 6. refused

TEST_CASE("push: a refused request is sent series by series, and what is still refused is skipped", "[push]") {
  Fixture f;
  const SeriesDef bad{"app", "bad", MetricType::gauge, "", {}};
  record_ten(f.store);
  record(f.store, bad, {{k_now - 50 * k_minute_ms, 1}, {k_now - 49 * k_minute_ms, 2}, {k_now - 48 * k_minute_ms, 3}});
  Receiver receiver;
  receiver.refused_names = {"bad"};
  receiver.script = {answer(400, "label value too long: bad")}; // the first refusal, the batch's
  std::vector<Millis> waits;
  auto options = options_with(waits);

  const auto report = health::push_remote_write(f.store, options, receiver.send());
  CHECK(report.refused == 3);
  CHECK(report.refused_reason == "HTTP 400 label value too long: bad");
  CHECK(report.samples == 10);
  CHECK(report.series == 2);
  CHECK(report.requests == 4); // the batch, then each of its 3 series
  CHECK(report.retries == 0);
  CHECK(waits.empty());
  CHECK(receiver.held_samples() == 10);
  CHECK(receiver.held.count("bad{component=\"app\",node=\"web1\"}") == 0);
  REQUIRE(receiver.requests.size() == 4);
  for (std::size_t i = 1; i < 4; ++i) CHECK(receiver.requests[i].size() == 1);

  const auto later = health::push_remote_write(f.store, options, receiver.send());
  CHECK(later.requests == 0);
  CHECK(later.refused == 0);
  CHECK(receiver.requests.size() == 4);

  record(f.store, bad, {{k_now - 5 * k_minute_ms, 4}});
  record(f.store, k_gauge_a, {{k_now - 5 * k_minute_ms, 5}});
  const auto newer = health::push_remote_write(f.store, options, receiver.send());
  CHECK(newer.refused == 1);
  CHECK(newer.samples == 1);
  CHECK(receiver.held_samples() == 11);
  check_each_once(receiver);
}

TEST_CASE("push: out of order without a request in doubt is a refusal, not samples held", "[push]") {
  Fixture f;
  record_ten(f.store);
  Receiver receiver;
  receiver.held["a{component=\"app\",node=\"web1\"}"] = {{k_now, 99}}; // newer, from another writer
  std::vector<Millis> waits;
  const auto report = health::push_remote_write(f.store, options_with(waits), receiver.send());
  CHECK(report.held == 0);
  CHECK(report.refused == 5);
  CHECK(report.refused_reason == "HTTP 400 out of order sample");
  CHECK(report.samples == 5);
  CHECK(receiver.held_samples() == 6);
}

// ---- 7. credentials

TEST_CASE("push: a 401 or 403 stops the push at once: the credentials are wrong", "[push]") {
  Fixture f;
  record_ten(f.store);
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  const int status = GENERATE(401, 403);
  receiver.script = {answer(status, "Unauthorized")};
  const auto error = push_error(f.store, options, receiver);
  CHECK(error.kind() == health::ErrorKind::runtime);
  CHECK_THAT(error.what(), Catch::Contains("credentials") && Catch::Contains("HTTP " + std::to_string(status)));
  CHECK(receiver.requests.size() == 1);
  CHECK(waits.empty());

  const auto report = health::push_remote_write(f.store, options, receiver.send());
  CHECK(report.samples == 10);
  CHECK(receiver.held_samples() == 10);
}

// ---- 8. max_age

TEST_CASE("push: points older than max_age are not sent: a first push starts there, later ones count them", "[push]") {
  Fixture f;
  const SeriesDef g1{"app", "g1", MetricType::gauge, "", {}};
  const SeriesDef g2{"app", "g2", MetricType::gauge, "", {}};
  const SeriesDef g3{"app", "g3", MetricType::gauge, "", {}};
  const SeriesDef timer{"app", "t", MetricType::timer, "ms", {}};
  record(f.store, g1, {{k_now - 2 * k_hour_ms, 1}, {k_now - 30 * k_minute_ms, 2}, {k_now - 10 * k_minute_ms, 3}});
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  REQUIRE(options.max_age == k_hour_ms);

  const auto first = health::push_remote_write(f.store, options, receiver.send());
  CHECK(first.samples == 2);
  CHECK(first.too_old == 0); // before the first push's start: not due, not counted
  CHECK(receiver.held["g1{component=\"app\",node=\"web1\"}"] ==
        Samples{{k_now - 30 * k_minute_ms, 2}, {k_now - 10 * k_minute_ms, 3}});
  CHECK(target_column(f.store, "start_ms") == k_now - k_hour_ms);

  // Three hours later: what is due but older than an hour is counted and
  // skipped, for a series with a cursor and for a new one (due from the
  // target's start).
  const Millis later = k_now + 3 * k_hour_ms;
  record(f.store, g1, {{k_now + 30 * k_minute_ms, 4}, {k_now + 150 * k_minute_ms, 5}});
  record(f.store, g2, {{k_now - 2 * k_hour_ms, 1}, {k_now - 30 * k_minute_ms, 2}, {k_now + 150 * k_minute_ms, 3}});
  record(f.store, timer, {{k_now + 30 * k_minute_ms, 100}, {k_now + 150 * k_minute_ms, 200}});
  record(f.store, g3, {{k_now + 30 * k_minute_ms, 1}}); // nothing of it due in time
  options.now = later;
  const auto second = health::push_remote_write(f.store, options, receiver.send());
  CHECK(second.too_old == 5); // g1's, g2's, g3's, and the timer's _count and _sum
  CHECK(second.samples == 4);
  CHECK(receiver.held["g1{component=\"app\",node=\"web1\"}"] ==
        Samples{{k_now - 30 * k_minute_ms, 2}, {k_now - 10 * k_minute_ms, 3}, {k_now + 150 * k_minute_ms, 5}});
  CHECK(receiver.held["g2{component=\"app\",node=\"web1\"}"] == Samples{{k_now + 150 * k_minute_ms, 3}});
  // The running totals still count the point skipped.
  CHECK(receiver.held["t_seconds_count{component=\"app\",node=\"web1\"}"] == Samples{{k_now + 150 * k_minute_ms, 2}});
  CHECK(receiver.held["t_seconds_sum{component=\"app\",node=\"web1\"}"] == Samples{{k_now + 150 * k_minute_ms, 0.3}});

  // What was skipped is not due any more, even without a limit.
  options.max_age = 0;
  const auto third = health::push_remote_write(f.store, options, receiver.send());
  CHECK(third.requests == 0);
  CHECK(third.samples == 0);
  CHECK(third.too_old == 0);

  // Without a limit, a first push sends everything.
  Receiver other;
  options.target = "http://other:9090/api/v1/write";
  const auto everything = health::push_remote_write(f.store, options, other.send());
  CHECK(everything.samples == 13);
  CHECK(everything.too_old == 0);
  check_each_once(receiver);
}

// ---- 9. dry run

TEST_CASE("push: a dry run sends nothing, writes nothing, and says what it would send", "[push]") {
  Fixture f;
  record_ten(f.store);
  record(f.store, {"api", "latency_ms", MetricType::timer, "ms", {}}, {{k_now - 48 * k_minute_ms, 10}});
  health::StoreOptions read_only;
  read_only.path = f.dir.file("health.db");
  read_only.mode = health::OpenMode::read_only;
  auto store = health::Store::open(read_only);

  int calls = 0;
  const health::RemoteWriteSend never = [&calls](const std::string&) {
    ++calls;
    return health::RemoteWriteResponse{200, "", false, std::nullopt};
  };
  std::vector<Millis> waits;
  auto options = options_with(waits);
  options.batch_samples = 4;
  options.dry_run = health::DryRun::yes;
  const auto report = health::push_remote_write(store, options, never);
  CHECK(calls == 0);
  CHECK(report.samples == 12);
  CHECK(report.series == 4);
  CHECK(report.requests == 3); // [a, b, a, b], [timer, a, b], [a, b, a, b]
  CHECK(rows_of(f.store, "push_targets") == 0);
  CHECK(rows_of(f.store, "push_cursors") == 0);

  Receiver receiver;
  options.dry_run = health::DryRun::no;
  const auto real = health::push_remote_write(f.store, options, receiver.send());
  CHECK(real.samples == 12);
  CHECK(real.requests == 3);
}

// ---- 10. URLs

TEST_CASE("push: URLs are taken apart, credentials kept out of their text", "[push]") {
  const auto url = health::parse_url("http://prometheus:9090/api/v1/write");
  CHECK(url.scheme == "http");
  CHECK(url.host == "prometheus");
  CHECK(url.port == 9090);
  CHECK(url.target == "/api/v1/write");
  CHECK(url.user.empty());
  CHECK(url.password.empty());
  CHECK(url.text() == "http://prometheus:9090/api/v1/write");

  const auto https = health::parse_url("https://mimir.example.com/api/v1/push");
  CHECK(https.port == 443);
  CHECK(https.text() == "https://mimir.example.com/api/v1/push");
  CHECK(health::parse_url("http://example.com").target == "/");
  CHECK(health::parse_url("http://example.com").port == 80);
  CHECK(health::parse_url("http://example.com").text() == "http://example.com/");
  CHECK(health::parse_url("http://example.com:80/x").text() == "http://example.com/x");
  CHECK(health::parse_url("https://example.com:443/x").text() == "https://example.com/x");
  CHECK(health::parse_url("https://example.com:80/x").text() == "https://example.com:80/x");
  CHECK(health::parse_url("http://example.com:443/x").text() == "http://example.com:443/x");
  CHECK(health::parse_url("http://example.com?q=1").target == "/?q=1");

  const auto v6 = health::parse_url("http://[::1]:9090/write");
  CHECK(v6.host == "[::1]");
  CHECK(v6.port == 9090);
  CHECK(v6.text() == "http://[::1]:9090/write");
  const auto v6_default = health::parse_url("https://[fe80::1:2]/w");
  CHECK(v6_default.host == "[fe80::1:2]");
  CHECK(v6_default.port == 443);

  const auto secret = health::parse_url("https://user:s3cr:et@host.example:8443/p?x=1");
  CHECK(secret.user == "user");
  CHECK(secret.password == "s3cr:et");
  CHECK(secret.host == "host.example");
  CHECK(secret.port == 8443);
  CHECK(secret.target == "/p?x=1");
  CHECK(secret.text() == "https://host.example:8443/p?x=1");
  const auto token = health::parse_url("http://token@host/");
  CHECK(token.user == "token");
  CHECK(token.password.empty());
  CHECK(token.text() == "http://host/");

  for (const std::string bad : {"", "prometheus:9090/write", "ftp://host/", "http:///path", "http://", "http://host:0/",
                                "http://host:65536/", "http://host:abc/", "http://host:/", "http://host:-1/",
                                "http://user:pw@/", "http://[::1]:/x"}) {
    INFO(bad);
    try {
      health::parse_url(bad);
      FAIL("no error");
    } catch (const health::Error& error) {
      CHECK(error.kind() == health::ErrorKind::usage);
      const auto shown = bad == "http://user:pw@/" ? std::string("http://***@/") : bad; // no password in errors
      CHECK_THAT(error.what(), Catch::StartsWith("bad URL '" + shown + "'"));
    }
  }
}

// ---- 11. the report

TEST_CASE("push: the report in text and json carries every figure", "[push]") {
  health::PushReport report;
  report.samples = 120;
  report.series = 3;
  report.requests = 4;
  report.retries = 1;
  report.too_old = 5;
  report.held = 2;
  report.refused = 7;
  report.refused_reason = "HTTP 400 label value too long";
  report.duration = 12;
  CHECK(health::render_push(report, k_target, health::DryRun::no, health::Format::text) ==
        "pushed 120 samples of 3 series to " + k_target + " in 4 requests (1 tried again) in 12 ms\n"
        "2 samples of a request whose answer was lost were held by the receiver already\n"
        "5 samples were not sent: older than --max-age (backfill them with export --format openmetrics)\n"
        "7 samples were refused by the receiver: HTTP 400 label value too long\n");

  const auto json =
      nlohmann::json::parse(health::render_push(report, k_target, health::DryRun::no, health::Format::json));
  CHECK(json["target"] == k_target);
  CHECK(json["dry_run"] == false);
  CHECK(json["samples"] == 120);
  CHECK(json["series"] == 3);
  CHECK(json["requests"] == 4);
  CHECK(json["retries"] == 1);
  CHECK(json["held_already"] == 2);
  CHECK(json["too_old"] == 5);
  CHECK(json["refused"] == 7);
  CHECK(json["refused_reason"] == "HTTP 400 label value too long");
  CHECK(json["duration_ms"] == 12);

  health::PushReport dry;
  dry.samples = 10;
  dry.series = 2;
  dry.requests = 1;
  CHECK(health::render_push(dry, k_target, health::DryRun::yes, health::Format::text) ==
        "would push 10 samples of 2 series to " + k_target + " in 1 request\n");
  const auto dry_json =
      nlohmann::json::parse(health::render_push(dry, k_target, health::DryRun::yes, health::Format::json));
  CHECK(dry_json["dry_run"] == true);
  CHECK_THROWS_AS(health::render_push(dry, k_target, health::DryRun::no, health::Format::csv), health::Error);
}

// ---- review: totals that never go back, answers that are not about samples

TEST_CASE("push: a counter's total never goes below what it sent, however the sum adds up again", "[push]") {
  Fixture f;
  const SeriesDef busy{"app", "busy_seconds", MetricType::counter, "", {}};
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  // Fractional increments whose running sum, added up again from the total
  // minus the later ones, differs in its last bits (17.400000000000006 then
  // 17.400000000000002).
  const std::vector<std::vector<double>> pushes{{0.8, 1.1, 2.1, 2.5, 2.0}, {0.1, 1.4, 2.8, 1.9, 2.7}, {0.0}};
  Millis at = k_now - 40 * k_minute_ms;
  for (const auto& increments : pushes) {
    Samples samples;
    for (const double increment : increments) samples.emplace_back(at += k_minute_ms, increment);
    record(f.store, busy, samples);
    options.now = at + 1;
    CHECK(health::push_remote_write(f.store, options, receiver.send()).refused == 0);
  }
  REQUIRE(receiver.held.size() == 1);
  const auto& sent = receiver.held.begin()->second;
  REQUIRE(sent.size() == 11);
  for (std::size_t i = 1; i < sent.size(); ++i) {
    INFO("point " << i);
    CHECK(sent[i].second >= sent[i - 1].second); // no reset for Prometheus to see
  }
  CHECK(sent.back().second == Approx(17.4));
}

TEST_CASE("push: an answer that is not about samples stops the push and keeps every point", "[push]") {
  Fixture f;
  record_ten(f.store);
  Receiver receiver;
  std::vector<Millis> waits;
  auto options = options_with(waits);
  for (const int status : {404, 308, 413}) {
    INFO(status);
    receiver.script = {answer(status, "nope")};
    const auto error = push_error(f.store, options, receiver);
    CHECK(error.kind() == health::ErrorKind::runtime);
    CHECK_THAT(error.what(), Catch::StartsWith("the receiver answered HTTP " + std::to_string(status) + " nope"));
    CHECK(pending_series(f.store) == 0);
  }
  const auto report = health::push_remote_write(f.store, options, receiver.send());
  CHECK(report.samples == 10); // nothing was skipped
  CHECK(receiver.held_samples() == 10);
}
