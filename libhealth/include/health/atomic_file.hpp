#pragma once
// A file written under a temporary name next to its destination and renamed
// into place on commit: a reader sees the old file or the whole new one,
// never a part, and a failed write leaves no partial file behind. A symbolic
// link is followed (its target is replaced, the link stays), and a path that
// is not a regular file (a FIFO, /dev/stdout, a terminal) is written
// directly, as a shell's redirection would: such a file cannot be replaced.

#include <string>
#include <string_view>

namespace health {

class AtomicFile {
public:
  // Creates the temporary file (mode `mode`, 0600 by default) in the folder
  // of `path`. Throws Error(runtime) naming the path when it cannot.
  explicit AtomicFile(std::string path, unsigned mode = 0600);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Throws Error(runtime) on a write error (a full disk, say).
  void write(std::string_view text);
  // Flushes to disk, renames over `path`, and syncs the folder.
  void commit();

  const std::string& path() const { return m_path; }

private:
  std::string m_path;
  std::string m_temp; // "" when writing directly
  int m_fd = -1;
  bool m_committed = false;
};

} // namespace health
