// push end to end against a receiver of the test's own on a loopback port
// (the request's headers and credentials, 2xx, 401, 400, no receiver), the
// dry run, and every error a user can hit with its exit code. A real
// Prometheus receives pushes in check_prometheus_remote_write.sh.

#include "checks.hpp"
#include "http_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using nlohmann::json;
using test::check_error;
using test::closed_port;
using test::has_net;
using Receiver = test::HttpServer;

namespace {

std::string write_url(const Receiver& receiver) { return receiver.url("/api/v1/write"); }

// Three samples of each of a gauge, a counter and a timer in the last minutes.
void seed(const test::Sandbox& box) {
  for (const char* value : {"1", "2", "3"}) {
    REQUIRE(box.healthctl({"record", "app", "temperature", value, "--type", "gauge"}).exit_code == 0);
    REQUIRE(box.healthctl({"record", "api", "requests", value, "--type", "counter"}).exit_code == 0);
    REQUIRE(box.healthctl({"record", "db", "query_ms", value, "--type", "timer", "--unit", "ms"}).exit_code == 0);
  }
}

} // namespace

TEST_CASE("push: a receiver gets snappy protobuf with the remote-write headers, once", "[cli][push]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seed(box);
  const Receiver receiver(204, "");
  const auto token = box.write_file("token", "s3cret\n");
  const auto pushed = box.healthctl({"push", "--remote-write", write_url(receiver), "--bearer-token-file", token});
  INFO(pushed.err);
  REQUIRE(pushed.exit_code == 0);
  CHECK_THAT(pushed.out, Catch::StartsWith("pushed 12 samples of 4 series to " + write_url(receiver) + " in 1 request"));
  const auto heads = receiver.heads();
  REQUIRE(heads.size() == 1);
  CHECK_THAT(heads[0], Catch::StartsWith("POST /api/v1/write HTTP/1.1\r\n"));
  for (const char* header : {"Content-Encoding: snappy", "Content-Type: application/x-protobuf",
                             "X-Prometheus-Remote-Write-Version: 0.1.0", "User-Agent: healthctl/",
                             "Authorization: Bearer s3cret"})
    CHECK_THAT(heads[0], Catch::Contains(header));

  // Nothing twice: the next push has nothing to send, and asks nothing.
  const auto again = box.healthctl({"push", "--remote-write", write_url(receiver), "--format", "json"});
  REQUIRE(again.exit_code == 0);
  CHECK(json::parse(again.out)["samples"] == 0);
  CHECK(receiver.heads().size() == 1);
}

TEST_CASE("push: basic auth from a file or the URL, never printed", "[cli][push]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seed(box);
  const Receiver receiver(200, "");
  const auto auth = box.write_file("auth", "user:pa:ss\n");
  REQUIRE(box.healthctl({"push", "--remote-write", write_url(receiver), "--basic-auth-file", auth}).exit_code == 0);
  CHECK_THAT(receiver.heads().at(0), Catch::Contains("Authorization: Basic dXNlcjpwYTpzcw==")); // user:pa:ss

  REQUIRE(box.healthctl({"record", "app", "temperature", "4", "--type", "gauge"}).exit_code == 0);
  const auto in_url = "http://me:hidden@" + write_url(receiver).substr(7);
  const auto pushed = box.healthctl({"push", "--remote-write", in_url});
  REQUIRE(pushed.exit_code == 0);
  CHECK_THAT(receiver.heads().at(1), Catch::Contains("Authorization: Basic bWU6aGlkZGVu")); // me:hidden
  CHECK_THAT(pushed.out, !Catch::Contains("hidden"));
  // The cursor is the URL without its credentials: one target, not two.
  const auto targets = box.healthctl({"sql", "SELECT count(*) FROM push_targets", "--format", "csv"});
  CHECK(targets.out == "count(*)\n1\n");
}

TEST_CASE("push: a refused request exits 65 and is not sent again, refused credentials exit 1", "[cli][push]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seed(box);
  {
    const Receiver receiver(400, "bad labels\n");
    const auto pushed = box.healthctl({"push", "--remote-write", write_url(receiver)});
    CHECK(pushed.exit_code == 65);
    CHECK_THAT(pushed.out, Catch::Contains("12 samples were refused by the receiver: HTTP 400 bad labels"));
    CHECK(receiver.heads().size() == 4); // the request, then each of its 3 healthctl series alone
    const auto again = box.healthctl({"push", "--remote-write", write_url(receiver)});
    CHECK(again.exit_code == 0);
    CHECK(receiver.heads().size() == 4);
  }
  REQUIRE(box.healthctl({"record", "app", "temperature", "5", "--type", "gauge"}).exit_code == 0);
  const Receiver locked(401, "no");
  check_error(box.healthctl({"push", "--remote-write", write_url(locked)}), 1,
              "the receiver refused the credentials: HTTP 401 no");
}

TEST_CASE("push: an unreachable receiver exits 75 and keeps everything for the next push", "[cli][push]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seed(box);
  const auto url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/api/v1/write";
  check_error(box.healthctl({"push", "--remote-write", url, "--retries", "0"}), 75,
              "cannot push to " + url + ": cannot connect (1 try); 0 samples sent, 12 left for the next push");
  const auto dry = box.healthctl({"push", "--remote-write", url, "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out == "would push 12 samples of 4 series to " + url + " in 1 request\n");
}

TEST_CASE("push: --dry-run sends nothing and changes nothing", "[cli][push]") {
  test::Sandbox box;
  seed(box);
  const auto before = test::slurp(box.db());
  const auto dry = box.healthctl({"push", "--remote-write", "http://127.0.0.1:9/w", "--dry-run", "--batch", "5",
                                  "--format", "json"});
  INFO(dry.err);
  if (!has_net()) {
    check_error(dry, 1, "this command needs healthctl-net");
    return;
  }
  REQUIRE(dry.exit_code == 0);
  const auto report = json::parse(dry.out);
  CHECK(report["dry_run"] == true);
  CHECK(report["samples"] == 12);
  CHECK(report["series"] == 4);
  CHECK(report["requests"] == 3); // points of 1 or 2 samples, at most 5 a request
  CHECK(test::slurp(box.db()) == before);
}

TEST_CASE("push: errors a user can hit, each with its exit code", "[cli][push]") {
  test::Sandbox box;
  seed(box);
  check_error(box.healthctl({"push"}), 2, "missing --remote-write");
  check_error(box.healthctl({"push", "--remote-write", "ftp://host/x"}), 2,
              "bad URL 'ftp://host/x': the scheme is not http or https");
  check_error(box.healthctl({"push", "--remote-write", "http://host:99999/x"}), 2,
              "the port is not a number from 1 to 65535");
  check_error(box.healthctl({"push", "--remote-write", "http://h/w", "--timeout", "0s"}), 2,
              "--timeout must be longer than 0");
  check_error(box.healthctl({"push", "--remote-write", "http://h/w", "--bearer-token-file", "nope"}), 66,
              "--bearer-token-file: cannot read nope");
  check_error(box.healthctl({"push", "--remote-write", "http://h/w", "--bearer-token-file", box.write_file("e", "")}),
              65, "is empty");
  check_error(box.healthctl({"push", "--remote-write", "http://h/w", "--basic-auth-file", box.write_file("a", "x\n")}),
              65, "holds no ':'");
  check_error(box.healthctl({"push", "--remote-write", "http://h/w", "--format", "csv"}), 2, "--format");
}

TEST_CASE("push: healthctl without healthctl-net beside it says so", "[cli][push]") {
  test::Sandbox box;
  seed(box);
  const auto alone = box.dir() / "bin" / "healthctl";
  std::filesystem::create_directories(alone.parent_path());
  std::filesystem::copy_file(HEALTHCTL_BIN, alone);
  check_error(box.run({alone.string(), "push", "--remote-write", "http://127.0.0.1:9/w"}), 1,
              "this command needs healthctl-net, beside healthctl or in ../libexec/healthctl/");
}

TEST_CASE("push: one push at a time from a database, the second exits 75", "[cli][push]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seed(box);
  const Receiver receiver(200, "");
  const int fd = ::open((box.db() + "-push.lock").c_str(), O_RDWR | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0); // as a running push holds it
  check_error(box.healthctl({"push", "--remote-write", write_url(receiver)}), 75,
              "another push from " + box.db() + " is running");
  CHECK(receiver.heads().empty());
  CHECK(box.healthctl({"push", "--remote-write", write_url(receiver), "--dry-run"}).exit_code == 0); // takes no lock
  ::close(fd);
  const auto pushed = box.healthctl({"push", "--remote-write", write_url(receiver)});
  CHECK(pushed.exit_code == 0);
  CHECK(receiver.heads().size() == 1);
}

TEST_CASE("push: healthctl itself links no HTTP or TLS library, healthctl-net does", "[cli][push]") {
  if (test::without_net()) return;
  test::Sandbox box;
  const auto plain = box.run({"ldd", HEALTHCTL_BIN});
  REQUIRE(plain.exit_code == 0);
  CHECK_THAT(plain.out, !Catch::Contains("libssl") && !Catch::Contains("libcpp-httplib"));
  const auto net = (std::filesystem::path(HEALTHCTL_BIN).parent_path() / "healthctl-net").string();
  const auto networked = box.run({"ldd", net});
  REQUIRE(networked.exit_code == 0);
  CHECK_THAT(networked.out, Catch::Contains("libssl") && Catch::Contains("libcpp-httplib"));
}

TEST_CASE("push: -q prints nothing, a URL that is no receiver keeps every point, empty labels are no labels",
          "[cli][push]") {
  if (test::without_net()) return;
  test::Sandbox box;
  seed(box);
  Receiver receiver(404, "404 page not found\n"); // a Prometheus without its receiver on
  check_error(box.healthctl({"push", "--remote-write", write_url(receiver)}), 1,
              "the receiver answered HTTP 404 404 page not found");
  receiver.set_status(200);
  const auto quiet = box.healthctl({"push", "--remote-write", write_url(receiver), "-q"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  const auto sent = box.healthctl({"sql", "SELECT samples FROM push_targets", "--format", "csv"});
  CHECK(sent.out == "samples\n12\n"); // all of them: the 404 skipped none

  // k="" and no k are one series to Prometheus: refused before anything is sent.
  REQUIRE(box.healthctl({"record", "app", "depth", "1", "--type", "gauge", "-l", "k="}).exit_code == 0);
  REQUIRE(box.healthctl({"record", "app", "depth", "2", "--type", "gauge"}).exit_code == 0);
  check_error(box.healthctl({"push", "--remote-write", write_url(receiver)}), 65,
              "would both be the Prometheus metric depth");
  CHECK(receiver.heads().size() == 2); // the 404, then the push of the 12
}
