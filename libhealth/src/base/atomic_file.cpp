#include <health/atomic_file.hpp>

#include <health/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace health {

namespace {

[[noreturn]] void fail(const std::string& doing, const std::string& path) {
  throw Error(ErrorKind::runtime, "cannot " + doing + " '" + path + "': " + std::strerror(errno));
}

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

AtomicFile::AtomicFile(std::string path, unsigned mode) : m_path(std::move(path)) {
  struct stat info {};
  if (::lstat(m_path.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) {
    char* target = ::realpath(m_path.c_str(), nullptr);
    if (target == nullptr) fail("follow the link", m_path);
    m_path = target;
    std::free(target);
  }
  if (::stat(m_path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    if (S_ISDIR(info.st_mode)) {
      errno = EISDIR;
      fail("write", m_path);
    }
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CLOEXEC);
    if (m_fd < 0) fail("open", m_path);
    return;
  }
  std::string pattern = folder_of(m_path) + "/." +
                        m_path.substr(m_path.rfind('/') == std::string::npos ? 0 : m_path.rfind('/') + 1) +
                        ".tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  m_fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (m_fd < 0) fail("create", m_path);
  m_temp = name.data();
  if (::fchmod(m_fd, static_cast<mode_t>(mode)) != 0) {
    const int saved = errno;
    ::close(m_fd);
    ::unlink(m_temp.c_str());
    errno = saved;
    fail("set the mode of", m_path);
  }
}

AtomicFile::~AtomicFile() {
  if (m_fd >= 0) ::close(m_fd);
  if (!m_committed && !m_temp.empty()) ::unlink(m_temp.c_str());
}

void AtomicFile::write(std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(m_fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("write", m_path);
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

void AtomicFile::commit() {
  const int fd = m_fd;
  m_fd = -1;
  if (m_temp.empty()) { // written directly: nothing to rename
    if (::close(fd) != 0) fail("write", m_path);
    m_committed = true;
    return;
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("write", m_path);
  }
  if (::close(fd) != 0) fail("write", m_path);
  if (::rename(m_temp.c_str(), m_path.c_str()) != 0) fail("write", m_path);
  m_committed = true;
  const int dir = ::open(folder_of(m_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

} // namespace health
