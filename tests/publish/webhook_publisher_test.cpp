// Webhooks against a real HTTP server on 127.0.0.1: signature, retry after 503, filters.

#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "publish/mqtt_test_support.hpp"
#include "publish/webhook_publisher.hpp"

namespace vigie::publish {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "hook-secret-never-logged-0123";

/// An HTTP server on a free loopback port, in its own thread.
class HookServer {
 public:
  explicit HookServer(int fail_first) : fail_first_(fail_first) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      const int n = ++requests_;
      if (req.get_header_value("X-Vigie-Signature") == webhook_signature(kSecret, req.body) &&
          !req.get_header_value("X-Vigie-Timestamp").empty() &&
          req.get_header_value("Content-Type") == "application/json") {
        ++valid_;
      }
      if (n <= fail_first_) {
        res.status = 503;
        return;
      }
      std::lock_guard lock(mutex_);
      bodies_.push_back(req.body);
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    test::eventually([this] { return server_.is_running(); });
  }
  ~HookServer() {
    server_.stop();
    thread_.join();
  }
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
  }
  [[nodiscard]] int requests() const { return requests_.load(); }
  [[nodiscard]] int valid() const { return valid_.load(); }
  [[nodiscard]] std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  httplib::Server server_;
  int fail_first_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::atomic<int> valid_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
};

WebhookOptions fast() {
  WebhookOptions o;
  o.backoff_min_s = 0.05;
  o.backoff_max_s = 0.2;
  o.connect_timeout_s = 1;
  o.timeout_s = 2;
  return o;
}

TEST(WebhookPublisherTest, SignsTheBodyAndRetriesAfter503UntilDelivered) {
  test::LogCapture logs;
  HookServer server(/*fail_first=*/1);
  config::WebhookConfig fire_hook{server.url(), kSecret, {EventType::kFire}};
  config::WebhookConfig intrusion_hook{server.url(), kSecret, {EventType::kIntrusion}};
  auto publisher = make_webhook_publisher({fire_hook, intrusion_hook}, fast());
  ASSERT_TRUE(publisher) << publisher.status().to_string();

  const nlohmann::json alert = {{"id", "cam1-fire-1"}, {"type", "fire"}, {"camera", "cam1"}};
  (*publisher)->publish_alert("cam1", alert);
  ASSERT_TRUE(test::eventually([&] { return (*publisher)->stats().delivered == 1; }))
      << "requests seen: " << server.requests();

  // The intrusion-only webhook got nothing; the fire one was refused once, then accepted.
  const WebhookStats s = (*publisher)->stats();
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.valid(), 2) << "every request carries a valid signature and timestamp";
  EXPECT_EQ(s.attempts, 2u);
  EXPECT_EQ(s.retries, 1u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.queued, 0u);
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(server.bodies()[0]), alert);

  (*publisher)->stop();
  const std::string text = logs.text();
  EXPECT_THAT(text, HasSubstr("503"));
  EXPECT_THAT(text, HasSubstr("webhook http://127.0.0.1:"));
  EXPECT_THAT(text, Not(HasSubstr(kSecret)));
  EXPECT_THAT(text, Not(HasSubstr("/hook"))) << "only the origin of a webhook URL is logged";
}

TEST(WebhookPublisherTest, AbandonsAfterMaxAttemptsWhenTheHostIsUnreachable) {
  test::LogCapture logs;
  const int closed_port = test::free_port();
  config::WebhookConfig down{"http://127.0.0.1:" + std::to_string(closed_port) + "/x", kSecret, {}};
  WebhookOptions o = fast();
  o.max_attempts = 3;
  auto publisher = make_webhook_publisher({down}, o);
  ASSERT_TRUE(publisher);
  (*publisher)->publish_alert("cam1", {{"type", "weapon"}});
  ASSERT_TRUE(test::eventually([&] { return (*publisher)->stats().failed == 1; }));
  EXPECT_EQ((*publisher)->stats().attempts, 3u);
  EXPECT_EQ((*publisher)->stats().delivered, 0u);
  EXPECT_THAT(logs.text(), Not(HasSubstr(kSecret)));
}

}  // namespace
}  // namespace vigie::publish
