// The publishers' /metrics families (docs/api.md lists them).

#include "publish/mqtt_publisher.hpp"
#include "publish/webhook_publisher.hpp"

namespace vigie::publish {

void MqttPublisher::write_metrics(PrometheusText& out) const {
  const MqttStats s = stats();
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  out.gauge("vigie_mqtt_connected", "1 while the broker connection is up.", s.connected ? 1 : 0);
  out.gauge("vigie_mqtt_outbox_messages",
            "Alert messages in the outbox, waiting for the broker's acknowledgement.",
            d(s.queued));
  out.counter("vigie_mqtt_published_total",
              "Alert messages handed to the broker, resends included.", d(s.published));
  out.counter("vigie_mqtt_acknowledged_total",
              "Alert messages the broker acknowledged (removed from the outbox).",
              d(s.acknowledged));
  out.counter("vigie_mqtt_dropped_total",
              "Alert messages lost: outbox full (oldest first) or unwritable.", d(s.dropped));
  out.counter("vigie_mqtt_status_published_total", "Camera status messages sent.",
              d(s.status_published));
  out.counter("vigie_mqtt_reconnects_total", "Broker connections established after the first.",
              d(s.reconnects));
  out.counter("vigie_mqtt_connect_failures_total",
              "Broker connection attempts that failed or were refused.", d(s.connect_failures));
}

void WebhookPublisher::write_metrics(PrometheusText& out) const {
  const WebhookStats s = stats();
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  out.family("vigie_webhook_deliveries_total", MetricType::kCounter,
             "Webhook deliveries ended, by result: delivered (2xx), failed (refused or out of "
             "attempts), dropped (queue full, or pending at stop).")
      .sample({{"result", "delivered"}}, d(s.delivered))
      .sample({{"result", "failed"}}, d(s.failed))
      .sample({{"result", "dropped"}}, d(s.dropped));
  out.counter("vigie_webhook_attempts_total", "Webhook requests sent, retries included.",
              d(s.attempts));
  out.counter("vigie_webhook_retries_total",
              "Webhook requests sent again after a 5xx, 408, 429 or connection error.",
              d(s.retries));
  out.gauge("vigie_webhook_queue_depth", "Webhook deliveries waiting, or waiting to retry.",
            d(s.queued));
}

}  // namespace vigie::publish
