#pragma once
// A seeded source of noise for the tests' synthetic series: splitmix64 with
// the distributions written out, because <random>'s distributions differ
// between standard libraries and ours must give the same series, byte for
// byte, on every machine.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace test {

class SeededRandom {
public:
  explicit SeededRandom(std::uint64_t seed) : m_state(seed) {}

  double uniform() { // (0, 1)
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;
  }
  double between(double low, double high) { return low + (high - low) * uniform(); }
  double log_between(double low, double high) { return low * std::exp(std::log(high / low) * uniform()); }
  std::int64_t whole(std::int64_t low, std::int64_t high) { // inclusive
    const auto span = static_cast<double>(high - low + 1);
    return std::min(high, low + static_cast<std::int64_t>(uniform() * span));
  }
  bool chance(double p) { return uniform() < p; }
  template <typename T> T pick(std::initializer_list<T> choices) {
    const auto at = whole(0, static_cast<std::int64_t>(choices.size()) - 1);
    return *(choices.begin() + at);
  }

  double normal() { // Box-Muller
    return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  }
  double student_t3() { // heavy tails: a normal over the root of a chi-square of 3 degrees / 3
    const double a = normal(), b = normal(), c = normal();
    return normal() / std::sqrt((a * a + b * b + c * c) / 3);
  }
  double laplace() { // scale 1
    const double u = uniform() - 0.5;
    return u < 0 ? std::log(1 + 2 * u) : -std::log(1 - 2 * u);
  }
  double poisson(double mean) { // Knuth's product of uniforms when small, else the normal approximation
    if (mean > 30) return std::max(0.0, std::round(mean + std::sqrt(mean) * normal()));
    const double limit = std::exp(-mean);
    double k = 0;
    for (double p = uniform(); p > limit; p *= uniform()) ++k;
    return k;
  }

private:
  std::uint64_t m_state;
};

} // namespace test
