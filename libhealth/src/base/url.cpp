// URLs taken apart: scheme, credentials, host, port and target.

#include <health/url.hpp>

#include <health/error.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

namespace health {

namespace {

// The URL as errors show it: credentials, if any, hidden.
std::string shown(std::string_view text) {
  const auto scheme = text.find("://");
  const auto start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto end = std::min(text.find_first_of("/?#", start), text.size());
  const auto at = text.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(text);
  return std::string(text.substr(0, start)) + "***@" + std::string(text.substr(at + 1));
}

Error bad_url(std::string_view text, const std::string& problem) {
  return Error(ErrorKind::usage, "bad URL '" + shown(text) + "': " + problem,
               "write it as http://host[:port]/path or https://host[:port]/path");
}

bool host_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_'; }

// A host: a name or IPv4 address of letters, digits, '.', '-' and '_', or
// an IPv6 address in brackets.
bool valid_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    return std::all_of(host.begin() + 1, host.end() - 1,
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.'; });
  return !host.empty() && std::all_of(host.begin(), host.end(), host_char);
}

} // namespace

std::string Url::text() const {
  const bool usual = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return scheme + "://" + host + (usual ? "" : ":" + std::to_string(port)) + target;
}

Url parse_url(const std::string& text) {
  Url url;
  const auto colon = text.find("://");
  if (colon == std::string::npos) throw bad_url(text, "no scheme");
  url.scheme = text.substr(0, colon);
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (url.scheme != "http" && url.scheme != "https") throw bad_url(text, "the scheme is not http or https");
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; }))
    throw bad_url(text, "a space or control character (escape it as %20, say)");
  std::string_view rest = std::string_view(text).substr(colon + 3);
  rest = rest.substr(0, rest.find('#')); // a fragment stays with the client
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (url.target[0] != '/') url.target.insert(url.target.begin(), '/');
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    const auto split = userinfo.find(':');
    url.user = std::string(userinfo.substr(0, split));
    if (split != std::string_view::npos) url.password = std::string(userinfo.substr(split + 1));
    authority.remove_prefix(at + 1);
  }
  url.port = url.scheme == "https" ? 443 : 80;
  const auto bracket = authority.rfind(']');
  const auto port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos && (bracket == std::string_view::npos || port_colon > bracket)) {
    const auto digits = authority.substr(port_colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), url.port);
    if (ec != std::errc() || end != digits.data() + digits.size() || url.port < 1 || url.port > 65535)
      throw bad_url(text, "the port is not a number from 1 to 65535");
    authority = authority.substr(0, port_colon);
  }
  if (authority.empty()) throw bad_url(text, "no host");
  if (!valid_host(authority))
    throw bad_url(text, "the host is not a name, an IPv4 address or an IPv6 address in brackets");
  url.host = std::string(authority);
  std::transform(url.host.begin(), url.host.end(), url.host.begin(), // one receiver, one cursor
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return url;
}

} // namespace health
