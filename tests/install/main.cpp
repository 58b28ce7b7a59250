// Records one sample through the installed library and reads it back.
#include <health/query.hpp>
#include <health/recorder.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  health::StoreOptions options;
  options.path = argv[1];
  options.mode = health::OpenMode::create;
  auto store = health::Store::open(options);
  health::SeriesSpec spec;
  spec.key = {"node-1", "app", "starts", {}};
  health::record(store, spec, {health::now_ms(), 1, {}});
  const auto components = health::list_components(store);
  if (components.size() != 1 || components[0].samples != 1) return 1;
  std::printf("ok\n");
  return 0;
}
