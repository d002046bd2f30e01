// MqttPublisher against a real mosquitto broker started on a free loopback port.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "publish/mqtt_publisher.hpp"
#include "publish/mqtt_test_support.hpp"
#include "support/process.hpp"

namespace vigie::publish {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MqttOptions fast() {
  MqttOptions o;
  o.backoff_min_s = 0.05;
  o.backoff_max_s = 0.3;
  o.connect_timeout_s = 3;
  return o;
}

config::MqttConfig config_for(int port) {
  config::MqttConfig c;
  c.enabled = true;
  c.port = port;
  c.client_id = "vigie-test-" + std::to_string(::getpid());
  return c;
}

nlohmann::json alert(int i) {
  return {{"id", "cam1-intrusion-" + std::to_string(i)}, {"type", "intrusion"}, {"seq", i}};
}

/// The outcome of "every sent payload arrives at least once, in order".
struct Delivery {
  bool all_in_order = false;
  int missing = 0;
  int duplicates = 0;
};

Delivery check_delivery(const std::vector<std::string>& received,
                        const std::vector<std::string>& sent) {
  Delivery d;
  std::map<std::string, int> seen;
  std::vector<std::string> first_seen;
  for (const auto& p : received) {
    if (seen[p]++ == 0) {
      first_seen.push_back(p);
    } else {
      ++d.duplicates;
    }
  }
  for (const auto& p : sent) d.missing += seen.count(p) == 0 ? 1 : 0;
  d.all_in_order = d.missing == 0 && first_seen == sent;
  return d;
}

class MqttPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = test::free_port();
    ASSERT_GT(port_, 0);
    broker_ = std::make_unique<test::Broker>(dir_ / "broker", port_);
  }
  void start_broker() {
    std::string why;
    ASSERT_TRUE(broker_->start(&why)) << why;
  }
  std::unique_ptr<MqttPublisher> make(const config::MqttConfig& c) {
    auto p = make_mqtt_publisher(c, dir_ / "outbox", fast());
    EXPECT_TRUE(p) << p.status().to_string();
    return p ? std::move(*p) : nullptr;
  }

  test::TempDir dir_{"vigie-mqtt"};
  int port_ = 0;
  std::unique_ptr<test::Broker> broker_;
};

TEST_F(MqttPublisherTest, AlertsGoToBothTopicsStatusAndAvailabilityAreRetained) {
  start_broker();
  test::Subscriber live(port_, "live");
  ASSERT_TRUE(test::eventually([&] { return live.subscribed(); }));
  auto publisher = make(config_for(port_));
  ASSERT_TRUE(publisher);
  ASSERT_TRUE(test::eventually([&] { return publisher->stats().connected; }));
  EXPECT_TRUE(publisher->stats().state.is_ok());

  publisher->publish_alert("cam1", alert(1));
  publisher->publish_status("cam1", {{"state", "live"}, {"fps", 5}});
  const std::string payload = alert(1).dump();
  ASSERT_TRUE(test::eventually([&] {
    return live.payloads("vigie/alerts").size() == 1 &&
           live.payloads("vigie/cam1/alerts").size() == 1 &&
           live.payloads("vigie/cam1/status").size() == 1;
  })) << broker_->log();
  EXPECT_EQ(live.payloads("vigie/alerts")[0], payload);
  EXPECT_EQ(live.payloads("vigie/cam1/alerts")[0], payload);
  EXPECT_EQ(nlohmann::json::parse(live.payloads("vigie/cam1/status")[0])["state"], "live");
  EXPECT_THAT(live.payloads("vigie/available"), ::testing::Contains("online"));
  ASSERT_TRUE(test::eventually([&] { return publisher->stats().acknowledged == 2; }));
  EXPECT_EQ(publisher->stats().queued, 0u);

  // A subscriber that arrives later gets the retained status and availability, not alerts.
  test::Subscriber late(port_, "late");
  ASSERT_TRUE(test::eventually([&] {
    return late.payloads("vigie/cam1/status").size() == 1 &&
           late.payloads("vigie/available").size() == 1;
  }));
  EXPECT_EQ(late.payloads("vigie/available")[0], "online");
  EXPECT_TRUE(late.payloads("vigie/alerts").empty());
  for (const auto& m : late.messages()) EXPECT_TRUE(m.retained) << m.topic;

  // A clean stop says "offline" itself, retained, and disconnects cleanly: the broker logs
  // a DISCONNECT rather than a dropped connection (which would send the will instead).
  publisher->stop();
  EXPECT_FALSE(publisher->stats().connected);
  ASSERT_TRUE(
      test::eventually([&] { return live.payloads("vigie/available").back() == "offline"; }));
  const std::string id = publisher->client_id();
  ASSERT_TRUE(test::eventually([&] {
    return broker_->log().find("Client " + id + " disconnected.") != std::string::npos;
  })) << broker_->log();
  EXPECT_THAT(broker_->log(), Not(HasSubstr("Client " + id + " closed its connection")));
  test::Subscriber after_stop(port_, "after-stop");
  ASSERT_TRUE(test::eventually([&] { return !after_stop.payloads("vigie/available").empty(); }));
  EXPECT_EQ(after_stop.payloads("vigie/available")[0], "offline");
}

TEST_F(MqttPublisherTest, TheLastWillSaysOfflineWhenTheProcessDies) {
  start_broker();
  test::Subscriber live(port_, "live");
  ASSERT_TRUE(test::eventually([&] { return live.subscribed(); }));
  const pid_t helper =
      test::spawn({VIGIE_CRASH_HELPER, std::to_string(port_), (dir_ / "helper").string()});
  ASSERT_GT(helper, 0);
  const bool online = test::eventually([&] {
    const auto a = live.payloads("vigie/available");
    return !a.empty() && a.back() == "online";
  });
  ::kill(helper, SIGKILL);
  int status = 0;
  ::waitpid(helper, &status, 0);
  ASSERT_TRUE(online) << broker_->log();
  ASSERT_TRUE(test::eventually([&] {
    return live.payloads("vigie/available").back() == "offline";
  })) << broker_->log();
  EXPECT_THAT(broker_->log(), Not(HasSubstr("Client vigie-crash-helper disconnected.")));
}

TEST_F(MqttPublisherTest, AlertsRaisedWhileTheBrokerIsDownArriveInOrderOnceItIsBack) {
  // The subscriber's persistent session survives broker restarts (the broker saves it), so
  // it misses nothing published while it reconnects.
  start_broker();
  {
    test::Subscriber once(port_, "durable", /*persistent_session=*/true);
    ASSERT_TRUE(test::eventually([&] { return once.subscribed(); }));
  }
  broker_->stop();

  auto publisher = make(config_for(port_));
  ASSERT_TRUE(publisher);
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    publisher->publish_alert("cam1", alert(i));
    sent.push_back(alert(i).dump());
  }
  EXPECT_EQ(publisher->stats().queued, 40u) << "both topics, durably stored";
  EXPECT_FALSE(publisher->stats().connected);
  EXPECT_EQ(publisher->stats().state.code(), StatusCode::kUnavailable);

  start_broker();
  test::Subscriber sub(port_, "durable", /*persistent_session=*/true);
  ASSERT_TRUE(test::eventually([&] {
    return check_delivery(sub.payloads("vigie/alerts"), sent).missing == 0 &&
           publisher->stats().queued == 0;
  })) << broker_->log();
  Delivery d = check_delivery(sub.payloads("vigie/alerts"), sent);
  EXPECT_TRUE(d.all_in_order);
  EXPECT_TRUE(check_delivery(sub.payloads("vigie/cam1/alerts"), sent).all_in_order);
  std::printf("first outage: %d duplicates on vigie/alerts\n", d.duplicates);

  // The broker goes away while the node runs, and comes back.
  broker_->stop();
  ASSERT_TRUE(test::eventually([&] { return !publisher->stats().connected; }));
  for (int i = 20; i < 30; ++i) {
    publisher->publish_alert("cam1", alert(i));
    sent.push_back(alert(i).dump());
  }
  start_broker();
  ASSERT_TRUE(test::eventually([&] {
    return check_delivery(sub.payloads("vigie/alerts"), sent).missing == 0 &&
           publisher->stats().queued == 0;
  })) << broker_->log();
  d = check_delivery(sub.payloads("vigie/alerts"), sent);
  EXPECT_TRUE(d.all_in_order);
  EXPECT_TRUE(check_delivery(sub.payloads("vigie/cam1/alerts"), sent).all_in_order);
  std::printf("second outage: %d duplicates on vigie/alerts\n", d.duplicates);
  EXPECT_GE(publisher->stats().reconnects, 1u);
  EXPECT_EQ(publisher->stats().dropped, 0u);
}

TEST_F(MqttPublisherTest, TheOutboxSurvivesARestartOfTheProcess) {
  std::vector<std::string> sent;
  {
    auto first = make(config_for(port_));  // no broker yet
    ASSERT_TRUE(first);
    for (int i = 0; i < 5; ++i) {
      first->publish_alert("cam1", alert(i));
      sent.push_back(alert(i).dump());
    }
    EXPECT_EQ(first->stats().queued, 10u);
  }  // destroyed without ever reaching a broker

  start_broker();
  test::Subscriber sub(port_, "sub");
  ASSERT_TRUE(test::eventually([&] { return sub.subscribed(); }));
  auto second = make(config_for(port_));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->stats().queued, 10u);
  ASSERT_TRUE(test::eventually([&] {
    return check_delivery(sub.payloads("vigie/alerts"), sent).missing == 0 &&
           second->stats().queued == 0;
  })) << broker_->log();
  EXPECT_TRUE(check_delivery(sub.payloads("vigie/alerts"), sent).all_in_order);
  EXPECT_TRUE(check_delivery(sub.payloads("vigie/cam1/alerts"), sent).all_in_order);
}

TEST_F(MqttPublisherTest, RefusedCredentialsAreReportedWithoutThePassword) {
  const std::string password_file = (dir_ / "passwords").string();
  const auto made =
      test::run_command("mosquitto_passwd -b -c " + password_file + " vigie right-password-4242");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  broker_ = std::make_unique<test::Broker>(
      dir_ / "broker", port_, "allow_anonymous false\npassword_file " + password_file + "\n");
  start_broker();

  const std::string wrong = "wrong-password-9137";
  config::MqttConfig c = config_for(port_);
  c.username = "vigie";
  c.password = wrong;
  {
    test::LogCapture logs;
    auto publisher = make(c);
    ASSERT_TRUE(publisher);
    ASSERT_TRUE(test::eventually([&] {
      return publisher->stats().state.message().find("refused") != std::string::npos;
    })) << publisher->stats().state.to_string();
    const MqttStats s = publisher->stats();
    EXPECT_FALSE(s.connected);
    EXPECT_GE(s.connect_failures, 1u);
    EXPECT_EQ(s.state.code(), StatusCode::kUnavailable);
    EXPECT_THAT(s.state.message(), HasSubstr("as user 'vigie'"));
    EXPECT_THAT(s.state.message(), HasSubstr("check mqtt.username and mqtt.password"));
    EXPECT_THAT(s.state.message(), Not(HasSubstr(wrong)));
    publisher->stop();
    const std::string text = logs.text();
    EXPECT_THAT(text, HasSubstr("refused the connection as user 'vigie'"));
    EXPECT_THAT(text, Not(HasSubstr(wrong)));
    // One line for the refusal, not one per attempt.
    std::size_t lines = 0;
    for (std::size_t pos = 0; (pos = text.find("refused", pos)) != std::string::npos; ++pos) {
      ++lines;
    }
    EXPECT_EQ(lines, 1u) << text;
  }

  c.password = "right-password-4242";
  auto publisher = make(c);
  ASSERT_TRUE(publisher);
  ASSERT_TRUE(test::eventually([&] { return publisher->stats().connected; }))
      << publisher->stats().state.to_string();
}

TEST_F(MqttPublisherTest, UnreadableTlsFilesAreAnInvalidArgument) {
  config::MqttConfig c = config_for(port_);
  c.tls = true;
  c.ca_file = (dir_ / "missing-ca.pem").string();
  auto p = make_mqtt_publisher(c, dir_ / "outbox", fast());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(MqttPublisherTest, ACameraIdThatIsNotATopicLevelIsRefused) {
  auto publisher = make(config_for(port_));
  ASSERT_TRUE(publisher);
  publisher->publish_alert("cam/1", alert(1));
  publisher->publish_alert("cam#", alert(2));
  EXPECT_EQ(publisher->stats().queued, 0u);
  EXPECT_EQ(publisher->stats().dropped, 4u);
}

}  // namespace
}  // namespace vigie::publish
