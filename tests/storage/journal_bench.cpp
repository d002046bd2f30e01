// Journal appends per second on a real file: one record per write(), each committed durably
// (WAL, synchronous=FULL), from a single writer. Also a batched figure for comparison.
//
//   journal_bench [--count N] [--dir DIR]     (DIR defaults to a fresh folder under /tmp)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/store.hpp"

int main(int argc, char** argv) {
  using namespace vigie::storage;
  long count = 2000;
  std::filesystem::path dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--count") {
      count = std::atol(argv[i + 1]);
    } else if (arg == "--dir") {
      dir = argv[i + 1];
    }
  }
  const bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/vigie-journal-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 1;
    dir = tmpl;
  }
  const auto db = dir / "journal-bench.db";
  std::filesystem::remove(db);
  auto store = open_sqlite_store(db);
  if (!store.is_ok()) {
    std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
    return 1;
  }
  const nlohmann::json detail = {{"alert", 12345}, {"camera", "gare-1"}, {"type", "intrusion"},
                                 {"score", 0.87}, {"region", {10.5, 20.0, 64.0, 128.0}}};
  const auto run = [&](long records, long per_write) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < records; i += per_write) {
      const vigie::Status s = (*store)->write([&](Tx& tx) -> vigie::Status {
        for (long k = 0; k < per_write; ++k) {
          auto r = tx.journal({1700000000000 + i + k, "system", "alert.raised", detail});
          if (!r.is_ok()) return r.status();
        }
        return vigie::Status::ok();
      });
      if (!s.is_ok()) {
        std::fprintf(stderr, "%s\n", s.to_string().c_str());
        std::exit(1);
      }
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const double single = run(count, 1);
  std::printf("%ld journal appends, one per durable write: %.3f s, %.0f appends/s\n", count,
              single, static_cast<double>(count) / single);
  const double batched = run(count, 100);
  std::printf("%ld journal appends, 100 per durable write: %.3f s, %.0f appends/s\n", count,
              batched, static_cast<double>(count) / batched);
  store->reset();
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
