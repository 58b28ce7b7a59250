// make_scenario KIND [SEED]: prints a synthetic week (see scenario.hpp) ending
// now as CSV for `healthctl ingest --format csv`: to try analyze by hand.

#include "scenario.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: make_scenario calm|daily|spike|errors|leak|stop|all [SEED]\n");
    return 2;
  }
  try {
    const unsigned seed = argc == 3 ? static_cast<unsigned>(std::stoul(argv[2])) : 1;
    const std::string csv = test::scenario_csv(argv[1], seed, health::now_ms());
    std::fwrite(csv.data(), 1, csv.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_scenario: %s\n", e.what());
    return 2;
  }
}
