#pragma once
// A progress line on stderr for long work (ingest, backup create and
// restore, cleanup and its vacuum). Shown only when stderr is a terminal,
// TERM is set and is not "dumb", and -q was not given; otherwise nothing at
// all is written, escape codes included.

#include "settings.hpp"

#include <health/progress.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace healthctl {

class ProgressLine {
public:
  ProgressLine(const Globals& globals, std::string command);
  ~ProgressLine(); // clears the line, if one was shown
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The callback to hand the library: empty when no line is shown. A
  // `total` other than 0 stands in for a total the library does not know
  // (the size of an input file).
  health::ProgressFn callback(std::uint64_t total = 0);
  // Clears the line now (before printing the result).
  void clear();

private:
  void show(health::Progress progress, std::uint64_t total);

  std::string m_command;
  bool m_enabled;
  bool m_shown = false;
  std::string m_step;
  std::chrono::steady_clock::time_point m_step_start;
  std::chrono::steady_clock::time_point m_last_shown;
};

} // namespace healthctl
