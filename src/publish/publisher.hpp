#pragma once
// The seam between the engine and integrators: alerts and camera health leave the node
// through a Publisher (MQTT, webhooks, or several at once).

#include <filesystem>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/frame.hpp"
#include "core/prometheus.hpp"
#include "core/status.hpp"

namespace vigie::publish {

/// Receives alert messages and camera status for integrators. Thread-safe: called from
/// scheduler workers and the engine's health loop. Never blocks on the network: a call stores
/// or queues the message and returns; delivery happens on the publisher's own threads.
class Publisher {
 public:
  virtual ~Publisher() = default;
  /// An alert was raised, updated or ended; `alert` is the JSON document integrators receive.
  virtual void publish_alert(const CameraId& camera, const nlohmann::json& alert) = 0;
  /// The camera's current health; only the latest per camera matters.
  virtual void publish_status(const CameraId& camera, const nlohmann::json& status) = 0;
  /// The journal's head ({"seq", "hash", "at"}); only the latest matters. Published so that
  /// a journal whose end is later removed is seen to be shorter than it was.
  virtual void publish_journal_head(const nlohmann::json& head) = 0;
  /// Says goodbye to the receivers and stops the threads; idempotent. Called by the destructor.
  virtual void stop() = 0;
  /// Appends this publisher's counters to /metrics (publish/metrics.cpp). Any thread.
  virtual void write_metrics(PrometheusText& /*out*/) const {}
};

/// Forwards every call to each of its publishers, in order.
class PublisherSet final : public Publisher {
 public:
  explicit PublisherSet(std::vector<std::unique_ptr<Publisher>> publishers);
  ~PublisherSet() override;
  void publish_alert(const CameraId& camera, const nlohmann::json& alert) override;
  void publish_status(const CameraId& camera, const nlohmann::json& status) override;
  void publish_journal_head(const nlohmann::json& head) override;
  void stop() override;
  void write_metrics(PrometheusText& out) const override;
  /// How many publishers it forwards to (0 when nothing is configured).
  [[nodiscard]] std::size_t size() const { return publishers_.size(); }

 private:
  std::vector<std::unique_ptr<Publisher>> publishers_;
};

/// The publishers a node's configuration asks for: MQTT when `mqtt.enabled`, with its outbox
/// in `outbox_dir`, and webhooks when any are listed. An empty set when neither is.
/// Fails (kInvalidArgument) when the outbox cannot be opened or TLS files cannot be read.
Result<std::unique_ptr<PublisherSet>> make_publishers(const config::Config& config,
                                                      const std::filesystem::path& outbox_dir);

}  // namespace vigie::publish
