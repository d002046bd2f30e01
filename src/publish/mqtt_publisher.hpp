#pragma once
// Alerts and camera health to an MQTT broker (libmosquitto), with the topics integrators
// know from Frigate. Alerts go through a durable outbox and are removed only when the broker
// has acknowledged them; see docs/publish.md for topics and delivery guarantees.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "publish/publisher.hpp"

namespace vigie::publish {

/// Topic of every alert message: `<prefix>/alerts`.
std::string alerts_topic(std::string_view prefix);
/// Topic of one camera's alert messages: `<prefix>/<camera>/alerts`.
std::string camera_alerts_topic(std::string_view prefix, std::string_view camera);
/// Topic of one camera's health, retained: `<prefix>/<camera>/status`.
std::string camera_status_topic(std::string_view prefix, std::string_view camera);
/// Topic of the node's availability, retained, "online" or "offline": `<prefix>/available`.
std::string available_topic(std::string_view prefix);
/// `<prefix>/journal/head`: the journal's head, retained.
std::string journal_head_topic(std::string_view prefix);

/// Behaviour that is not configuration: the defaults suit production; tests shorten them.
struct MqttOptions {
  double backoff_min_s = 1.0;                ///< first wait after a failed or lost connection
  double backoff_max_s = 30.0;               ///< the wait doubles up to this, with jitter
  double connect_timeout_s = 10.0;           ///< from connecting to the broker's CONNACK
  std::size_t outbox_max_messages = 100000;  ///< beyond, the oldest messages are dropped
  std::size_t max_inflight = 100;  ///< alert messages handed to the broker and not yet acked
  double stop_timeout_s = 2.0;     ///< stop() waits this long for the "offline" acknowledgement
};

/// Counters for /metrics, and the connection state for health pages.
struct MqttStats {
  bool connected = false;          ///< the broker accepted the connection and it is up
  std::uint64_t published = 0;     ///< alert messages handed to the broker (resends included)
  std::uint64_t acknowledged = 0;  ///< alert messages acknowledged, hence removed from the outbox
  std::uint64_t queued = 0;        ///< alert messages in the outbox (not yet acknowledged)
  std::uint64_t dropped = 0;       ///< alert messages lost: outbox full (oldest) or unwritable
  std::uint64_t status_published = 0;  ///< camera status messages sent
  std::uint64_t reconnects = 0;        ///< connections established after the first
  std::uint64_t connect_failures = 0;  ///< attempts that failed or were refused
  /// OK when connected; otherwise why not (kUnavailable: broker unreachable, or it refused
  /// the credentials; the publisher keeps retrying either way).
  Status state;
};

/// Publishes to one broker. Alert messages go to `<prefix>/alerts` and
/// `<prefix>/<camera>/alerts` (QoS 1, not retained) through the outbox; camera status to
/// `<prefix>/<camera>/status` (QoS 1, retained; only the latest per camera is kept, in memory,
/// and sent again after every reconnection); `<prefix>/available` is "online" (retained) while
/// connected, "offline" on stop() and, as the last will, when the process dies.
///
/// Threads: publish_*() from any thread, returning after the outbox write; one sender thread
/// owns the connection (connects, reconnects with backoff, sends in outbox order, removes
/// acknowledged messages) and one network thread per connection runs libmosquitto's loop.
class MqttPublisher final : public Publisher {
 public:
  ~MqttPublisher() override;
  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;

  /// Stores both alert messages durably, then wakes the sender. Camera ids that are not one
  /// topic level (containing '/', '+' or '#') are refused and counted as dropped.
  void publish_alert(const CameraId& camera, const nlohmann::json& alert) override;
  /// Keeps the latest status of the camera and wakes the sender.
  void publish_status(const CameraId& camera, const nlohmann::json& status) override;
  /// Retained on <prefix>/journal/head.
  void publish_journal_head(const nlohmann::json& head) override;
  /// Publishes "offline", disconnects cleanly (so the will is not sent) and joins the threads.
  /// Unacknowledged alerts stay in the outbox for the next start.
  void stop() override;
  void write_metrics(PrometheusText& out) const override;

  /// A snapshot of the counters and state.
  [[nodiscard]] MqttStats stats() const;
  /// The client id used with the broker.
  [[nodiscard]] const std::string& client_id() const;

  struct Impl;

 private:
  explicit MqttPublisher(std::unique_ptr<Impl> impl);
  friend Result<std::unique_ptr<MqttPublisher>> make_mqtt_publisher(
      const config::MqttConfig& config, const std::filesystem::path& outbox_dir,
      const MqttOptions& options);

  std::unique_ptr<Impl> impl_;
};

/// Opens the outbox in `outbox_dir`, checks the TLS files, and starts connecting (it does not
/// wait for the broker: alerts queue in the outbox until it answers). Fails with
/// kInvalidArgument when the outbox cannot be opened or a TLS file cannot be read.
Result<std::unique_ptr<MqttPublisher>> make_mqtt_publisher(const config::MqttConfig& config,
                                                           const std::filesystem::path& outbox_dir,
                                                           const MqttOptions& options = {});

}  // namespace vigie::publish
