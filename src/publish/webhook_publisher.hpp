#pragma once
// Alerts to HTTP endpoints: each alert's JSON is POSTed to every webhook whose event types
// match, signed with the webhook's secret so the receiver can check where it came from.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "publish/publisher.hpp"

namespace vigie::publish {

/// "sha256=<hex>" of HMAC-SHA256(secret, body): the X-Vigie-Signature header.
std::string webhook_signature(std::string_view secret, std::string_view body);

/// "https://host:port" of a URL, without credentials, path or query: how a webhook is named in
/// logs, since paths and queries often carry a token.
std::string webhook_origin(std::string_view url);

/// Behaviour that is not configuration: the defaults suit production; tests shorten them.
struct WebhookOptions {
  double backoff_min_s = 1.0;    ///< first wait before retrying a failed delivery
  double backoff_max_s = 60.0;   ///< the wait doubles up to this
  int max_attempts = 8;          ///< then the delivery is abandoned and counted as failed
  std::size_t queue_max = 1000;  ///< deliveries waiting; beyond, new ones are dropped
  double connect_timeout_s = 5.0;
  double timeout_s = 10.0;  ///< to send the request and read the answer
};

/// Counters for /metrics.
struct WebhookStats {
  std::uint64_t delivered = 0;  ///< answered 2xx
  std::uint64_t attempts = 0;   ///< requests sent, retries included
  std::uint64_t retries = 0;    ///< attempts after a 5xx, 408, 429 or connection error
  std::uint64_t failed = 0;     ///< abandoned: refused (other 4xx) or out of attempts
  std::uint64_t dropped = 0;    ///< not queued because the queue was full, or left at stop
  std::uint64_t queued = 0;     ///< waiting for delivery or for a retry
};

/// Delivers alerts to the configured webhooks. Each request is a POST of the alert JSON with
/// `Content-Type: application/json`, `X-Vigie-Signature: sha256=<hex HMAC-SHA256 of the body>`
/// and `X-Vigie-Timestamp: <Unix seconds>`. Camera status is not sent to webhooks.
///
/// Threads: publish_*() from any thread, returning at once; one delivery thread sends the
/// requests and retries with backoff. The queue is in memory: deliveries pending at stop()
/// are lost (MQTT's outbox is the durable path).
class WebhookPublisher final : public Publisher {
 public:
  ~WebhookPublisher() override;
  WebhookPublisher(const WebhookPublisher&) = delete;
  WebhookPublisher& operator=(const WebhookPublisher&) = delete;

  /// Queues one delivery per webhook whose event_types include the alert's "type".
  void publish_alert(const CameraId& camera, const nlohmann::json& alert) override;
  /// Webhooks receive alerts only: does nothing.
  void publish_status(const CameraId& camera, const nlohmann::json& status) override;
  /// Webhooks carry alerts only.
  void publish_journal_head(const nlohmann::json& /*head*/) override {}
  /// Finishes the request in progress (bounded by the timeouts), drops the rest, joins.
  void stop() override;
  void write_metrics(PrometheusText& out) const override;

  /// A snapshot of the counters.
  [[nodiscard]] WebhookStats stats() const;

  struct Impl;

 private:
  explicit WebhookPublisher(std::unique_ptr<Impl> impl);
  friend Result<std::unique_ptr<WebhookPublisher>> make_webhook_publisher(
      const std::vector<config::WebhookConfig>& webhooks, const WebhookOptions& options);

  std::unique_ptr<Impl> impl_;
};

/// Starts the delivery thread. Fails with kInvalidArgument when a URL cannot be used.
Result<std::unique_ptr<WebhookPublisher>> make_webhook_publisher(
    const std::vector<config::WebhookConfig>& webhooks, const WebhookOptions& options = {});

}  // namespace vigie::publish
