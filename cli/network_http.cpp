// The network of healthctl-net: health::http itself.

#include "network.hpp"

namespace healthctl {

void keep_command_line(int /*argc*/, char** /*argv*/) {}

health::RemoteWriteSend open_remote_write(const health::Url& url, const health::http::ClientOptions& options) {
  return health::http::remote_write_sender(url, options);
}

std::string fetch_url(const health::Url& url, const health::http::ClientOptions& options, std::size_t max_bytes,
                     std::string_view accept) {
  return health::http::get(url, options, max_bytes, accept);
}

} // namespace healthctl
