#pragma once
// A fresh database in a temp folder of the test case's own.

#include <health/store.hpp>

#include "temp_dir.hpp"

namespace test {

struct StoreFixture {
  TempDir dir;
  health::Store store = open(dir);

  static health::Store open(const TempDir& dir) {
    health::StoreOptions options;
    options.path = dir.file("health.db");
    options.mode = health::OpenMode::create;
    return health::Store::open(options);
  }
};

} // namespace test
