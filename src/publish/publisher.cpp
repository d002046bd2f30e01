#include "publish/publisher.hpp"

#include "publish/mqtt_publisher.hpp"
#include "publish/webhook_publisher.hpp"

namespace vigie::publish {

PublisherSet::PublisherSet(std::vector<std::unique_ptr<Publisher>> publishers)
    : publishers_(std::move(publishers)) {}

PublisherSet::~PublisherSet() {
  stop();
}

void PublisherSet::publish_alert(const CameraId& camera, const nlohmann::json& alert) {
  for (auto& p : publishers_) p->publish_alert(camera, alert);
}

void PublisherSet::publish_status(const CameraId& camera, const nlohmann::json& status) {
  for (auto& p : publishers_) p->publish_status(camera, status);
}

void PublisherSet::publish_journal_head(const nlohmann::json& head) {
  for (auto& p : publishers_) p->publish_journal_head(head);
}

void PublisherSet::stop() {
  for (auto& p : publishers_) p->stop();
}

void PublisherSet::write_metrics(PrometheusText& out) const {
  for (const auto& p : publishers_) p->write_metrics(out);
}

Result<std::unique_ptr<PublisherSet>> make_publishers(const config::Config& config,
                                                      const std::filesystem::path& outbox_dir) {
  std::vector<std::unique_ptr<Publisher>> publishers;
  if (config.mqtt.enabled) {
    auto mqtt = make_mqtt_publisher(config.mqtt, outbox_dir);
    if (!mqtt) return mqtt.status();
    publishers.push_back(std::move(*mqtt));
  }
  if (!config.webhooks.empty()) {
    auto hooks = make_webhook_publisher(config.webhooks);
    if (!hooks) return hooks.status();
    publishers.push_back(std::move(*hooks));
  }
  return std::make_unique<PublisherSet>(std::move(publishers));
}

}  // namespace vigie::publish
