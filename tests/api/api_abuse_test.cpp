// The API under hostile or careless clients, over real HTTP on 127.0.0.1: bodies built to
// exhaust the stack, parallel password guessing, login floods and slow clients. Every wait is
// a poll against a generous deadline; nothing here measures speed.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/api_harness.hpp"

namespace vigie::testing {
namespace {

using nlohmann::json;

/// Holds password checks at their start while closed; open at first, so that the harness can
/// create its users.
class CheckGate {
 public:
  std::function<void()> hook() {
    return [this] {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(60), [&] { return open_; });
    };
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = true;
};

template <typename Pred>
bool poll(Pred pred, double seconds = 30) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

int login_status(int port, const std::string& user, const std::string& password,
                 std::string* retry_after = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  auto r = c.Post("/api/v1/login", json{{"user", user}, {"password", password}}.dump(),
                  "application/json");
  if (!r) {
    ADD_FAILURE() << httplib::to_string(r.error());
    return -1;
  }
  if (retry_after) *retry_after = r->get_header_value("Retry-After");
  return r->status;
}

TEST(ApiAbuse, ADeeplyNestedBodyIs400AndTheServerKeepsServing) {
  HarnessOptions options;
  options.geometry = true;
  ApiHarness h(options);
  auto c = h.client();
  const std::string sup = h.login("sup");
  const std::string path = "/api/v1/cameras/cam-a/geometry?dry_run=1";

  // Nested 300 000 deep (600 KB): building it, then copying it, recursed once per level.
  constexpr std::size_t kDepth = 300000;
  const std::string deep =
      R"({"zones": )" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}";
  auto r = c->Put(path, bearer(sup), deep, "application/json");
  ASSERT_TRUE(r) << "no answer: " << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 400) << r->body;
  const json body = body_json(r);
  EXPECT_EQ(body["error"]["code"], "invalid_argument") << r->body;
  EXPECT_NE(r->body.find("nested deeper than 64"), std::string::npos) << r->body;

  // A body as deep as the limit allows still goes through.
  const std::string ok_depth =
      R"({"zones": )" + std::string(63, '[') + std::string(63, ']') + "}";
  auto fine = c->Put(path, bearer(sup), ok_depth, "application/json");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200) << fine->body;

  auto health = c->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(ApiAbuse, ParallelWrongPasswordsForOneUserAreCheckedNoMoreThanTheFreeFailures) {
  CheckGate gate;
  HarnessOptions options;
  options.hash_pool.before_each = gate.hook();
  ApiHarness h(options);
  // Checks are held until every attempt that will not be checked has its answer: whatever
  // the machine's speed, all 50 attempts are in flight together.
  gate.close();
  constexpr int kAttempts = 50;
  std::atomic<int> answered{0};
  std::atomic<int> checked{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kAttempts; ++i) {
    clients.emplace_back([&] {
      const int status = login_status(h.port(), "op", "wrong-password-" + std::to_string(i));
      if (status == 401) {
        ++checked;
      } else if (status == 429) {
        ++refused;
      } else {
        ADD_FAILURE() << "status " << status;
      }
      ++answered;
    });
  }
  const bool others_answered = poll([&] { return answered.load() >= kAttempts - 5; });
  gate.open();
  for (auto& t : clients) t.join();
  EXPECT_TRUE(others_answered) << "attempts beyond the free failures waited for the checks";
  EXPECT_LE(checked.load(), 5) << "only the free failures may be checked";
  EXPECT_EQ(checked.load() + refused.load(), kAttempts);
  // And the user is now refused.
  EXPECT_EQ(login_status(h.port(), "op", kPassword), 429);
}

TEST(ApiAbuse, ALoginFloodRunsAtMostTwoPasswordChecksAtOnce) {
  CheckGate gate;
  HarnessOptions options;
  options.hash_pool.before_each = gate.hook();
  ApiHarness h(options);
  gate.close();
  // 16 clients log in again and again with the right password, as fast as they are let.
  constexpr int kClients = 16;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  const char* users[] = {"op", "sup", "aud", "adm"};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, user = users[i % 4]] {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
      while (std::chrono::steady_clock::now() < deadline) {
        std::string retry;
        const int status = login_status(h.port(), user, kPassword, &retry);
        if (status == 200) {
          ++ok;
          return;
        }
        // 429 (attempts in flight) and 503 (checks busy) say when to come back.
        std::this_thread::sleep_for(std::chrono::seconds(std::max(1, std::atoi(retry.c_str()))));
      }
    });
  }
  // Two checks run and more wait: the flood is at its cap.
  const bool capped = poll([&] {
    const auto s = h.users->hash_stats();
    return s.running == 2 && s.queued >= 1;
  });
  const auto at_cap = h.users->hash_stats();
  gate.open();
  for (auto& t : clients) t.join();
  EXPECT_TRUE(capped) << "running " << at_cap.running << ", waiting " << at_cap.queued;
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_LE(h.users->hash_stats().peak, 2);
}

TEST(ApiAbuse, LoginsBeyondTheCheckQueueGet503WithRetryAfterAndCountNoFailure) {
  CheckGate gate;
  HarnessOptions options;
  options.hash_pool = {.threads = 1, .queue = 1, .max_wait_s = 60, .before_each = gate.hook()};
  ApiHarness h(options);
  gate.close();
  std::vector<std::thread> held;
  std::atomic<int> ok{0};
  for (const char* user : {"op", "sup"}) {
    held.emplace_back([&, user] {
      const int status = login_status(h.port(), user, kPassword);
      if (status == 200) {
        ++ok;
      } else {
        ADD_FAILURE() << user << ": " << status;
      }
    });
  }
  const bool full = poll([&] {
    const auto s = h.users->hash_stats();
    return s.running == 1 && s.queued == 1;
  });
  EXPECT_TRUE(full) << "running " << h.users->hash_stats().running << ", waiting "
                    << h.users->hash_stats().queued << ", done " << h.users->hash_stats().done;
  std::string retry;
  EXPECT_EQ(login_status(h.port(), "aud", "wrong-password", &retry), 503);
  EXPECT_EQ(retry, "1");
  gate.open();
  for (auto& t : held) t.join();
  EXPECT_EQ(ok.load(), 2);
  // The refused attempt was never checked, so it counts as no failure: five wrong passwords
  // are still checked before a refusal.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login_status(h.port(), "aud", "wrong-password"), 401);
  EXPECT_EQ(login_status(h.port(), "aud", kPassword), 429);
}

}  // namespace
}  // namespace vigie::testing
