// serve's endpoints: a request in, a response out, over the same library
// calls and render/ functions as the CLI's commands.

#include <health/server.hpp>

#include <health/analyze.hpp>
#include <health/error.hpp>
#include <health/export.hpp>
#include <health/format.hpp>
#include <health/ingest.hpp>
#include <health/issues.hpp>
#include <health/query.hpp>
#include <health/render.hpp>
#include <health/status.hpp>
#include <health/summary.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <sys/stat.h>

namespace health::http {

namespace {

constexpr std::string_view k_health = "/health/";

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

// An endpoint's query parameters: a name it does not take is an error, so
// a typo does not pass silently.
class Params {
public:
  Params(const Request& request, std::vector<std::string> allowed) : m_request(request) {
    for (const auto& [name, value] : request.query)
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        throw Error(ErrorKind::usage, "unknown parameter '" + name + "'",
                    allowed.empty() ? "this endpoint takes no parameters" : "this endpoint takes " + join(allowed));
  }
  // The last value given, else `fallback`.
  std::string get(const std::string& name, const std::string& fallback = {}) const {
    const auto [first, last] = m_request.query.equal_range(name);
    return first == last ? fallback : std::prev(last)->second;
  }
  bool has(const std::string& name) const { return m_request.query.count(name) > 0; }
  // Every value, comma lists split: components=a,b&components=c.
  std::vector<std::string> list(const std::string& name) const {
    std::vector<std::string> out;
    const auto [first, last] = m_request.query.equal_range(name);
    for (auto it = first; it != last; ++it) {
      std::stringstream parts(it->second);
      for (std::string part; std::getline(parts, part, ',');)
        if (!part.empty()) out.push_back(part);
    }
    return out;
  }
  Format format(const std::vector<std::string>& allowed) const {
    const auto name = get("format", allowed.front());
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      throw Error(ErrorKind::usage, "invalid format '" + name + "'", "use one of " + join(allowed));
    return parse_format(name);
  }

private:
  const Request& m_request;
};

std::string content_type_of(Format format) {
  switch (format) {
  case Format::json: return "application/json; charset=utf-8";
  case Format::ndjson: return "application/x-ndjson; charset=utf-8";
  case Format::csv: return "text/csv; charset=utf-8";
  case Format::markdown: return "text/markdown; charset=utf-8";
  default: return "text/plain; charset=utf-8";
  }
}

Response answer(std::string body, Format format = Format::json, int status = 200) {
  Response out;
  out.status = status;
  out.content_type = content_type_of(format);
  out.body = std::move(body);
  return out;
}

int status_code(HealthStatus status, const ServeOptions& options) {
  switch (status) {
  case HealthStatus::healthy: return 200;
  case HealthStatus::degraded: return options.degraded_status;
  default: return 503;
  }
}

Response metrics(const Request& request, const Route& route, Stores& stores) {
  SeriesFilter filter;
  if (route.endpoint == "component") {
    Params(request, {});
    const auto components = list_components(stores.reader());
    const bool known = std::any_of(components.begin(), components.end(),
                                   [&](const ComponentInfo& info) { return info.component == route.target; });
    if (!known)
      throw Error(ErrorKind::not_found, "no component '" + route.target + "' in the database",
                  "see " + std::string(k_health) + "metrics");
    filter.components = {route.target};
  } else {
    filter.components = Params(request, {"components"}).list("components");
  }
  return answer(render_metrics(list_series(stores.reader(), filter, WithStats::yes), Format::json));
}

Response status(const Request& request, const Route& route, Stores& stores, const ServeOptions& options, Millis now) {
  Params(request, {});
  std::vector<std::string> only;
  if (!route.target.empty()) only.push_back(route.target);
  const auto report = health_report(stores.reader(), only, now);
  Response out;
  if (route.view == "status") {
    const nlohmann::ordered_json brief{{"status", to_string(report.status)},
                                       {"checked_at", format_time(report.checked_at)},
                                       {"active_issue_count", report.active_issue_count},
                                       {"critical_issue_count", report.critical_issue_count}};
    out = answer(brief.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  } else {
    out = answer(render_status(report, Format::json));
  }
  out.status = status_code(report.status, options);
  out.no_store = true;
  return out;
}

SeriesFilter filter_of(const Params& params) {
  SeriesFilter filter;
  filter.components = params.list("components");
  filter.metrics = params.list("metrics");
  return filter;
}

TimeRange range_of(const Params& params, Millis now, bool allow_empty) {
  const TimeRange range{parse_time(params.get("since", "24h"), now), parse_time(params.get("until", "now"), now)};
  if (range.until < range.since || (!allow_empty && range.until == range.since))
    throw Error(ErrorKind::usage, allow_empty ? "until is before since" : "until is not after since",
                "give since earlier than until");
  return range;
}

Response export_range(const Request& request, Stores& stores, const ServeOptions& options, Millis now) {
  const Params params(request, {"since", "until", "components", "metrics", "step", "agg", "max_points", "format"});
  const auto format = params.format({"json", "ndjson", "csv"});
  ExportOptions export_options;
  export_options.range = range_of(params, now, true);
  export_options.filter = filter_of(params);
  if (params.has("step")) {
    export_options.step = parse_duration(params.get("step"));
    if (export_options.step == 0)
      throw Error(ErrorKind::usage, "step must be longer than 0", "use step=5m, say");
  }
  if (params.has("max_points")) {
    const auto points = parse_whole_number(params.get("max_points"));
    if (!points || *points < 1 || params.has("step"))
      throw Error(ErrorKind::usage, "invalid max_points '" + params.get("max_points") + "'",
                  "a whole number of at least 1, without step");
    export_options.max_points = static_cast<std::size_t>(*points);
  }
  export_options.aggs = parse_agg_list(params.list("agg"));
  std::string body;
  write_export(stores.reader(), export_options, format, now, [&](std::string_view text) {
    if (body.size() + text.size() > options.max_answer)
      throw Error(ErrorKind::usage, "the answer is larger than " + std::to_string(options.max_answer >> 20) + " MiB",
                  "narrow the range or the series, or give step or max_points");
    body.append(text);
  });
  return answer(std::move(body), format);
}

Response summary(const Request& request, Stores& stores, Millis now) {
  const Params params(request, {"since", "until", "components", "metrics", "format"});
  const auto format = params.format({"json", "csv", "markdown"});
  const auto range = range_of(params, now, false);
  return answer(render_summary(summarize(stores.reader(), filter_of(params), range), range, format,
                               Sparklines::none),
                format);
}

Response issues(const Request& request, Stores& stores, Millis now) {
  const Params params(request, {"state", "components", "severity", "since"});
  IssueFilter filter;
  const auto state = params.get("state", "active");
  if (state == "active") filter.which = IssueFilter::Which::open;
  else if (state == "resolved") filter.which = IssueFilter::Which::resolved;
  else if (state == "all") filter.which = IssueFilter::Which::all;
  else throw Error(ErrorKind::usage, "invalid state '" + state + "'", "use active, resolved or all");
  filter.components = params.list("components");
  if (params.has("severity")) filter.severity = parse_severity(params.get("severity"));
  if (params.has("since")) filter.since = parse_time(params.get("since"), now);
  return answer(render_issues(list_issues(stores.reader(), filter), now, Format::json));
}

std::optional<std::size_t> max_bytes_of(const Params& params) {
  if (!params.has("max_bytes")) return std::nullopt;
  const auto bytes = parse_whole_number(params.get("max_bytes"));
  if (!bytes || *bytes <= 0)
    throw Error(ErrorKind::usage, "invalid max_bytes '" + params.get("max_bytes") + "'",
                "a whole number of bytes, such as 20000");
  return static_cast<std::size_t>(*bytes);
}

// The analyze views, as `healthctl analyze` gives them.
Response claude(const Request& request, const Route& route, Stores& stores, Millis clock) {
  const std::string view = route.view.substr(route.view.find('/') + 1); // claude/VIEW
  // incident-report tells the issue's whole story: no window of its own.
  std::vector<std::string> allowed{"max_bytes", "format"};
  if (view != "incident-report") allowed.insert(allowed.end(), {"since", "until", "baseline", "components"});
  if (view == "trends") allowed.push_back("period");
  if (view == "compare") allowed.push_back("current");
  const Params params(request, allowed);
  const auto format = params.format({"json", "markdown"});
  const auto max_bytes = max_bytes_of(params);
  const auto until = params.get("until");
  const auto now = window_end(until, clock, "until");
  if (view == "incident-report") {
    const auto id = parse_whole_number(route.target);
    if (!id || *id <= 0)
      throw Error(ErrorKind::usage, "invalid issue id '" + route.target + "'", "see " + std::string(k_health) + "issues");
    return answer(incident_document(stores.reader(), *id, now, format, max_bytes), format);
  }
  AnalyzeOptions options;
  options.now = now;
  options.window_ms = window_length(params.get("since", "24h"), "since", now, until, "until");
  options.baseline_ms = parse_duration(params.get("baseline", "7d"));
  options.components = params.list("components");
  if (view == "diagnose") {
    options.components = {route.target};
    options.history = true;
    return answer(diagnose_document(analyze(stores.reader(), options), route.target, format, max_bytes), format);
  }
  if (view == "trends") {
    options.window_ms = window_length(params.get("period", "24h"), "period", now, until, "until");
    options.baseline_ms = 0;
    return answer(trends_document(analyze(stores.reader(), options), format, max_bytes), format);
  }
  if (view == "compare") {
    options.window_ms = window_length(params.get("current", "24h"), "current", now, until, "until");
    return answer(compare_document(analyze(stores.reader(), options), format, max_bytes), format);
  }
  if (view == "recommendations")
    return answer(recommendations_document(analyze(stores.reader(), options), format, max_bytes), format);
  return answer(analysis_document(analyze(stores.reader(), options), format, max_bytes), format);
}

IngestFormat ingest_format(const Request& request, const Params& params) {
  const auto type = request.content_type.substr(0, request.content_type.find(';'));
  const auto name = params.get("format", type == "text/csv"                    ? "csv"
                                         : type == "text/tab-separated-values" ? "tsv"
                                                                               : "ndjson");
  if (name == "ndjson") return IngestFormat::ndjson;
  if (name == "csv") return IngestFormat::csv;
  if (name == "tsv") return IngestFormat::tsv;
  if (name == "prometheus") return IngestFormat::prometheus;
  if (name == "openmetrics") return IngestFormat::openmetrics;
  throw Error(ErrorKind::usage, "invalid format '" + name + "'", "use ndjson, csv, tsv, prometheus or openmetrics");
}

Response ingest_body(const std::string& body, IngestFormat format, Stores& stores, const ServeOptions& options,
                     Millis now) {
  IngestOptions ingest_options;
  ingest_options.format = format;
  ingest_options.default_node = options.default_node;
  ingest_options.now = now;
  std::istringstream in(body);
  const auto report = ingest(&stores.writer(), {IngestSource{"body", &in}}, ingest_options);
  auto out = answer(render_ingest_json(report));
  out.no_store = true;
  return out;
}

// POST record: one sample as an object, or an array of them, in ingest's
// NDJSON fields; ts may be left out (now).
Response record_body(const Request& request, Stores& stores, const ServeOptions& options, Millis now) {
  Params(request, {});
  if (json_too_deep(request.body))
    throw Error(ErrorKind::bad_data, "the body nests deeper than " + std::to_string(k_max_json_depth) + " levels");
  nlohmann::json samples;
  try {
    samples = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::bad_data, "the body is not JSON", "send an object, or an array of them");
  }
  if (samples.is_object()) samples = nlohmann::json::array({samples});
  if (!samples.is_array() || samples.empty())
    throw Error(ErrorKind::bad_data, "the body holds no sample", "send an object, or an array of them");
  std::string lines;
  for (auto& sample : samples) {
    if (!sample.is_object())
      throw Error(ErrorKind::bad_data, "a sample is not an object", R"(send {"component":..,"name":..,"value":..})");
    if (!sample.contains("ts") && !sample.contains("ts_ms")) sample["ts"] = "now";
    lines += sample.dump() + "\n";
  }
  return ingest_body(lines, IngestFormat::ndjson, stores, options, now);
}

Response write(const Request& request, const Route& route, Stores& stores, const ServeOptions& options, Millis now) {
  if (!options.allow_write)
    throw Error(ErrorKind::runtime, "writes are off", "start healthctl serve with --allow-write");
  if (route.endpoint == "record") return record_body(request, stores, options, now);
  const Params params(request, {"format"});
  return ingest_body(request.body, ingest_format(request, params), stores, options, now);
}

Response prometheus(const Request& request, Stores& stores, Millis now) {
  Params(request, {});
  Response out;
  out.content_type = "text/plain; version=0.0.4; charset=utf-8";
  out.body = render_prometheus(current_series(stores.reader(), {}, now));
  return out;
}

bool writes(const Route& route) { return route.endpoint == "ingest" || route.endpoint == "record"; }

Response dispatch(const Request& request, const Route& route, Stores& stores, const ServeOptions& options,
                  Millis now) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (writes(route) ? request.method != "POST" : !get) {
    auto out = error_response(405, "method " + request.method + " is not allowed here",
                              writes(route) ? "use POST" : "use GET or HEAD");
    out.headers.emplace_back("Allow", writes(route) ? "POST" : "GET, HEAD");
    return out;
  }
  if (route.endpoint == "metrics" || route.endpoint == "component") return metrics(request, route, stores);
  if (route.endpoint == "status") return status(request, route, stores, options, now);
  if (route.endpoint == "export") return export_range(request, stores, options, now);
  if (route.endpoint == "summary") return summary(request, stores, now);
  if (route.endpoint == "issues") return issues(request, stores, now);
  if (route.endpoint == "claude") return claude(request, route, stores, now);
  if (route.endpoint == "prometheus") return prometheus(request, stores, now);
  return write(request, route, stores, options, now);
}

int http_status(const Error& error, const Route& route) {
  switch (error.kind()) {
  case ErrorKind::usage: return 400;
  case ErrorKind::not_found: return 404;
  case ErrorKind::bad_data: return 422;
  case ErrorKind::busy: return 503;
  case ErrorKind::runtime: return writes(route) && std::string_view(error.what()) == "writes are off" ? 403 : 500;
  }
  return 500;
}

} // namespace

const std::vector<std::string>& endpoint_names() {
  static const std::vector<std::string> names{"metrics", "status", "component", "export", "summary",
                                              "issues",  "claude", "ingest",    "record", "prometheus"};
  return names;
}

Route route_of(const std::string& path) {
  const auto at = path.find(k_health);
  if (at == std::string::npos) {
    if (path == "/metrics" || (path.size() > 8 && path.compare(path.size() - 8, 8, "/metrics") == 0))
      return {"prometheus", "metrics", {}};
    if (path.size() >= 7 && path.compare(path.size() - 7, 7, "/health") == 0) return {"metrics", "", {}};
    return {};
  }
  std::string view = path.substr(at + k_health.size());
  while (!view.empty() && view.back() == '/') view.pop_back();
  const auto slash = view.find('/');
  const std::string head = view.substr(0, slash);
  const std::string rest = slash == std::string::npos ? "" : view.substr(slash + 1);
  if (view.empty() || view == "metrics") return {"metrics", view, {}};
  if (view == "status" || view == "status/summary") return {"status", view, {}};
  for (const char* name : {"export", "summary", "issues", "ingest", "record"})
    if (view == name) return {name, view, {}};
  if (head == "claude") {
    for (const char* name : {"analyze", "recommendations", "trends", "compare"})
      if (rest == name) return {"claude", view, {}};
    for (const char* name : {"diagnose/", "incident-report/"}) {
      const std::string prefix(name);
      if (rest.size() > prefix.size() && rest.compare(0, prefix.size(), prefix) == 0 &&
          rest.find('/', prefix.size()) == std::string::npos)
        return {"claude", "claude/" + prefix.substr(0, prefix.size() - 1), rest.substr(prefix.size())};
    }
    return {};
  }
  if (rest.empty()) return {"component", view, head};
  if (rest == "status") return {"status", "component/status", head};
  return {};
}

Response error_response(int status, const std::string& error, const std::string& hint) {
  nlohmann::ordered_json body{{"error", error}};
  if (!hint.empty()) body["hint"] = hint;
  Response out;
  out.status = status;
  out.content_type = "application/json; charset=utf-8";
  // (a path or parameter quoted in the error may hold any bytes)
  out.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  out.no_store = true;
  out.error = true;
  if (status == 503) out.headers.emplace_back("Retry-After", "1");
  return out;
}

Response respond(const Request& request, const Route& route, Stores& stores, const ServeOptions& options,
                 Millis now) {
  if (route.endpoint.empty())
    return error_response(404, "no endpoint at " + request.path,
                          "see healthctl-serve(1): the endpoints are under /health/ and /metrics");
  stores.bound(std::chrono::steady_clock::now() + std::chrono::milliseconds(options.query_timeout));
  Response out;
  try {
    out = dispatch(request, route, stores, options, now);
  } catch (const Error& error) {
    out = error_response(http_status(error, route), error.what(), error.hint());
  } catch (const std::exception&) {
    out = error_response(500, "the request failed", "see the server's log");
  }
  stores.bound(std::nullopt);
  return out;
}

// ---- Stores ----

Stores::Stores(const ServeOptions& options) : m_options(options) {}

namespace {

Stores::FileId file_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {0, 0};
  return {static_cast<unsigned long>(info.st_dev), static_cast<unsigned long>(info.st_ino)};
}

} // namespace

Store& Stores::open(std::optional<Store>& store, FileId& opened_on, OpenMode mode) {
  const auto file = file_of(m_options.database);
  if (!store || file != opened_on) {
    store.reset();
    // A request waits for a lock no longer than its own time limit.
    store = Store::open({m_options.database, mode, std::min(m_options.busy_timeout, m_options.query_timeout)});
    opened_on = file;
  }
  store->set_deadline(m_deadline);
  return *store;
}

Store& Stores::reader() { return open(m_reader, m_reader_file, OpenMode::read_only); }
Store& Stores::writer() { return open(m_writer, m_writer_file, OpenMode::read_write); }

void Stores::bound(std::optional<std::chrono::steady_clock::time_point> deadline) {
  m_deadline = deadline;
  if (!deadline) {
    if (m_reader) m_reader->set_deadline(std::nullopt);
    if (m_writer) m_writer->set_deadline(std::nullopt);
  }
}

} // namespace health::http
