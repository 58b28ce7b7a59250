#pragma once
// Small text helpers shared by the render/ files.

#include <health/render.hpp>

#include <string>
#include <string_view>

namespace health {

// `text` in capitals (ASCII).
std::string upper(std::string_view text);

// "1 series" or "3 series", "1 issue" or "2 issues": `n` and the word for it.
std::string count_text(std::size_t n, std::string_view one, std::string_view many);

// An issue's or a threshold's series for people: `database query_ms
// {k=v;k=v}` (no braces without labels).
std::string key_text(const IssueKey& key);

// Throws Error(usage): `what` has no `format` form.
[[noreturn]] void unsupported(std::string_view what, Format format);

} // namespace health
