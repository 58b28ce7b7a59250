#include "progress.hpp"

#include <health/render.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <unistd.h>

namespace healthctl {

namespace {

// Redrawing more often than this only costs time.
constexpr auto k_redraw_every = std::chrono::milliseconds(100);

bool terminal_shows_progress() {
  if (::isatty(STDERR_FILENO) != 1) return false;
  const char* term = std::getenv("TERM");
  return term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
}

} // namespace

ProgressLine::ProgressLine(const Globals& globals, std::string command)
    : m_command(std::move(command)), m_enabled(!globals.quiet && terminal_shows_progress()) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::clear() {
  if (m_shown) std::fputs("\r\033[K", stderr);
  m_shown = false;
}

health::ProgressFn ProgressLine::callback(std::uint64_t total) {
  if (!m_enabled) return {};
  return [this, total](const health::Progress& progress) { show(progress, total); };
}

void ProgressLine::show(health::Progress progress, std::uint64_t total) {
  const auto now = std::chrono::steady_clock::now();
  const bool new_step = progress.step != m_step;
  if (new_step) {
    m_step = std::string(progress.step);
    m_step_start = now;
  }
  if (m_shown && !new_step && now - m_last_shown < k_redraw_every) return;
  if (progress.total == 0) progress.total = total;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - m_step_start).count();
  const std::string line = health::render_progress(m_command, progress, elapsed);
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  m_shown = true;
  m_last_shown = now;
}

} // namespace healthctl
