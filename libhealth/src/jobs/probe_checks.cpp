// The checks of tcp, exec, file and sqlite probes.

#include <health/probe_run.hpp>

#include <health/error.hpp>
#include <health/format.hpp>
#include <health/perfdata.hpp>
#include <health/process.hpp>
#include <health/range.hpp>
#include <health/sql.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace health {

namespace {

using Clock = std::chrono::steady_clock;

Millis left_until(Clock::time_point deadline) {
  return std::max<Millis>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
}

ProbeOutcome failed(ProbeResult result, std::string message, Clock::time_point start) {
  return {result, std::move(message), elapsed_ms(start), {}};
}

class Socket {
public:
  explicit Socket(int fd) : m_fd(fd) {}
  ~Socket() {
    if (m_fd >= 0) ::close(m_fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return m_fd; }

private:
  int m_fd;
};

// Connects to one address before `deadline`: 0, or the errno of the failure
// (ETIMEDOUT at the deadline).
int connect_before(const addrinfo& address, Clock::time_point deadline) {
  Socket socket(::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         address.ai_protocol));
  if (socket.fd() < 0) return errno;
  if (::connect(socket.fd(), address.ai_addr, address.ai_addrlen) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd wait{socket.fd(), POLLOUT, 0};
  for (;;) {
    const int ready = ::poll(&wait, 1, static_cast<int>(std::min<Millis>(left_until(deadline), INT32_MAX)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ready == 0 ? ETIMEDOUT : errno;
    break;
  }
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
  return error;
}

ProbeOutcome check_tcp(const ProbeSpec& spec, Millis timeout) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeout);
  const auto colon = spec.target.rfind(':');
  std::string host = spec.target.substr(0, colon);
  const std::string port = spec.target.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return failed(ProbeResult::critical, "cannot resolve " + host + ": " + ::gai_strerror(rc), start);
  int error = ENOENT;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    error = connect_before(*address, deadline);
    if (error == 0 || error == ETIMEDOUT) break;
  }
  ::freeaddrinfo(found);
  if (error == ETIMEDOUT)
    return failed(ProbeResult::critical, "no connection to " + spec.target + " within " + format_duration(timeout),
                  start);
  if (error != 0)
    return failed(ProbeResult::critical, "cannot connect to " + spec.target + ": " + std::strerror(error), start);
  const double latency = elapsed_ms(start);
  return {ProbeResult::ok, "connected to " + spec.target + " in " + display_number(round_significant(latency, 3)) +
                               " ms",
          latency, {}};
}

ProbeOutcome check_file(const ProbeSpec& spec) {
  const auto start = Clock::now();
  struct stat info {};
  if (::stat(spec.target.c_str(), &info) != 0)
    return failed(ProbeResult::critical, spec.target + ": " + std::strerror(errno), start);
  if (S_ISDIR(info.st_mode)) return failed(ProbeResult::critical, spec.target + " is a folder", start);
  const Millis modified = static_cast<Millis>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
  const Millis age = std::max<Millis>(0, now_ms() - modified);
  const std::string age_text = format_duration(age / 1000 * 1000);
  if (spec.max_age && age > *spec.max_age)
    return failed(ProbeResult::critical,
                  spec.target + " is " + age_text + " old, more than " + format_duration(*spec.max_age), start);
  if (spec.min_size && info.st_size < *spec.min_size)
    return failed(ProbeResult::critical,
                  spec.target + " holds " + std::to_string(info.st_size) + " bytes, fewer than " +
                      std::to_string(*spec.min_size),
                  start);
  ProbeOutcome out{ProbeResult::ok,
                   spec.target + " is " + age_text + " old, " + std::to_string(info.st_size) + " bytes",
                   elapsed_ms(start),
                   {{"age_s", static_cast<double>(age) / 1000.0, "s"},
                    {"size_bytes", static_cast<double>(info.st_size), "bytes"}}};
  return out;
}

ProbeOutcome check_sqlite(const ProbeSpec& spec, Millis timeout) {
  const auto start = Clock::now();
  double value = 0;
  try {
    value = query_number(spec.target, spec.query, timeout);
  } catch (const Error& error) {
    const bool down = error.kind() == ErrorKind::not_found || error.kind() == ErrorKind::busy;
    return failed(down ? ProbeResult::critical : ProbeResult::unknown, error.what(), start);
  }
  ProbeOutcome out{ProbeResult::ok, "value " + display_number(value), elapsed_ms(start), {{"value", value, ""}}};
  const auto breach = [&](const std::string& range_text, ProbeResult result) {
    if (range_text.empty() || out.result != ProbeResult::ok) return;
    const auto range = AlertRange::parse(range_text);
    if (!range.alerts(value)) return;
    out.result = result;
    out.message = "value " + display_number(value) + " " + range.describe();
  };
  breach(spec.crit_range, ProbeResult::critical);
  breach(spec.warn_range, ProbeResult::warning);
  return out;
}

// A monitoring plugin: its exit status grades it, its first line is the
// message, its performance data becomes series. Its stdin is empty; what it
// prints past 64 KiB is read and dropped.
ProbeOutcome check_exec(const ProbeSpec& spec, Millis timeout) {
  ProcessSpec process;
  process.command = spec.target;
  process.timeout = timeout;
  process.child_stdout = ChildStdout::capture;
  process.output_limit = 64 * 1024;
  const ProcessOutcome outcome = run_process(process);
  const auto latency = static_cast<double>(outcome.elapsed);
  switch (outcome.kind) {
  case ProcessOutcome::Kind::timed_out:
    return {ProbeResult::critical, "no answer within " + format_duration(timeout) + ": the plugin was killed",
            latency, {}};
  case ProcessOutcome::Kind::signaled:
    return {ProbeResult::unknown, "the plugin was killed by signal " + std::to_string(outcome.signal_number),
            latency, {}};
  case ProcessOutcome::Kind::not_started:
  case ProcessOutcome::Kind::lost: return {ProbeResult::unknown, "cannot run the plugin: " + outcome.error, latency, {}};
  case ProcessOutcome::Kind::exited: break;
  }
  auto output = parse_plugin_output(outcome.output);
  const int status = outcome.exit_status;
  const ProbeResult result = status == 0   ? ProbeResult::ok
                             : status == 1 ? ProbeResult::warning
                             : status == 2 ? ProbeResult::critical
                                           : ProbeResult::unknown;
  std::string message = std::move(output.message);
  if (message.empty()) message = "exit status " + std::to_string(status) + ", no output";
  if (message.size() > 1024) message.resize(1024);
  message = valid_utf8(message); // a cut sequence too
  return {result, std::move(message), latency, std::move(output.perfdata)};
}

} // namespace

ProbeOutcome check_probe(const ProbeSpec& spec, Millis timeout, const ProbeCheck& http) {
  try {
    switch (spec.kind) {
    case ProbeKind::http: return http(spec, timeout);
    case ProbeKind::tcp: return check_tcp(spec, timeout);
    case ProbeKind::file: return check_file(spec);
    case ProbeKind::sqlite: return check_sqlite(spec, timeout);
    case ProbeKind::exec: return check_exec(spec, timeout);
    }
  } catch (const Error& error) {
    return {ProbeResult::unknown, error.what(), 0, {}};
  }
  return {ProbeResult::unknown, "unknown probe kind", 0, {}};
}

} // namespace health
