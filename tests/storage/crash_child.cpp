// Helper of the durability and concurrency tests: commits alerts with their journal records
// to the store SPEC ("sqlite:PATH" or "postgres:URL"), from THREADS threads sharing the one
// store (default 1). With COUNT each thread writes that many and the helper exits; with a
// negative or no COUNT they keep writing until the helper is killed, and it prints
// "committed SOURCE" as each write returns.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "store_backend.hpp"

namespace {

using namespace vigie::storage;

/// Writes `count` alerts (forever when negative) tagged `tag`; false on the first failure.
bool write_alerts(Store& store, long count, const std::string& tag) {
  for (long i = 0; count < 0 || i < count; ++i) {
    const std::string source = i == 0 ? tag + "-first" : tag + "-" + std::to_string(i);
    const vigie::Status s = store.write([&](Tx& tx) -> vigie::Status {
      AlertRecord a;
      a.source_id = source;
      a.camera = "gare-1";
      a.raised_ms = 1000 + i;
      auto id = tx.put_alert(a);
      if (!id.is_ok()) return id.status();
      return tx.journal({1000 + i, "system", "alert.raised", {{"alert", *id}, {"source", source}}})
          .status();
    });
    if (!s.is_ok()) {
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
      return false;
    }
    if (count < 0) {
      static std::mutex out;
      std::lock_guard lock(out);
      std::printf("committed %s\n", source.c_str());
      std::fflush(stdout);
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: storage_crash_child SPEC [COUNT TAG [THREADS]]\n");
    return 2;
  }
  const long count = argc >= 4 ? std::atol(argv[2]) : -1;
  const std::string tag = argc >= 4 ? argv[3] : "crash";
  const int threads = argc == 5 ? std::atoi(argv[4]) : 1;
  auto store = test::open_spec(argv[1]);
  if (!store.is_ok()) {
    std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
    return 1;
  }
  if (threads <= 1) return write_alerts(**store, count, tag) ? 0 : 1;
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      if (!write_alerts(**store, count, tag + "t" + std::to_string(t))) ++failed;
    });
  }
  for (auto& w : writers) w.join();
  return failed > 0 ? 1 : 0;
}
