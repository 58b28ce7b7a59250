// Prometheus remote write 1.0's WriteRequest in protobuf's wire format,
// written by hand: four messages of strings, doubles and integers need no
// generated code. The receiver's .proto (prometheus/prompb):
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }

#include <health/render.hpp>

#include <bit>
#include <cstdint>

namespace health {

namespace {

// A field's key: its number and wire type (0 varint, 1 64-bit, 2 length-delimited).
constexpr char key(int field, int wire_type) { return static_cast<char>((field << 3) | wire_type); }

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

void append_bytes(std::string& out, char field_key, std::string_view bytes) {
  out += field_key;
  append_varint(out, bytes.size());
  out += bytes;
}

void append_label(std::string& out, std::string& scratch, const std::string& name, const std::string& value) {
  scratch.clear();
  append_bytes(scratch, key(1, 2), name);
  append_bytes(scratch, key(2, 2), value);
  append_bytes(out, key(1, 2), scratch);
}

void append_sample(std::string& out, Millis at, double value) {
  char sample[1 + 8 + 1 + 10];
  std::size_t size = 0;
  sample[size++] = key(1, 1);
  auto bits = std::bit_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i, bits >>= 8) sample[size++] = static_cast<char>(bits & 0xff);
  sample[size++] = key(2, 0);
  auto ts = static_cast<std::uint64_t>(at); // int64: a negative time is ten bytes of two's complement
  while (ts >= 0x80) {
    sample[size++] = static_cast<char>((ts & 0x7f) | 0x80);
    ts >>= 7;
  }
  sample[size++] = static_cast<char>(ts);
  append_bytes(out, key(2, 2), std::string_view(sample, size));
}

} // namespace

std::string encode_write_request(const std::vector<RemoteWriteSeries>& series) {
  std::string out;
  std::string one;
  std::string scratch;
  for (const auto& s : series) {
    one.clear();
    for (const auto& [name, value] : *s.labels) append_label(one, scratch, name, value);
    for (const auto& [at, value] : s.samples) append_sample(one, at, value);
    append_bytes(out, key(1, 2), one);
  }
  return out;
}

} // namespace health
