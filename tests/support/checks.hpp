#pragma once
// Checks shared by the end-to-end tests.

#include "process.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

namespace test {

// Checks a failed run: exit code, nothing on stdout, exactly one stderr line
// that starts with the prefix and contains `what`.
inline void check_error(const RunResult& result, int code, const std::string& what) {
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == code);
  CHECK(result.out.empty());
  REQUIRE_FALSE(result.err.empty());
  CHECK(result.err.back() == '\n');
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK(result.err.rfind("healthctl: error: ", 0) == 0);
  CHECK_THAT(result.err, Catch::Contains(what));
}

// The whole content of a file ("" when it does not exist).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace test
