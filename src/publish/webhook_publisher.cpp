#include "publish/webhook_publisher.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/digest.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "core/worker.hpp"

namespace vigie::publish {

std::string webhook_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

namespace {

using SteadyClock = std::chrono::steady_clock;

/// A webhook URL split for httplib: the client is made from the origin, requests use the path.
struct Target {
  std::string origin;  ///< scheme://host[:port]
  std::string path;    ///< path and query, at least "/"
  std::string user;    ///< from user:password@ in the URL, for basic authentication
  std::string password;
};

Result<Target> parse_target(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return invalid_argument("webhook URL " + webhook_origin(url) + " has no scheme");
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return invalid_argument("webhook URL must start with http:// or https://");
  }
  const std::size_t host_start = scheme_end + 3;
  const std::size_t host_end = std::min(url.find_first_of("/?#", host_start), url.size());
  std::string_view authority = url.substr(host_start, host_end - host_start);
  Target t;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    t.user = std::string(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) t.password = std::string(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  if (authority.empty())
    return invalid_argument("webhook URL " + webhook_origin(url) + " has no host");
  t.origin = std::string(scheme) + "://" + std::string(authority);
  std::string rest(url.substr(host_end));
  if (const std::size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  t.path = rest.empty() || rest[0] != '/' ? "/" + rest : rest;
  return t;
}

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

}  // namespace

std::string webhook_origin(std::string_view url) {
  const std::string clean = redact_url(url);
  const std::size_t scheme = clean.find("://");
  const std::size_t end = clean.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  return end == std::string::npos ? clean : clean.substr(0, end);
}

struct WebhookPublisher::Impl {
  struct Hook {
    config::WebhookConfig config;
    Target target;
    std::string name;  ///< origin, for logs
    std::unique_ptr<httplib::Client> client;
    std::unique_ptr<ThrottledLog> log;
  };
  struct Delivery {
    std::size_t hook = 0;
    std::string body;
    int attempts = 0;
    SteadyClock::time_point due{};
  };

  enum class Outcome { kDelivered, kAbandoned, kRetry };

  void run(const std::stop_token& stop);
  /// Sends one request; on kRetry, `d.due` says when to try again.
  Outcome attempt(Delivery& d);

  WebhookOptions options;
  std::vector<Hook> hooks;  // the clients and logs: the delivery thread's only

  std::mutex mutex;
  std::condition_variable_any wake;  // a delivery was queued (a stop wakes it by itself)
  std::deque<Delivery> queue;        // guarded by mutex
  std::mutex stop_mutex;             // serialises stop() callers

  std::atomic<std::uint64_t> delivered{0}, attempts{0}, retries{0}, failed{0}, dropped{0};
  std::atomic<std::uint64_t> queued{0};
  Worker thread;  // last: it uses the members above
};

WebhookPublisher::Impl::Outcome WebhookPublisher::Impl::attempt(Delivery& d) {
  Hook& hook = hooks[d.hook];
  const auto unix_s = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const httplib::Headers headers = {
      {"X-Vigie-Signature", webhook_signature(hook.config.secret, d.body)},
      {"X-Vigie-Timestamp", std::to_string(unix_s)},
  };
  ++attempts;
  ++d.attempts;
  const httplib::Result res =
      hook.client->Post(hook.target.path, headers, d.body, "application/json");
  std::string problem;
  bool retry = true;
  if (!res) {
    problem = "no answer (" + httplib::to_string(res.error()) + ")";
  } else if (res->status >= 200 && res->status < 300) {
    return Outcome::kDelivered;
  } else {
    problem = "answered HTTP " + std::to_string(res->status);
    // Other client errors say the request itself is wrong: sending it again cannot help.
    retry = res->status >= 500 || res->status == 408 || res->status == 429;
  }
  if (!retry || d.attempts >= options.max_attempts) {
    hook.log->warn(problem + "; alert abandoned after " + std::to_string(d.attempts) +
                   (d.attempts == 1 ? " attempt" : " attempts"));
    return Outcome::kAbandoned;
  }
  const double ceiling =
      std::min(options.backoff_max_s, options.backoff_min_s * std::pow(2.0, d.attempts - 1));
  d.due = SteadyClock::now() + seconds(ceiling);
  hook.log->warn(problem + "; retrying");
  return Outcome::kRetry;
}

void WebhookPublisher::Impl::run(const std::stop_token& stop) {
  std::unique_lock lk(mutex);
  while (!stop.stop_requested()) {
    // The first due delivery, in arrival order; otherwise sleep until the earliest is due.
    const auto now = SteadyClock::now();
    auto due =
        std::find_if(queue.begin(), queue.end(), [&](const Delivery& d) { return d.due <= now; });
    if (due == queue.end()) {
      if (queue.empty()) {
        wake.wait(lk, stop, [&] { return !queue.empty(); });
      } else {
        const SteadyClock::time_point earliest =
            std::min_element(queue.begin(), queue.end(), [](const Delivery& a, const Delivery& b) {
              return a.due < b.due;
            })->due;
        // A new delivery, due at once, ends the wait for a retry early.
        wake.wait_until(lk, stop, earliest,
                        [&, waiting = queue.size()] { return queue.size() != waiting; });
      }
      continue;
    }
    Delivery d = std::move(*due);
    queue.erase(due);
    lk.unlock();
    const Outcome outcome = attempt(d);
    lk.lock();
    if (outcome == Outcome::kRetry) {
      ++retries;
      queue.push_back(std::move(d));
    } else {
      // Out of the queue first, so a reader that sees the delivery also sees the queue shrink.
      --queued;
      ++(outcome == Outcome::kDelivered ? delivered : failed);
    }
  }
  if (!queue.empty()) {
    spdlog::warn("webhooks: {} alert deliveries not made at stop", queue.size());
    dropped += queue.size();
    queued -= queue.size();
    queue.clear();
  }
}

WebhookPublisher::WebhookPublisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookPublisher::~WebhookPublisher() {
  stop();
}

void WebhookPublisher::publish_alert(const CameraId& /*camera*/, const nlohmann::json& alert) {
  std::optional<EventType> type;
  if (auto it = alert.find("type"); it != alert.end() && it->is_string()) {
    type = parse_event_type(it->get<std::string>());
  }
  std::string body;
  std::size_t added = 0;
  {
    std::lock_guard lock(impl_->mutex);
    // Read under the mutex: the delivery thread counts what is left as dropped under it too.
    if (impl_->thread.stop_requested()) return;
    for (std::size_t i = 0; i < impl_->hooks.size(); ++i) {
      const auto& types = impl_->hooks[i].config.event_types;
      if (!types.empty() &&
          (!type || std::find(types.begin(), types.end(), *type) == types.end())) {
        continue;
      }
      if (impl_->queue.size() >= impl_->options.queue_max) {
        ++impl_->dropped;
        impl_->hooks[i].log->warn("delivery queue full; alert dropped");
        continue;
      }
      if (body.empty()) body = alert.dump();
      impl_->queue.push_back({i, body, 0, SteadyClock::now()});
      ++added;
    }
    impl_->queued += added;
  }
  if (added > 0) impl_->wake.notify_all();
}

void WebhookPublisher::publish_status(const CameraId& /*camera*/,
                                      const nlohmann::json& /*status*/) {}

void WebhookPublisher::stop() {
  std::lock_guard stop_lock(impl_->stop_mutex);
  impl_->thread.stop();
}

WebhookStats WebhookPublisher::stats() const {
  WebhookStats s;
  s.delivered = impl_->delivered.load();
  s.attempts = impl_->attempts.load();
  s.retries = impl_->retries.load();
  s.failed = impl_->failed.load();
  s.dropped = impl_->dropped.load();
  s.queued = impl_->queued.load();
  return s;
}

Result<std::unique_ptr<WebhookPublisher>> make_webhook_publisher(
    const std::vector<config::WebhookConfig>& webhooks, const WebhookOptions& options) {
  auto impl = std::make_unique<WebhookPublisher::Impl>();
  impl->options = options;
  for (const config::WebhookConfig& w : webhooks) {
    auto target = parse_target(w.url);
    if (!target) return target.status();
    WebhookPublisher::Impl::Hook hook;
    hook.config = w;
    hook.target = std::move(*target);
    hook.name = webhook_origin(w.url);
    hook.client = std::make_unique<httplib::Client>(hook.target.origin);
    if (!hook.client->is_valid()) {
      return invalid_argument("webhook " + hook.name + ": cannot make an HTTP client for it");
    }
    if (!hook.target.user.empty()) {
      hook.client->set_basic_auth(hook.target.user.c_str(), hook.target.password.c_str());
    }
    const auto whole = [](double s) { return static_cast<time_t>(s); };
    const auto micros = [](double s) {
      return static_cast<time_t>(std::llround((s - std::floor(s)) * 1e6));
    };
    hook.client->set_connection_timeout(whole(options.connect_timeout_s),
                                        micros(options.connect_timeout_s));
    hook.client->set_read_timeout(whole(options.timeout_s), micros(options.timeout_s));
    hook.client->set_write_timeout(whole(options.timeout_s), micros(options.timeout_s));
    hook.log = std::make_unique<ThrottledLog>("webhook " + hook.name, SystemClock::instance());
    impl->hooks.push_back(std::move(hook));
  }
  WebhookPublisher::Impl* raw = impl.get();
  std::unique_ptr<WebhookPublisher> publisher(new WebhookPublisher(std::move(impl)));
  raw->thread = Worker("vigie-webhook", [raw](const std::stop_token& stop) { raw->run(stop); });
  return publisher;
}

}  // namespace vigie::publish
