#include "cli/bench_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "core/event_type.hpp"
#include "core/iso_time.hpp"

namespace vigie::cli {

config::Authorization bench_authorization(std::vector<std::string> cameras) {
  config::Authorization order;
  order.reference = "BENCH (not a prefectoral order)";
  order.event_types.assign(kAllEventTypes.begin(), kAllEventTypes.end());
  order.start = format_iso8601(std::chrono::system_clock::now() - std::chrono::hours(1));
  order.end = format_iso8601(std::chrono::system_clock::now() + std::chrono::hours(2));
  order.controller = "bench";
  order.cameras = std::move(cameras);
  return order;
}

Usage Usage::now() {
  return {static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count()) /
              1000.0,
          read_process_usage()};
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

}  // namespace vigie::cli
