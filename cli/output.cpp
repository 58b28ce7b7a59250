#include "output.hpp"

#include <health/error.hpp>

#include <cstdio>

namespace healthctl {

std::string choose_format(const Globals& globals, std::string_view command,
                          std::initializer_list<std::string_view> allowed,
                          std::string_view fallback) {
  if (globals.format.empty()) return std::string(fallback);
  for (const auto format : allowed)
    if (format == globals.format) return globals.format;
  std::string names;
  for (const auto format : allowed) {
    if (!names.empty()) names += ", ";
    names += format;
  }
  throw health::Error(health::ErrorKind::usage,
                      "unsupported format '" + globals.format + "' for " + std::string(command),
                      "use --format with one of: " + names);
}

void write_out(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size())
    throw health::Error(health::ErrorKind::runtime, "cannot write to standard output");
}

void flush_out() {
  if (std::fflush(stdout) != 0)
    throw health::Error(health::ErrorKind::runtime, "cannot write to standard output");
}

namespace {
int g_exit_status = 0;
} // namespace

void set_exit_status(int status) { g_exit_status = status; }
int exit_status() { return g_exit_status; }

} // namespace healthctl
