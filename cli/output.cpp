#include "output.hpp"

#include <health/atomic_file.hpp>
#include <health/error.hpp>
#include <health/format.hpp>

#include <cstdio>

namespace healthctl {

std::string format_names(const Formats& formats) {
  std::string names;
  for (const auto name : formats.names) {
    if (name.empty()) continue;
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

std::string choose_format(const Globals& globals, const Formats& formats, std::string_view fallback) {
  if (globals.format.empty()) return std::string(fallback.empty() ? formats.names[0] : fallback);
  for (const auto name : formats.names)
    if (!name.empty() && name == globals.format) return globals.format;
  throw health::Error(health::ErrorKind::usage,
                      "unsupported format '" + globals.format + "' for " + std::string(formats.command),
                      "use --format with one of: " + format_names(formats));
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

std::string printable_line(std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      out.append("\\x").append(1, k_hex[c >> 4]).append(1, k_hex[c & 0xf]);
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      const auto c1 = static_cast<unsigned char>(text[++i]);
      out.append("\\u00").append(1, k_hex[c1 >> 4]).append(1, k_hex[c1 & 0xf]);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // A whole UTF-8 character stays; a stray byte (which a Latin-1
      // terminal would read as a C1 control, 0x9b as CSI) is escaped.
      const std::size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      const std::string_view sequence = text.substr(i, length);
      if (length > 1 && sequence.size() == length && health::is_valid_utf8(sequence)) {
        out.append(sequence);
        i += length - 1;
      } else {
        out.append("\\x").append(1, k_hex[c >> 4]).append(1, k_hex[c & 0xf]);
      }
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void warn(std::string_view text) {
  std::fprintf(stderr, "healthctl: warning: %s\n", printable_line(text).c_str());
}

bool write_output(const std::string& path, unsigned mode, const std::function<void(const health::TextSink&)>& write) {
  if (path.empty() || path == "-") {
    write([](std::string_view text) { write_out(text); });
    flush_out();
    return false;
  }
  health::AtomicFile file(path, mode);
  write([&file](std::string_view text) { file.write(text); });
  file.commit();
  return true;
}

bool write_document(const std::string& path, std::string_view text, unsigned mode) {
  return write_output(path, mode, [text](const health::TextSink& out) { out(text); });
}

} // namespace healthctl
