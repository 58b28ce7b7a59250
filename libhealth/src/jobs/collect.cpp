// collect: the host's figures from /proc and statvfs, in one transaction
// (collect.hpp). Everything is read first, then written at one time.

#include <health/collect.hpp>

#include <health/error.hpp>
#include <health/host.hpp>
#include <health/recorder.hpp>

#include "record/running_totals.hpp"
#include "store/sqlite.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

namespace health {

namespace {

// One figure read: a gauge's value, or a counter's running total.
struct Reading {
  SeriesSpec spec;
  double value = 0;
};

// What one collection read, before anything is written.
struct Readings {
  std::vector<Reading> gauges;
  std::vector<Reading> totals;
  std::optional<double> uptime; // seconds since boot, when /proc/uptime says
};

// The text of `path`, or nullopt when it cannot be read. /proc files say
// they are empty, so the file is read to its end rather than by its size.
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

// The text of a file collect cannot do without.
std::string required_text(const std::string& path) {
  auto text = read_text(path);
  if (!text) throw Error(ErrorKind::runtime, "cannot read " + path, "collect reads Linux's /proc");
  return *text;
}

template <typename T> T required(std::optional<T> value, const std::string& path) {
  if (!value) throw Error(ErrorKind::runtime, path + " is not in the form Linux writes", "collect reads Linux's /proc");
  return *value;
}

class Collector {
public:
  explicit Collector(const CollectOptions& options) : m_options(options) {}

  void gauge(std::string name, double value, const char* unit, Labels labels = {}) {
    add(m_readings.gauges, MetricType::gauge, std::move(name), value, unit, std::move(labels));
  }
  void total(std::string name, double value, const char* unit, Labels labels = {}) {
    add(m_readings.totals, MetricType::counter, std::move(name), value, unit, std::move(labels));
  }
  std::string path(const char* file) const { return m_options.proc_root + "/" + file; }
  Readings& readings() { return m_readings; }

private:
  // A reading whose series cannot be named (a mount point with a control
  // character, say) is left out rather than failing the collection.
  void add(std::vector<Reading>& into, MetricType type, std::string name, double value, const char* unit,
           Labels labels) {
    Reading reading;
    reading.spec.key = {m_options.node, m_options.component, std::move(name), std::move(labels)};
    reading.spec.type = type;
    reading.spec.unit = unit;
    reading.value = value;
    if (normalize_labels(reading.spec.key.labels) || spec_problem(reading.spec)) return;
    into.push_back(std::move(reading));
  }

  const CollectOptions& m_options;
  Readings m_readings;
};

void read_cpu_and_memory(Collector& c, double ticks_per_second) {
  const auto stat = c.path("stat"), meminfo = c.path("meminfo"), loadavg = c.path("loadavg");
  const auto cpu = required(host::parse_stat(required_text(stat)), stat);
  c.total("cpu_busy_seconds", static_cast<double>(cpu.busy) / ticks_per_second, "s");
  c.total("cpu_iowait_seconds", static_cast<double>(cpu.iowait) / ticks_per_second, "s");
  c.total("cpu_idle_seconds", static_cast<double>(cpu.idle) / ticks_per_second, "s");
  const auto load = required(host::parse_loadavg(required_text(loadavg)), loadavg);
  c.gauge("load_1m", load.one, "");
  c.gauge("load_5m", load.five, "");
  c.gauge("load_15m", load.fifteen, "");
  const auto memory = required(host::parse_meminfo(required_text(meminfo)), meminfo);
  c.gauge("memory_used_bytes", static_cast<double>(memory.total - std::min(memory.total, memory.available)), "bytes");
  c.gauge("memory_available_bytes", static_cast<double>(memory.available), "bytes");
  c.gauge("swap_used_bytes", static_cast<double>(memory.swap_total - std::min(memory.swap_total, memory.swap_free)),
          "bytes");
}

// Used percent as df counts it (of the space unprivileged users may have),
// and the bytes still available to them; a mount statvfs cannot read (gone
// since /proc listed it, or not ours to see) is left out.
void read_filesystems(Collector& c) {
  const auto text = read_text(c.path("mounts"));
  if (!text) return;
  for (const auto& mount : host::space_mounts(host::parse_mounts(*text))) {
    struct statvfs fs {};
    if (::statvfs(mount.point.c_str(), &fs) != 0 || fs.f_blocks == 0) continue;
    const double used = static_cast<double>(fs.f_blocks - fs.f_bfree);
    const double usable = used + static_cast<double>(fs.f_bavail);
    const double unit = static_cast<double>(fs.f_frsize);
    c.gauge("filesystem_used_percent", usable > 0 ? 100.0 * used / usable : 0.0, "percent", {{"mount", mount.point}});
    c.gauge("filesystem_free_bytes", static_cast<double>(fs.f_bavail) * unit, "bytes", {{"mount", mount.point}});
  }
}

void read_devices(Collector& c) {
  if (const auto text = read_text(c.path("diskstats")))
    for (const auto& disk : host::parse_diskstats(*text)) {
      c.total("disk_read_bytes", static_cast<double>(disk.in), "bytes", {{"device", disk.name}});
      c.total("disk_written_bytes", static_cast<double>(disk.out), "bytes", {{"device", disk.name}});
    }
  if (const auto text = read_text(c.path("net/dev")))
    for (const auto& interface : host::parse_net_dev(*text)) {
      c.total("network_received_bytes", static_cast<double>(interface.in), "bytes", {{"interface", interface.name}});
      c.total("network_transmitted_bytes", static_cast<double>(interface.out), "bytes",
              {{"interface", interface.name}});
    }
}

void read_processes(Collector& c, const CollectOptions& options) {
  std::error_code error;
  std::uint64_t processes = 0;
  for (std::filesystem::directory_iterator it(options.proc_root, error), end; !error && it != end;
       it.increment(error))
    if (host::is_process_entry(it->path().filename().string())) ++processes;
  if (!error) c.gauge("processes", static_cast<double>(processes), "count");
  if (const auto text = read_text(c.path("sys/fs/file-nr")))
    if (const auto open = host::parse_file_nr(*text)) c.gauge("open_files", static_cast<double>(*open), "count");
  if (const auto text = read_text(c.path("uptime")))
    if (const auto uptime = host::parse_uptime(*text)) {
      c.gauge("uptime_seconds", *uptime, "s");
      c.readings().uptime = uptime;
    }
}

// The database's own size and its WAL's, under component healthctl.
void read_database(Readings& readings, const Store& store, const std::string& node) {
  for (const auto& [name, file] :
       {std::pair{"database_bytes", store.path()}, {"database_wal_bytes", store.path() + "-wal"}}) {
    std::error_code error;
    const auto size = std::filesystem::file_size(file, error);
    Reading reading;
    reading.spec.key = {node, "healthctl", name, {}};
    reading.spec.type = MetricType::gauge;
    reading.spec.unit = "bytes";
    reading.value = error ? 0.0 : static_cast<double>(size);
    readings.gauges.push_back(std::move(reading));
  }
}

Readings read_host(const Store& store, const CollectOptions& options) {
  const long ticks = options.clock_ticks > 0 ? options.clock_ticks : ::sysconf(_SC_CLK_TCK);
  Collector collector(options);
  read_cpu_and_memory(collector, static_cast<double>(ticks > 0 ? ticks : 100));
  read_filesystems(collector);
  read_devices(collector);
  read_processes(collector, options);
  read_database(collector.readings(), store, options.node);
  return std::move(collector.readings());
}

// Records the CPU's busy and iowait percent over the interval since the last
// run: from the increments of its three counters, when all three have one.
bool record_cpu_percent(Recorder& recorder, const CollectOptions& options, Millis at,
                        const std::vector<std::pair<std::string, TotalTaken>>& cpu) {
  double busy = 0, iowait = 0, all = 0;
  for (const auto& [name, taken] : cpu) {
    if (taken.outcome != TotalTaken::Outcome::recorded) return false;
    if (name == "cpu_busy_seconds") busy = taken.increment;
    if (name == "cpu_iowait_seconds") iowait = taken.increment;
    all += taken.increment;
  }
  if (cpu.size() != 3 || all <= 0) return false;
  for (const auto& [name, value] : {std::pair{"cpu_busy_percent", busy}, {"cpu_iowait_percent", iowait}}) {
    SeriesSpec spec{{options.node, options.component, name, {}}, MetricType::gauge, "percent"};
    recorder.insert(recorder.series_id(spec), {at, std::clamp(100.0 * value / all, 0.0, 100.0), {}});
  }
  return true;
}

// How collect's counters are taken when one goes down: a restart when the
// host booted since the last total (or the total fell under half of it),
// else jitter (iowait in /proc/stat can decrease).
Decreases host_decreases(const Readings& readings, Millis at) {
  Decreases decreases{Decreases::Rule::restart_or_jitter, std::nullopt};
  if (readings.uptime) decreases.source_started = at - static_cast<Millis>(*readings.uptime * k_second_ms);
  return decreases;
}

} // namespace

CollectReport collect_host(Store& store, const CollectOptions& options) {
  const auto readings = read_host(store, options);
  CollectReport report;
  report.at = options.now != 0 ? options.now : now_ms();
  sqlite::Transaction transaction(store.handle(), sqlite::TransactionKind::immediate);
  Recorder recorder(store);
  RunningTotals totals(store, recorder, host_decreases(readings, report.at));
  for (const auto& reading : readings.gauges)
    recorder.insert(recorder.series_id(reading.spec), {report.at, reading.value, {}});
  report.samples = readings.gauges.size();
  std::vector<std::pair<std::string, TotalTaken>> cpu;
  for (const auto& reading : readings.totals) {
    const auto taken = totals.add(recorder.series_id(reading.spec), report.at, reading.value);
    if (taken.outcome == TotalTaken::Outcome::recorded) ++report.samples;
    if (taken.outcome == TotalTaken::Outcome::started) ++report.counters_started;
    if (reading.spec.key.name.rfind("cpu_", 0) == 0) cpu.emplace_back(reading.spec.key.name, taken);
  }
  report.cpu_percent = record_cpu_percent(recorder, options, report.at, cpu);
  if (report.cpu_percent) report.samples += 2;
  report.series = readings.gauges.size() + readings.totals.size() + (report.cpu_percent ? 2 : 0);
  totals.save();
  recorder.write_counts();
  transaction.commit();
  return report;
}

} // namespace health
