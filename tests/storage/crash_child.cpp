// Helper of the durability test: commits an alert with its journal record, says so, then
// keeps writing until it is killed.

#include <cstdio>

#include "storage/store.hpp"

int main(int argc, char** argv) {
  using namespace vigie::storage;
  if (argc != 2) return 2;
  auto store = open_sqlite_store(argv[1]);
  if (!store.is_ok()) {
    std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
    return 1;
  }
  for (long i = 0;; ++i) {
    const std::string source = i == 0 ? "crash-first" : "crash-" + std::to_string(i);
    const vigie::Status s = (*store)->write([&](Tx& tx) -> vigie::Status {
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
      return 1;
    }
    if (i == 0) {
      std::fputs("committed\n", stdout);
      std::fflush(stdout);
    }
  }
}
