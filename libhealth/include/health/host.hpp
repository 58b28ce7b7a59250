#pragma once
// The host's own figures as Linux's /proc tells them: pure parsers of the
// text of /proc files, no I/O. collect (collect.hpp) reads the files and
// records what these return. Each parser skips a line it cannot read rather
// than failing the whole file; one that needs a line it did not find returns
// nullopt.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace health::host {

// The first line of /proc/stat ("cpu ..."): the time all CPUs together
// spent, in clock ticks (USER_HZ). `busy` is user, nice, system, irq,
// softirq and steal (guest time is inside user already); `iowait` and
// `idle` the rest.
struct CpuTicks {
  std::uint64_t busy = 0;
  std::uint64_t iowait = 0;
  std::uint64_t idle = 0;
};
std::optional<CpuTicks> parse_stat(std::string_view text);

// /proc/loadavg: the load averages over 1, 5 and 15 minutes.
struct LoadAverage {
  double one = 0;
  double five = 0;
  double fifteen = 0;
};
std::optional<LoadAverage> parse_loadavg(std::string_view text);

// /proc/meminfo, in bytes: nullopt without MemTotal or MemAvailable (Linux
// 3.14 and later). Swap is 0 when the file has no swap lines.
struct Memory {
  std::uint64_t total = 0;
  std::uint64_t available = 0;
  std::uint64_t swap_total = 0;
  std::uint64_t swap_free = 0;
};
std::optional<Memory> parse_meminfo(std::string_view text);

// One line of /proc/mounts, its octal escapes (\040 for a space) undone.
struct Mount {
  std::string source;
  std::string point;
  std::string type;
};
std::vector<Mount> parse_mounts(std::string_view text);

// Whether filesystems of `type` hold no disk space of their own (proc,
// sysfs, tmpfs, cgroup, ...; healthctl-collect(1) lists them), or live on
// another host (nfs, cifs, fuse.*: statvfs may hang on them).
bool is_skipped_filesystem(std::string_view type);

// The mounts whose space collect reports: not of a skipped type, and each
// source device once, at its first mount point (bind mounts show the same
// space again).
std::vector<Mount> space_mounts(const std::vector<Mount>& mounts);

// Bytes a device or interface moved since the kernel started counting.
struct DeviceBytes {
  std::string name;
  std::uint64_t in = 0;  // read from a disk, received by an interface
  std::uint64_t out = 0; // written to a disk, sent by an interface
};

// /proc/diskstats of whole disks: partitions (another device's name and
// digits, sda1; or, when that name ends in a digit, "p" and digits,
// nvme0n1p1, so md127 is a disk beside md1), loop, ram, zram and
// device-mapper (dm-*, whose I/O is counted again on its disks) are left
// out. Sectors are 512 bytes whatever the device's own sector size.
std::vector<DeviceBytes> parse_diskstats(std::string_view text);

// /proc/net/dev, every interface but lo.
std::vector<DeviceBytes> parse_net_dev(std::string_view text);

// /proc/sys/fs/file-nr: file handles allocated and not free.
std::optional<std::uint64_t> parse_file_nr(std::string_view text);

// /proc/uptime: seconds since boot.
std::optional<double> parse_uptime(std::string_view text);

// Whether `name`, an entry of /proc, is a process (all digits).
bool is_process_entry(std::string_view name);

} // namespace health::host
