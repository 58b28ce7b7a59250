#pragma once
// URLs of the servers healthctl speaks to (push --remote-write, ingest
// --url), checked before anything connects.

#include <string>

namespace health {

// An http:// or https:// URL taken apart. Credentials in it
// (http://user:password@host/) become basic auth.
struct Url {
  std::string scheme; // http or https
  std::string host;   // as written (an IPv6 address in brackets)
  int port = 0;
  std::string target; // path and query, "/" at least
  std::string user;
  std::string password;
  // The URL without its credentials: what messages and cursors name it by.
  std::string text() const;
};

// Throws Error(usage) naming what is wrong: another scheme, no host, a bad port.
Url parse_url(const std::string& text);

} // namespace health
