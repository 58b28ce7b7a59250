#pragma once
// Output: choosing a command's format, writing to stdout, and the exit
// status of a command that succeeded.

#include "settings.hpp"

#include <initializer_list>
#include <string>
#include <string_view>

namespace healthctl {

// The output format of `command`: --format if given (it must be one of
// `allowed`), else `fallback`. Throws Error(usage) naming the allowed ones.
std::string choose_format(const Globals& globals, std::string_view command,
                          std::initializer_list<std::string_view> allowed,
                          std::string_view fallback);

// Writes `text` to stdout. Throws Error(runtime) when stdout fails (full
// disk, closed pipe).
void write_out(std::string_view text);
void flush_out();

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
