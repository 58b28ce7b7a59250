// The /proc parsers of host.hpp: real content captured from a Linux host
// (the fixtures of tests/unit/jobs/fixtures/proc) and hand-made variants:
// partitions and virtual disks, pseudo filesystems, malformed lines.

#include <health/host.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::string fixture(const std::string& file) {
  std::ifstream in(std::string(HOST_FIXTURES) + "/proc/" + file);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

using namespace health::host;

TEST_CASE("host: the cpu line of a real /proc/stat splits into busy, iowait and idle ticks") {
  const auto cpu = parse_stat(fixture("stat"));
  REQUIRE(cpu);
  // cpu  2413934 5114 1126388 2133230 9263 0 7498 0 0 0
  CHECK(cpu->busy == 2413934 + 5114 + 1126388 + 0 + 7498 + 0);
  CHECK(cpu->iowait == 9263);
  CHECK(cpu->idle == 2133230);
}

TEST_CASE("host: a /proc/stat without a readable cpu line gives nothing") {
  CHECK_FALSE(parse_stat(""));
  CHECK_FALSE(parse_stat("cpu0 1 2 3 4 5\nintr 5\n"));
  CHECK_FALSE(parse_stat("cpu  12 x 4 5 6 7 8\n"));
  CHECK_FALSE(parse_stat("cpu  1 2\n"));
  // An old kernel's four fields: no iowait.
  const auto old = parse_stat("cpu  10 20 30 40\n");
  REQUIRE(old);
  CHECK(old->busy == 60);
  CHECK(old->idle == 40);
}

TEST_CASE("host: load averages and memory of real files read in bytes") {
  const auto load = parse_loadavg(fixture("loadavg"));
  REQUIRE(load);
  CHECK(load->one == Approx(4.57));
  CHECK(load->fifteen == Approx(3.19));
  const auto memory = parse_meminfo(fixture("meminfo"));
  REQUIRE(memory);
  CHECK(memory->total > memory->available);
  CHECK(memory->total % 1024 == 0);
  CHECK_FALSE(parse_loadavg("4.57 x 3.19 5/113 27179\n"));
  CHECK_FALSE(parse_meminfo("MemTotal: 100 kB\nMemFree: 5 kB\n")); // no MemAvailable
  const auto no_swap = parse_meminfo("MemTotal: 100 kB\nMemAvailable: 40 kB\nbroken line\nSwapTotal: x kB\n");
  REQUIRE(no_swap);
  CHECK(no_swap->total == 102400);
  CHECK(no_swap->available == 40960);
  CHECK(no_swap->swap_total == 0);
}

TEST_CASE("host: pseudo filesystems and bind mounts are skipped, escapes undone") {
  const auto mounts = space_mounts(parse_mounts(fixture("mounts")));
  REQUIRE(mounts.size() == 2);
  CHECK(mounts[0].point == "/");
  CHECK(mounts[0].type == "ext4");
  CHECK(mounts[1].point == "/srv/no such mount"); // \040 is a space
  for (const char* type : {"proc", "sysfs", "tmpfs", "devtmpfs", "cgroup", "cgroup2", "nfs4", "fuse.sshfs", "squashfs"})
    CHECK(is_skipped_filesystem(type));
  for (const char* type : {"ext4", "xfs", "btrfs", "zfs", "overlay", "vfat"}) CHECK_FALSE(is_skipped_filesystem(type));
  CHECK(parse_mounts("short line\nnone relative ext4 rw 0 0\n").empty());
}

TEST_CASE("host: diskstats keeps whole disks only, in bytes") {
  const auto real = parse_diskstats(fixture("diskstats"));
  REQUIRE(real.size() == 1); // loop0-7 and zram0 left out
  CHECK(real[0].name == "vda");
  CHECK(real[0].in == 41053186ull * 512);
  CHECK(real[0].out == 156385752ull * 512);
  const auto disks = parse_diskstats("   8 0 sda 1 0 10 0 1 0 20 0 0 0 0\n"
                                     "   8 1 sda1 1 0 8 0 1 0 16 0 0 0 0\n"
                                     " 259 0 nvme0n1 1 0 30 0 1 0 40 0 0 0 0\n"
                                     " 259 1 nvme0n1p1 1 0 30 0 1 0 40 0 0 0 0\n"
                                     " 179 0 mmcblk0 1 0 5 0 1 0 6 0 0 0 0\n"
                                     " 179 1 mmcblk0p2 1 0 5 0 1 0 6 0 0 0 0\n"
                                     " 253 0 dm-0 1 0 5 0 1 0 6 0 0 0 0\n"
                                     "   1 0 ram0 1 0 5 0 1 0 6 0 0 0 0\n"
                                     "   8 16 sdb 1 0 x 0 1 0 6 0 0 0 0\n"
                                     "   8 32 sdc 1 0 5\n");
  REQUIRE(disks.size() == 3);
  CHECK(disks[0].name == "sda");
  CHECK(disks[0].in == 10 * 512);
  CHECK(disks[0].out == 20 * 512);
  CHECK(disks[1].name == "nvme0n1");
  CHECK(disks[2].name == "mmcblk0");
}

TEST_CASE("host: a disk whose name ends in a digit has partitions named with p, so md127 and nbd10 are disks") {
  const auto disks = parse_diskstats("   9 1 md1 1 0 10 0 1 0 20 0 0 0 0\n"
                                     " 259 2 md1p1 1 0 10 0 1 0 20 0 0 0 0\n"
                                     "   9 127 md127 1 0 10 0 1 0 20 0 0 0 0\n"
                                     "  43 1 nbd1 1 0 10 0 1 0 20 0 0 0 0\n"
                                     "  43 10 nbd10 1 0 10 0 1 0 20 0 0 0 0\n"
                                     " 259 0 nvme0n1 1 0 30 0 1 0 40 0 0 0 0\n"
                                     " 259 3 nvme0n12 1 0 30 0 1 0 40 0 0 0 0\n"
                                     " 252 0 vdb 1 0 5 0 1 0 6 0 0 0 0\n"
                                     " 252 2 vdb2 1 0 5 0 1 0 6 0 0 0 0\n"
                                     " 252 16 vdbp1 1 0 5 0 1 0 6 0 0 0 0\n");
  std::vector<std::string> names;
  for (const auto& disk : disks) names.push_back(disk.name);
  // nvme0n12 is namespace 12 of nvme0, not a partition of nvme0n1; vdbp1 is
  // no name Linux gives a partition of vdb.
  CHECK(names == std::vector<std::string>{"md1", "md127", "nbd1", "nbd10", "nvme0n1", "nvme0n12", "vdb", "vdbp1"});
}

TEST_CASE("host: net/dev gives each interface but lo its bytes received and sent") {
  const auto interfaces = parse_net_dev(fixture("net/dev"));
  REQUIRE(interfaces.size() == 3); // ifb0, ifb1, eth0
  CHECK(interfaces[2].name == "eth0");
  CHECK(interfaces[2].in == 167125185);
  CHECK(interfaces[2].out == 406900);
  const auto odd = parse_net_dev("Inter-|   Receive\n"
                                 "wlan0:12 1 0 0 0 0 0 0 34 1 0 0 0 0 0 0\n"
                                 "  bad: 1 2 3\n"
                                 "  eth1: x 1 0 0 0 0 0 0 34 1 0 0 0 0 0 0\n");
  REQUIRE(odd.size() == 1);
  CHECK(odd[0].name == "wlan0");
  CHECK(odd[0].in == 12);
  CHECK(odd[0].out == 34);
}

TEST_CASE("host: file handles, uptime and process entries") {
  CHECK(parse_file_nr(fixture("sys/fs/file-nr")) == 713u);
  CHECK(parse_file_nr("900\t100\t5000\n") == 800u);
  CHECK_FALSE(parse_file_nr("10 20 30\n"));
  CHECK_FALSE(parse_file_nr("ten\n"));
  CHECK(parse_uptime(fixture("uptime")) == Approx(28547.61));
  CHECK_FALSE(parse_uptime(""));
  CHECK_FALSE(parse_uptime("-5 3\n"));
  CHECK(is_process_entry("1"));
  CHECK(is_process_entry("31337"));
  CHECK_FALSE(is_process_entry("self"));
  CHECK_FALSE(is_process_entry("1a"));
  CHECK_FALSE(is_process_entry(""));
}
