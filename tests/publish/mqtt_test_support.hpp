#pragma once
// Test helpers for publish/: a real mosquitto broker on a free loopback port, a subscriber
// that records what it receives, a process helper, and polling with a deadline.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

struct mosquitto;
struct mosquitto_message;

namespace vigie::test {

/// Calls `condition` every 10 ms until it is true or `timeout_s` have passed; its last value.
bool eventually(const std::function<bool()>& condition, double timeout_s = 5.0);

/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

/// A mosquitto broker started with a config file in `dir`: one listener on 127.0.0.1:port,
/// persistence in `dir` (so subscriptions and queued messages survive a restart), plus
/// `extra` lines. Stopped (SIGTERM, so it saves) on destruction.
class Broker {
 public:
  Broker(std::filesystem::path dir, int port, std::string extra = "allow_anonymous true\n");
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Starts it and waits until the port accepts connections; false (with why) otherwise.
  bool start(std::string* why = nullptr);
  /// Stops it gracefully and waits for it to exit.
  void stop();
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  /// The broker's own log, for failure messages.
  [[nodiscard]] std::string log() const;

 private:
  std::filesystem::path dir_;
  int port_;
  std::string extra_;
  pid_t pid_ = -1;
};

/// One received message.
struct Received {
  std::string topic;
  std::string payload;
  bool retained = false;
};

/// An MQTT client (libmosquitto, threaded) subscribed to `vigie/#` at QoS 1. With a
/// persistent session, the broker queues messages for it while it is away.
class Subscriber {
 public:
  Subscriber(int port, std::string client_id, bool persistent_session = false);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  /// True once the broker has confirmed the subscription (of the current connection).
  [[nodiscard]] bool subscribed() const { return subscribed_.load(); }
  /// Everything received so far, in arrival order.
  [[nodiscard]] std::vector<Received> messages() const;
  /// Payloads received on `topic`, in arrival order.
  [[nodiscard]] std::vector<std::string> payloads(const std::string& topic) const;

 private:
  static void on_connect(mosquitto* m, void* obj, int rc);
  static void on_subscribe(mosquitto* m, void* obj, int mid, int count, const int* granted);
  static void on_disconnect(mosquitto* m, void* obj, int rc);
  static void on_message(mosquitto* m, void* obj, const mosquitto_message* msg);

  mosquitto* mosq_ = nullptr;
  std::atomic<bool> subscribed_{false};
  mutable std::mutex mutex_;
  std::vector<Received> received_;
};

/// A sink that keeps every formatted line in memory.
class StringSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  /// Everything logged so far.
  std::string text();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::string text_;
};

/// Captures what is logged through spdlog while it lives, unredacted: what the code itself
/// writes, before the redacting sink's last guard.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const;

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<StringSink> sink_;
};

/// Starts `argv[0]` with arguments (no shell), its stdout and stderr appended to `output`
/// when given; returns its pid, or -1.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& output = {});

}  // namespace vigie::test
