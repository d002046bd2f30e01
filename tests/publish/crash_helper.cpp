// Not a test: a process that connects an MqttPublisher and then waits to be killed, so the
// tests can check that the broker publishes the last will when the process dies.
// Usage: publish_crash_helper PORT OUTBOX_DIR

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "publish/mqtt_publisher.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PORT OUTBOX_DIR\n", argv[0]);
    return 2;
  }
  vigie::config::MqttConfig config;
  config.enabled = true;
  config.port = std::stoi(argv[1]);
  config.client_id = "vigie-crash-helper";
  vigie::publish::MqttOptions options;
  options.backoff_min_s = 0.1;
  options.backoff_max_s = 0.5;
  auto publisher = vigie::publish::make_mqtt_publisher(config, argv[2], options);
  if (!publisher) {
    std::fprintf(stderr, "%s\n", publisher.status().to_string().c_str());
    return 1;
  }
  // Killed from outside; never returns, never disconnects.
  while (true) ::pause();
}
