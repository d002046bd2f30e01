#include "publish/mqtt_publisher.hpp"

#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <system_error>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "core/worker.hpp"
#include "publish/outbox.hpp"

namespace vigie::publish {

std::string alerts_topic(std::string_view prefix) {
  return std::string(prefix) + "/alerts";
}
std::string camera_alerts_topic(std::string_view prefix, std::string_view camera) {
  return std::string(prefix) + "/" + std::string(camera) + "/alerts";
}
std::string camera_status_topic(std::string_view prefix, std::string_view camera) {
  return std::string(prefix) + "/" + std::string(camera) + "/status";
}
std::string journal_head_topic(std::string_view prefix) {
  return std::string(prefix) + "/journal/head";
}
std::string available_topic(std::string_view prefix) {
  return std::string(prefix) + "/available";
}

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr char kOnline[] = "online";
constexpr char kOffline[] = "offline";

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string default_client_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "vigie";
  return std::string("vigie-") + host;
}

/// A camera id becomes one topic level, so it must not contain level separators or wildcards.
bool is_topic_level(std::string_view s) {
  return !s.empty() && s.find_first_of("/+#") == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

/// libmosquitto's reason for `rc`; for MOSQ_ERR_ERRNO the system's, from the errno saved then.
std::string describe(int rc, int saved_errno) {
  if (rc == MOSQ_ERR_ERRNO) return std::error_code(saved_errno, std::generic_category()).message();
  return mosquitto_strerror(rc);
}

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

}  // namespace

/// One broker connection: a libmosquitto instance and the thread that runs its network loop.
/// A new one is made for every attempt, so nothing queued for a dead connection survives in
/// libmosquitto: after a reconnection the outbox alone decides what is sent, in order.
struct Connection {
  mosquitto* mosq = nullptr;
  Worker thread;  // stopped (and joined) before mosq is destroyed
};

struct MqttPublisher::Impl {
  Impl(config::MqttConfig c, MqttOptions o, std::unique_ptr<Outbox> box)
      : config(std::move(c)),
        options(o),
        client_id(config.client_id.empty() ? default_client_id() : config.client_id),
        broker(config.host + ":" + std::to_string(config.port)),
        available(available_topic(config.topic_prefix)),
        outbox(std::move(box)) {}

  void run(const std::stop_token& stop);
  Status configure(mosquitto* mosq) const;
  void connect();
  void on_connack(int rc);
  void pump();
  void handle_acks(const std::vector<int>& mids);
  void fail(const Status& why, bool refused = false);
  void close_connection();
  void shutdown();
  double next_backoff_s();
  void set_state(Status s) {
    std::lock_guard lock(state_mutex);
    state = std::move(s);
  }

  static void on_connect_cb(mosquitto*, void* obj, int rc);
  static void on_publish_cb(mosquitto*, void* obj, int mid);
  static void network_loop(Impl* impl, Connection* c, const std::stop_token& stop);

  const config::MqttConfig config;
  const MqttOptions options;
  const std::string client_id;
  const std::string broker;  ///< "host:port", for messages
  const std::string available;
  const std::unique_ptr<Outbox> outbox;
  ThrottledLog write_errors{"mqtt outbox", SystemClock::instance()};

  // Shared by callers, libmosquitto's callbacks and the sender. Never held while calling into
  // libmosquitto: its callbacks run with its own locks held and then take this one.
  std::mutex mutex;
  std::condition_variable_any wake;  // any of the below changed (a stop wakes it by itself)
  bool work = false;           ///< new outbox rows or status
  std::optional<int> connack;  ///< CONNACK code of the current connection, once received
  bool lost = false;           ///< the network loop of the current connection ended
  std::string lost_reason;
  std::vector<int> acked_mids;
  // Retained messages of which only the latest matters (camera status, the journal's
  // head), by topic.
  std::map<std::string, std::string> status_latest;
  std::set<std::string> status_dirty;

  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> published{0}, acknowledged{0}, dropped{0}, status_published{0},
      reconnects{0}, connect_failures{0};
  mutable std::mutex state_mutex;
  Status state{StatusCode::kUnavailable, "connecting"};

  std::mutex stop_mutex;  // serialises stop() callers

  // The sender thread's own.
  enum class Link { kDown, kConnecting, kUp };
  Link link = Link::kDown;
  std::unique_ptr<Connection> conn;
  std::map<int, std::int64_t> inflight;  ///< mid -> outbox id, of this connection
  std::int64_t cursor = 0;               ///< last outbox id handed to this connection
  int offline_mid = -1;
  bool offline_acked = false;
  bool ever_connected = false;
  int failures = 0;
  SteadyClock::time_point next_attempt{};
  SteadyClock::time_point connect_deadline{};
  std::string last_logged;
  std::mt19937_64 rng{std::random_device{}()};

  Worker sender;  // last: it uses the members above
};

void MqttPublisher::Impl::on_connect_cb(mosquitto*, void* obj, int rc) {
  auto* impl = static_cast<Impl*>(obj);
  {
    std::lock_guard lock(impl->mutex);
    impl->connack = rc;
  }
  impl->wake.notify_all();
}

void MqttPublisher::Impl::on_publish_cb(mosquitto*, void* obj, int mid) {
  auto* impl = static_cast<Impl*>(obj);
  {
    std::lock_guard lock(impl->mutex);
    impl->acked_mids.push_back(mid);
  }
  impl->wake.notify_all();
}

void MqttPublisher::Impl::network_loop(Impl* impl, Connection* c, const std::stop_token& stop) {
  int rc = MOSQ_ERR_SUCCESS;
  int saved_errno = 0;
  // The timeout bounds how long a stop takes to be seen before the connection is up; once it
  // is, publishes wake the loop at once through libmosquitto's internal socket pair.
  while (!stop.stop_requested()) {
    rc = mosquitto_loop(c->mosq, 250, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      saved_errno = errno;
      break;
    }
  }
  {
    std::lock_guard lock(impl->mutex);
    impl->lost = true;
    impl->lost_reason = rc == MOSQ_ERR_SUCCESS ? "closed" : describe(rc, saved_errno);
  }
  impl->wake.notify_all();
}

Status MqttPublisher::Impl::configure(mosquitto* mosq) const {
  mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (!config.username.empty()) {
    const int rc = mosquitto_username_pw_set(
        mosq, config.username.c_str(), config.password.empty() ? nullptr : config.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return invalid_argument("mqtt.username: " + describe(rc, errno));
  }
  if (config.tls) {
    auto or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    // Without a CA file, the system's CAs (Debian keeps them hashed in /etc/ssl/certs).
    if (config.ca_file.empty()) mosquitto_int_option(mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    const int rc = mosquitto_tls_set(mosq, or_null(config.ca_file),
                                     config.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                                     or_null(config.cert_file), or_null(config.key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return invalid_argument(
          "mqtt: cannot use the TLS files (ca_file, cert_file, key_file: missing or unreadable): " +
          describe(rc, errno));
    }
  }
  const int rc = mosquitto_will_set(mosq, available.c_str(), static_cast<int>(sizeof(kOffline) - 1),
                                    kOffline, 1, true);
  if (rc != MOSQ_ERR_SUCCESS) return invalid_argument("mqtt.topic_prefix: " + describe(rc, errno));
  mosquitto_connect_callback_set(mosq, &Impl::on_connect_cb);
  mosquitto_publish_callback_set(mosq, &Impl::on_publish_cb);
  return Status::ok();
}

double MqttPublisher::Impl::next_backoff_s() {
  const double ceiling = std::min(options.backoff_max_s,
                                  options.backoff_min_s * std::pow(2.0, std::min(failures, 20)));
  ++failures;
  // Jitter spreads nodes that lost the same broker at the same moment.
  std::uniform_real_distribution<double> d(std::max(options.backoff_min_s, ceiling / 2), ceiling);
  return d(rng);
}

void MqttPublisher::Impl::connect() {
  auto c = std::make_unique<Connection>();
  c->mosq = mosquitto_new(client_id.c_str(), true, this);
  if (c->mosq == nullptr) return fail(unavailable("cannot create an MQTT client: out of memory"));
  if (Status s = configure(c->mosq); !s.is_ok()) {
    mosquitto_destroy(c->mosq);
    return fail(s);
  }
  // Other threads (this one) publish while the network thread runs the loop.
  mosquitto_threaded_set(c->mosq, true);
  {
    std::lock_guard lock(mutex);
    connack.reset();
    lost = false;
  }
  // Resolves the host name here (blocking, bounded by the resolver); the TCP connection and
  // CONNACK proceed on the network thread.
  const int rc =
      mosquitto_connect_async(c->mosq, config.host.c_str(), config.port, config.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    const int saved_errno = errno;
    mosquitto_destroy(c->mosq);
    return fail(
        unavailable("cannot connect to broker " + broker + ": " + describe(rc, saved_errno)));
  }
  c->thread = Worker("vigie-mqtt", [this, raw_connection = c.get()](const std::stop_token& stop) {
    network_loop(this, raw_connection, stop);
  });
  conn = std::move(c);
  link = Link::kConnecting;
  connect_deadline = SteadyClock::now() + seconds(options.connect_timeout_s);
}

void MqttPublisher::Impl::on_connack(int rc) {
  if (rc != 0) {
    const std::string who =
        config.username.empty() ? "without a user name" : "as user '" + config.username + "'";
    std::string text = mosquitto_connack_string(rc);
    if (!text.empty() && text.back() == '.') text.pop_back();
    std::string why = "broker " + broker + " refused the connection " + who + ": " + text;
    if (rc == 4 || rc == 5) why += " (check mqtt.username and mqtt.password)";
    return fail(unavailable(why), true);
  }
  link = Link::kUp;
  connected = true;
  failures = 0;
  last_logged.clear();
  set_state(Status::ok());
  if (ever_connected) ++reconnects;
  spdlog::info("mqtt: {} to {} as {} ({} alert messages waiting)",
               ever_connected ? "reconnected" : "connected", broker, client_id, outbox->size());
  ever_connected = true;
  mosquitto_publish(conn->mosq, nullptr, available.c_str(), static_cast<int>(sizeof(kOnline) - 1),
                    kOnline, 1, true);
  // Retained status is the broker's, but a restarted broker without persistence has lost it.
  std::lock_guard lock(mutex);
  for (const auto& [topic, payload] : status_latest) status_dirty.insert(topic);
}

void MqttPublisher::Impl::pump() {
  std::vector<std::pair<std::string, std::string>> statuses;
  {
    std::lock_guard lock(mutex);
    for (const std::string& topic : status_dirty) statuses.emplace_back(topic, status_latest[topic]);
    status_dirty.clear();
  }
  for (const auto& [topic, payload] : statuses) {
    const int rc = mosquitto_publish(conn->mosq, nullptr, topic.c_str(),
                                     static_cast<int>(payload.size()), payload.data(), 1, true);
    if (rc != MOSQ_ERR_SUCCESS) {
      return fail(unavailable("publishing to " + broker + " failed: " + describe(rc, errno)));
    }
    ++status_published;
  }
  while (inflight.size() < options.max_inflight) {
    auto rows = outbox->read_after(
        cursor, std::min<std::size_t>(100, options.max_inflight - inflight.size()));
    if (!rows) {
      write_errors.warn(rows.status().message());
      return;
    }
    if (rows->empty()) return;
    for (const OutboxMessage& m : *rows) {
      int mid = 0;
      const int rc =
          mosquitto_publish(conn->mosq, &mid, m.topic.c_str(), static_cast<int>(m.payload.size()),
                            m.payload.data(), 1, false);
      if (rc != MOSQ_ERR_SUCCESS) {
        return fail(unavailable("publishing to " + broker + " failed: " + describe(rc, errno)));
      }
      inflight[mid] = m.id;
      cursor = m.id;
      ++published;
    }
  }
}

void MqttPublisher::Impl::handle_acks(const std::vector<int>& mids) {
  std::vector<std::int64_t> done;
  for (int mid : mids) {
    if (auto it = inflight.find(mid); it != inflight.end()) {
      done.push_back(it->second);
      inflight.erase(it);
    } else if (mid == offline_mid) {
      offline_acked = true;
    }
  }
  if (Status s = outbox->remove(done); !s.is_ok()) {
    // The rows stay, and are sent again after the next reconnection: a duplicate, not a loss.
    write_errors.warn(s.message());
  }
  // Counted once removed, so a reader that sees the count also sees the smaller outbox.
  acknowledged += done.size();
}

void MqttPublisher::Impl::close_connection() {
  if (conn) {
    conn->thread.stop();
    std::vector<int> mids;
    {
      std::lock_guard lock(mutex);
      mids.swap(acked_mids);
      connack.reset();
      lost = false;
    }
    // Acknowledgements received before the end still mean delivered.
    handle_acks(mids);
    mosquitto_destroy(conn->mosq);
    conn.reset();
  }
  inflight.clear();
  cursor = 0;
  offline_mid = -1;
  link = Link::kDown;
  connected = false;
}

void MqttPublisher::Impl::fail(const Status& why, bool refused) {
  const bool was_up = link == Link::kUp;
  close_connection();
  if (!was_up) ++connect_failures;
  set_state(why);
  const double wait_s = next_backoff_s();
  next_attempt = SteadyClock::now() + seconds(wait_s);
  // One line per change of situation, not one per attempt.
  if (was_up) {
    spdlog::warn("mqtt: connection to {} lost ({}); reconnecting, alerts wait in the outbox",
                 broker, why.message());
  } else if (why.message() != last_logged) {
    if (refused) {
      spdlog::error("mqtt: {}; retrying every {:g} s at most", why.message(),
                    options.backoff_max_s);
    } else {
      spdlog::warn("mqtt: {}; retrying every {:g} s at most, alerts wait in the outbox",
                   why.message(), options.backoff_max_s);
    }
  }
  last_logged = was_up ? std::string() : why.message();
}

void MqttPublisher::Impl::run(const std::stop_token& stop) {
  std::unique_lock lk(mutex);
  while (!stop.stop_requested()) {
    if (link == Link::kDown) {
      if (SteadyClock::now() < next_attempt) {
        wake.wait_until(lk, stop, next_attempt, [] { return false; });  // the backoff, or a stop
        continue;
      }
      lk.unlock();
      connect();
      lk.lock();
      continue;
    }
    const std::optional<int> ack_code = std::exchange(connack, std::nullopt);
    const bool ended = std::exchange(lost, false);
    const std::string reason = lost_reason;
    std::vector<int> mids;
    mids.swap(acked_mids);
    work = false;
    lk.unlock();

    handle_acks(mids);
    if (ack_code && link == Link::kConnecting) on_connack(*ack_code);
    if (ended && link != Link::kDown) {
      fail(unavailable(link == Link::kUp ? reason
                                         : "cannot connect to broker " + broker + ": " + reason));
    }
    if (link == Link::kUp) pump();
    if (link == Link::kConnecting && SteadyClock::now() >= connect_deadline) {
      fail(unavailable("broker " + broker + " did not answer within " +
                       std::to_string(static_cast<int>(options.connect_timeout_s)) + " s"));
    }

    lk.lock();
    auto connection_events = [&] { return connack.has_value() || lost || !acked_mids.empty(); };
    if (link == Link::kConnecting) {
      wake.wait_until(lk, stop, connect_deadline, connection_events);
    } else if (link == Link::kUp) {
      // Flow control: with the window full, new rows wait for acknowledgements.
      const bool can_send = inflight.size() < options.max_inflight;
      wake.wait(lk, stop,
                [&] { return connection_events() || !status_dirty.empty() || (work && can_send); });
    }
  }
  lk.unlock();
  // Stopping: the waits in shutdown() are for the broker, bounded by their own deadlines.
  shutdown();
}

void MqttPublisher::Impl::shutdown() {
  if (link == Link::kUp && conn) {
    int mid = 0;
    if (mosquitto_publish(conn->mosq, &mid, available.c_str(),
                          static_cast<int>(sizeof(kOffline) - 1), kOffline, 1,
                          true) == MOSQ_ERR_SUCCESS) {
      offline_mid = mid;
      offline_acked = false;
      const auto deadline = SteadyClock::now() + seconds(options.stop_timeout_s);
      std::unique_lock lk(mutex);
      while (!offline_acked && !lost && SteadyClock::now() < deadline) {
        wake.wait_until(lk, deadline, [&] { return !acked_mids.empty() || lost; });
        std::vector<int> mids;
        mids.swap(acked_mids);
        lk.unlock();
        handle_acks(mids);
        lk.lock();
      }
    }
    // A clean DISCONNECT tells the broker to discard the will; the loop ends once it is sent.
    mosquitto_disconnect(conn->mosq);
    std::unique_lock lk(mutex);
    wake.wait_for(lk, seconds(1.0), [&] { return lost; });
  }
  close_connection();
  set_state(Status(StatusCode::kCancelled, "stopped"));
  if (ever_connected) {
    spdlog::info("mqtt: disconnected from {} ({} alert messages left in the outbox)", broker,
                 outbox->size());
  }
}

MqttPublisher::MqttPublisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MqttPublisher::~MqttPublisher() {
  stop();
}

void MqttPublisher::publish_alert(const CameraId& camera, const nlohmann::json& alert) {
  if (!is_topic_level(camera)) {
    impl_->dropped += 2;
    impl_->write_errors.warn("camera id '" + camera + "' cannot be a topic level; alert dropped");
    return;
  }
  const std::string payload = alert.dump();
  const std::string& prefix = impl_->config.topic_prefix;
  auto dropped = impl_->outbox->append(
      {{alerts_topic(prefix), payload}, {camera_alerts_topic(prefix, camera), payload}});
  if (!dropped) {
    impl_->dropped += 2;
    impl_->write_errors.warn("alert not stored, hence not published: " +
                             dropped.status().message());
    return;
  }
  if (*dropped > 0) {
    impl_->dropped += *dropped;
    impl_->write_errors.warn("outbox full (" + std::to_string(impl_->options.outbox_max_messages) +
                             " messages): dropped the oldest");
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->work = true;
  }
  impl_->wake.notify_all();
}

void MqttPublisher::publish_status(const CameraId& camera, const nlohmann::json& status) {
  if (!is_topic_level(camera)) {
    impl_->write_errors.warn("camera id '" + camera + "' cannot be a topic level; status dropped");
    return;
  }
  std::string payload = status.dump();
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->sender.stop_requested()) return;
    const std::string topic = camera_status_topic(impl_->config.topic_prefix, camera);
    impl_->status_latest[topic] = std::move(payload);
    impl_->status_dirty.insert(topic);
  }
  impl_->wake.notify_all();
}

void MqttPublisher::publish_journal_head(const nlohmann::json& head) {
  std::string payload = head.dump();
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->sender.stop_requested()) return;
    const std::string topic = journal_head_topic(impl_->config.topic_prefix);
    impl_->status_latest[topic] = std::move(payload);
    impl_->status_dirty.insert(topic);
  }
  impl_->wake.notify_all();
}

void MqttPublisher::stop() {
  std::lock_guard stop_lock(impl_->stop_mutex);
  impl_->sender.stop();
}

MqttStats MqttPublisher::stats() const {
  MqttStats s;
  s.connected = impl_->connected.load();
  s.published = impl_->published.load();
  s.acknowledged = impl_->acknowledged.load();
  s.queued = impl_->outbox->size();
  s.dropped = impl_->dropped.load();
  s.status_published = impl_->status_published.load();
  s.reconnects = impl_->reconnects.load();
  s.connect_failures = impl_->connect_failures.load();
  std::lock_guard lock(impl_->state_mutex);
  s.state = impl_->state;
  return s;
}

const std::string& MqttPublisher::client_id() const {
  return impl_->client_id;
}

Result<std::unique_ptr<MqttPublisher>> make_mqtt_publisher(const config::MqttConfig& config,
                                                           const std::filesystem::path& outbox_dir,
                                                           const MqttOptions& options) {
  init_library();
  auto outbox = Outbox::open(outbox_dir, options.outbox_max_messages);
  if (!outbox) return outbox.status();
  auto impl = std::make_unique<MqttPublisher::Impl>(config, options, std::move(*outbox));
  // Configuration mistakes (unreadable TLS files) are reported now, not retried forever.
  mosquitto* probe = mosquitto_new(impl->client_id.c_str(), true, nullptr);
  if (probe == nullptr) return Status(StatusCode::kInternal, "mqtt: cannot create a client");
  const Status configured = impl->configure(probe);
  mosquitto_destroy(probe);
  if (!configured.is_ok()) return configured;
  if (impl->outbox->size() > 0) {
    spdlog::info("mqtt: {} alert messages from before are waiting in {}", impl->outbox->size(),
                 impl->outbox->path().string());
  }
  MqttPublisher::Impl* raw = impl.get();
  std::unique_ptr<MqttPublisher> publisher(new MqttPublisher(std::move(impl)));
  raw->sender = Worker("vigie-mqtt", [raw](const std::stop_token& stop) { raw->run(stop); });
  return publisher;
}

}  // namespace vigie::publish
