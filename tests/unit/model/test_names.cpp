#include <health/error.hpp>
#include <health/names.hpp>

#include <catch2/catch.hpp>

using health::Labels;

TEST_CASE("names: valid names pass", "[names]") {
  for (const char* name : {"database", "query_ms", "a", "web-1.example.com", "ns:metric", "A_9.z-"})
    CHECK_FALSE(health::name_problem("metric", name));
  CHECK_FALSE(health::name_problem("metric", std::string(128, 'x')));
}

TEST_CASE("names: invalid names are refused with a message naming the value", "[names]") {
  CHECK(*health::name_problem("component", "") == "empty component name");
  CHECK(*health::name_problem("metric", "-x") == "metric name '-x' starts with '-'");
  CHECK(*health::name_problem("metric", "has space") ==
        "metric name 'has space' has a character outside [A-Za-z0-9_.:-]");
  CHECK(health::name_problem("metric", "tab\there")->find("'tab?here'") != std::string::npos);
  CHECK(health::name_problem("metric", "é")->find("outside") != std::string::npos);
  CHECK(health::name_problem("metric", "a/b")->find("outside") != std::string::npos);
  CHECK(health::name_problem("metric", std::string(129, 'x'))->find("longer than 128") !=
        std::string::npos);
  try {
    health::validate_name("component", "bad name");
    FAIL("no exception");
  } catch (const health::Error& error) {
    CHECK(error.kind() == health::ErrorKind::usage);
    CHECK(std::string(error.what()) == "component name 'bad name' has a character outside [A-Za-z0-9_.:-]");
  }
}

TEST_CASE("names: label arguments are parsed, sorted and checked", "[names]") {
  const Labels labels = health::parse_label_args({"route=/api", "method=GET", "empty="});
  CHECK(labels == Labels{{"empty", ""}, {"method", "GET"}, {"route", "/api"}});
  CHECK(health::format_labels(labels) == "empty=;method=GET;route=/api");
  CHECK_THROWS_WITH(health::parse_label_args({"novalue"}), Catch::Contains("has no '='"));
  CHECK_THROWS_WITH(health::parse_label_args({"a=1", "a=2"}), Catch::Contains("given twice"));
  CHECK_THROWS_WITH(health::parse_label_args({"bad key=1"}), Catch::Contains("outside"));
  CHECK_THROWS_WITH(health::parse_label_args({"k=line\nbreak"}), Catch::Contains("control character"));
  CHECK(health::parse_label_args({"city=Zürich", "emoji=\xF0\x9F\x99\x82"}).size() == 2);
  for (const char* bad : {"k=\xff", "k=\xC3", "k=\xC0\xAF", "k=\xED\xA0\x80", "k=\xF4\x90\x80\x80"}) {
    INFO(bad);
    CHECK_THROWS_WITH(health::parse_label_args({bad}), "label k has a value that is not UTF-8");
  }
}

TEST_CASE("names: canonical label text round-trips, escapes included", "[names]") {
  const Labels labels{{"a", "x;y"}, {"b", "back\\slash"}, {"c", "eq=ok"}};
  const std::string text = health::format_labels(labels);
  CHECK(text == "a=x\\;y;b=back\\\\slash;c=eq=ok");
  CHECK(health::parse_labels(text) == labels);
  CHECK(health::parse_labels("b=2;a=1") == Labels{{"a", "1"}, {"b", "2"}});
  CHECK(health::parse_labels("") == Labels{});
  std::string problem;
  CHECK_FALSE(health::parse_labels("a=1;", &problem));
  CHECK(problem == "labels end with ';'");
  CHECK_FALSE(health::parse_labels("a", &problem));
  CHECK_FALSE(health::parse_labels("a=1;a=2", &problem));
  CHECK(problem == "label a is given twice");
}

TEST_CASE("names: a series' display name in both spellings", "[names]") {
  const health::Labels labels{{"code", "500"}, {"route", "/api"}};
  using health::NameStyle;
  CHECK(health::series_display_name("api", "errors", {}, NameStyle::path) == "api/errors");
  CHECK(health::series_display_name("api", "errors", {}, NameStyle::words) == "api errors");
  CHECK(health::series_display_name("api", "errors", labels, NameStyle::path) == "api/errors{code=500;route=/api}");
  CHECK(health::series_display_name("api", "errors", labels, NameStyle::words) == "api errors {code=500;route=/api}");
  CHECK(health::series_display_name("api", "", {}, NameStyle::path) == "api");
}
