#pragma once
// Output: choosing a command's format, writing to stdout, and the exit
// status of a command that succeeded.

#include "settings.hpp"

#include <health/export.hpp>

#include <array>
#include <functional>
#include <string>
#include <string_view>

namespace healthctl {

// The values of --format a command accepts: one list for its --help and for
// choose_format.
struct Formats {
  std::string_view command;                // as errors name it: "backup list"
  std::array<std::string_view, 6> names{}; // the default first; unused entries empty
  std::string_view default_note{};         // how the default is chosen, when it is not names[0]
};

// The format of a command: --format if given (it must be one of `formats`),
// else `fallback` (default: the first). Throws Error(usage) naming the ones
// it accepts.
std::string choose_format(const Globals& globals, const Formats& formats,
                          std::string_view fallback = {});

// "table, json, csv": the names of `formats`.
std::string format_names(const Formats& formats);

// Writes `text` to stdout. Throws Error(runtime) when stdout fails (full
// disk, closed pipe).
void write_out(std::string_view text);
void flush_out();

// Calls `write` with a sink to stdout when `path` is empty or "-", else to
// `path` atomically (health::AtomicFile, with `mode`), committed once
// `write` returns: a failure leaves no partial file. True when it went to a
// file.
bool write_output(const std::string& path, unsigned mode, const std::function<void(const health::TextSink&)>& write);

// The same for a whole document.
bool write_document(const std::string& path, std::string_view text, unsigned mode);

// `text` as one printable line for a terminal: line breaks become spaces,
// trailing spaces go, and every other control character is shown escaped
// (C0 and DEL as \x1b, C1 in UTF-8 as \u009b), so a message that quotes
// what the user typed can never drive the terminal.
std::string printable_line(std::string_view text);

// Writes `healthctl: warning: <text>` to stderr as a printable line.
void warn(std::string_view text);

// The exit status of a command that succeeded: 0 unless the command sets
// another (check and status use the monitoring-plugin codes 0 to 3).
void set_exit_status(int status);
int exit_status();

} // namespace healthctl
