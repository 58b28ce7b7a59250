// Parsers of /proc text (host.hpp): pure functions, no I/O.

#include <health/host.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

namespace health::host {

namespace {

// The lines of `text`, one at a time.
class Lines {
public:
  explicit Lines(std::string_view text) : m_rest(text) {}
  bool next(std::string_view& line) {
    if (m_rest.empty()) return false;
    const auto end = m_rest.find('\n');
    line = m_rest.substr(0, end);
    m_rest = end == std::string_view::npos ? std::string_view{} : m_rest.substr(end + 1);
    return true;
  }

private:
  std::string_view m_rest;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The whitespace-separated fields of `line`.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    const auto start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<std::uint64_t> whole(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> real(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// /proc/mounts escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool octal = text[i] == '\\' && i + 3 < text.size() &&
                       std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                   text.begin() + static_cast<std::ptrdiff_t>(i) + 4,
                                   [](char c) { return c >= '0' && c <= '7'; });
    if (octal) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool starts_with(std::string_view text, std::string_view start) { return text.substr(0, start.size()) == start; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whether `name` is a partition of `disk` as Linux names them: `disk` and
// digits (sda1, vdb2), or, for a disk whose name ends in a digit, `disk`,
// "p" and digits (nvme0n1p1, mmcblk0p1, md1p1); md127 is no partition of md1.
bool is_partition_of(std::string_view name, std::string_view disk) {
  if (disk.empty() || name.size() <= disk.size() || !starts_with(name, disk)) return false;
  auto rest = name.substr(disk.size());
  if (is_digit(disk.back())) {
    if (rest.size() < 2 || rest.front() != 'p') return false;
    rest.remove_prefix(1);
  }
  return std::all_of(rest.begin(), rest.end(), is_digit);
}

bool is_virtual_disk(std::string_view name) {
  return starts_with(name, "loop") || starts_with(name, "ram") || starts_with(name, "zram") ||
         starts_with(name, "dm-");
}

} // namespace

std::optional<CpuTicks> parse_stat(std::string_view text) {
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const auto f = fields(line);
    if (f.empty() || f[0] != "cpu") continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice]
    std::array<std::uint64_t, 8> ticks{};
    if (f.size() < 5) return std::nullopt;
    for (std::size_t i = 0; i < ticks.size() && i + 1 < f.size(); ++i) {
      const auto value = whole(f[i + 1]);
      if (!value) return std::nullopt;
      ticks[i] = *value;
    }
    return CpuTicks{ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7], ticks[4], ticks[3]};
  }
  return std::nullopt;
}

std::optional<LoadAverage> parse_loadavg(std::string_view text) {
  const auto f = fields(text.substr(0, text.find('\n')));
  if (f.size() < 3) return std::nullopt;
  const auto one = real(f[0]), five = real(f[1]), fifteen = real(f[2]);
  if (!one || !five || !fifteen) return std::nullopt;
  return LoadAverage{*one, *five, *fifteen};
}

std::optional<Memory> parse_meminfo(std::string_view text) {
  std::optional<std::uint64_t> total, available, swap_total, swap_free;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const auto f = fields(line);
    if (f.size() < 2) continue;
    auto value = whole(f[1]);
    if (!value) continue;
    if (f.size() >= 3 && f[2] == "kB") *value *= 1024;
    if (f[0] == "MemTotal:") total = value;
    else if (f[0] == "MemAvailable:") available = value;
    else if (f[0] == "SwapTotal:") swap_total = value;
    else if (f[0] == "SwapFree:") swap_free = value;
  }
  if (!total || !available) return std::nullopt;
  return Memory{*total, *available, swap_total.value_or(0), swap_free.value_or(0)};
}

std::vector<Mount> parse_mounts(std::string_view text) {
  std::vector<Mount> out;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const auto f = fields(line);
    if (f.size() < 3 || f[1].front() != '/') continue;
    out.push_back({unescape_octal(f[0]), unescape_octal(f[1]), std::string(f[2])});
  }
  return out;
}

bool is_skipped_filesystem(std::string_view type) {
  static const std::set<std::string_view, std::less<>> k_skipped{
      "autofs",  "binfmt_misc", "bpf",      "cgroup",      "cgroup2",    "configfs", "debugfs",
      "devpts",  "devtmpfs",    "efivarfs", "fusectl",     "hugetlbfs",  "mqueue",   "nsfs",
      "proc",    "pstore",      "ramfs",    "rpc_pipefs",  "securityfs", "squashfs", "sysfs",
      "tmpfs",   "tracefs",     "nfs",      "nfs4",        "cifs",       "smb3",     "9p",
      "fuse",    "sshfs",       "ceph",     "glusterfs",   "iso9660",    "selinuxfs"};
  return k_skipped.count(type) != 0 || starts_with(type, "fuse.");
}

std::vector<Mount> space_mounts(const std::vector<Mount>& mounts) {
  std::vector<Mount> out;
  std::set<std::string> sources;
  for (const auto& mount : mounts) {
    if (is_skipped_filesystem(mount.type)) continue;
    // A device shows the same space wherever it is mounted; "none" or
    // "overlay" name no device, so each of their mounts counts.
    if (starts_with(mount.source, "/dev/") && !sources.insert(mount.source).second) continue;
    out.push_back(mount);
  }
  return out;
}

std::vector<DeviceBytes> parse_diskstats(std::string_view text) {
  // major minor name reads merged sectors_read ms writes merged sectors_written ...
  std::vector<DeviceBytes> all;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const auto f = fields(line);
    if (f.size() < 10) continue;
    const auto read = whole(f[5]), written = whole(f[9]);
    if (!read || !written || is_virtual_disk(f[2])) continue;
    all.push_back({std::string(f[2]), *read * 512, *written * 512});
  }
  std::vector<DeviceBytes> out;
  for (const auto& device : all) {
    const bool partition = std::any_of(all.begin(), all.end(), [&](const DeviceBytes& disk) {
      return is_partition_of(device.name, disk.name);
    });
    if (!partition) out.push_back(device);
  }
  return out;
}

std::vector<DeviceBytes> parse_net_dev(std::string_view text) {
  // "  eth0: rx_bytes packets errs drop fifo frame compressed multicast tx_bytes ..."
  std::vector<DeviceBytes> out;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto names = fields(line.substr(0, colon));
    const auto f = fields(line.substr(colon + 1));
    if (names.size() != 1 || names[0] == "lo" || f.size() < 9) continue;
    const auto received = whole(f[0]), sent = whole(f[8]);
    if (!received || !sent) continue;
    out.push_back({std::string(names[0]), *received, *sent});
  }
  return out;
}

std::optional<std::uint64_t> parse_file_nr(std::string_view text) {
  const auto f = fields(text.substr(0, text.find('\n')));
  if (f.size() < 2) return std::nullopt;
  const auto allocated = whole(f[0]), free = whole(f[1]);
  if (!allocated || !free || *free > *allocated) return std::nullopt;
  return *allocated - *free;
}

std::optional<double> parse_uptime(std::string_view text) {
  const auto f = fields(text.substr(0, text.find('\n')));
  if (f.empty()) return std::nullopt;
  const auto seconds = real(f[0]);
  if (!seconds || *seconds < 0) return std::nullopt;
  return seconds;
}

bool is_process_entry(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace health::host
