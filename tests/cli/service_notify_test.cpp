// `vigie run` under a service manager: the sd_notify protocol seen from systemd's side, with
// a unix datagram socket standing in for systemd's ($NOTIFY_SOCKET).

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "support/process.hpp"

namespace vigie {
namespace {

/// Receives what the node sends, as systemd would.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.string().copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  [[nodiscard]] bool bound() const { return bound_; }

  /// Waits up to timeout_s for a datagram holding `text`; returns the datagram, or "".
  std::string wait_for(const std::string& text, double timeout_s) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) continue;
      std::string message(buffer, static_cast<std::size_t>(n));
      received_ += message + "\n--\n";
      if (message.find(text) != std::string::npos) return message;
    }
    return {};
  }
  [[nodiscard]] const std::string& received() const { return received_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool bound_ = false;
  std::string received_;
};

int port_in(const std::string& status) {
  const auto at = status.find("port ");
  return at == std::string::npos ? 0 : std::stoi(status.substr(at + 5));
}

TEST(ServiceNotifyTest, ReadyOnceTheApiAnswersThenWatchdogPingsThenStopping) {
#ifndef VIGIE_HAVE_SYSTEMD
  GTEST_SKIP() << "built without libsystemd (install libsystemd-dev): no notifications";
#endif
  test::TempDir dir;
  // A fresh installation: no camera, the API on loopback (any free port).
  test::write_file(dir / "node.yaml", "storage: {data_dir: data}\napi: {port: 0}\n");
  NotifySocket systemd(dir / "notify");
  ASSERT_TRUE(systemd.bound()) << "cannot bind a unix datagram socket in " << dir.path();
  // A 2 s watchdog: pinged every second while the (idle) analysis makes progress.
  test::Child node("env NOTIFY_SOCKET=" + (dir / "notify").string() + " WATCHDOG_USEC=2000000 " +
                   test::vigie_binary() + " run --status-interval 0 --config " +
                   (dir / "node.yaml").string());

  const std::string ready = systemd.wait_for("READY=1", 60);
  ASSERT_FALSE(ready.empty()) << "no READY=1; received:\n"
                              << systemd.received() << "\nstderr:\n"
                              << node.err();
  const int port = port_in(ready);
  ASSERT_GT(port, 0) << "READY=1 without the API's port in STATUS=: " << ready;
  // READY=1 means the API answers now, not soon.
  httplib::Client api("127.0.0.1", port);
  api.set_connection_timeout(10);
  api.set_read_timeout(10);
  const auto health = api.Get("/healthz");
  ASSERT_TRUE(health) << "the API does not answer after READY=1";
  EXPECT_EQ(health->status, 200) << health->body;

  EXPECT_FALSE(systemd.wait_for("WATCHDOG=1", 30).empty())
      << "no watchdog ping; received:\n" << systemd.received();

  node.signal(SIGTERM);
  EXPECT_FALSE(systemd.wait_for("STOPPING=1", 60).empty()) << systemd.received();
  EXPECT_EQ(node.wait(60), 0) << node.err();
}

TEST(ServiceNotifyTest, OutsideSystemdNothingIsSentAndTheNodeRunsUntilStopped) {
  test::TempDir dir;
  test::write_file(dir / "node.yaml", "storage: {data_dir: data}\napi: {port: 0}\n");
  test::Child node("env -u NOTIFY_SOCKET " + test::vigie_binary() +
                   " run --status-interval 0 --config " + (dir / "node.yaml").string());
  ASSERT_TRUE(node.wait_for_output("API: http://127.0.0.1:", 60)) << node.err();
  // With no camera there is nothing to finish: the node serves its API until stopped.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(60), 0) << node.err();
  EXPECT_EQ(node.err().find("NOTIFY_SOCKET"), std::string::npos) << node.err();
}

}  // namespace
}  // namespace vigie
