// Journal appends per second: one record per write(), each committed durably.
//
//   journal_bench [--count N] [--dir DIR] [--threads T]
//       SQLite on a real file (WAL, synchronous=FULL), one writer; also 100 records per write;
//       then T threads (default 4) of one store appending N records each, one per write(), as
//       a node's cameras, API and followers do at once; the chain is verified afterwards.
//   journal_bench --postgres [URL] [--writers W] [--threads T] [--count N]
//       PostgreSQL: W writer processes (default 3), each with its own store and connections as
//       separate nodes have, and T threads in each (default 1) appending N records each, one
//       per write(), to the one chain, as a node's cameras, API and followers do at once; the
//       chain is verified afterwards. Without URL a temporary server is started (fsync on, as
//       in production).

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/journal_chain.hpp"
#include "storage/store.hpp"
#include "support/postgres_server.hpp"

namespace {

using namespace vigie::storage;

const nlohmann::json kDetail = {{"alert", 12345},
                                {"camera", "gare-1"},
                                {"type", "intrusion"},
                                {"score", 0.87},
                                {"region", {10.5, 20.0, 64.0, 128.0}}};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Appends `records` records, `per_write` per transaction; false on the first failure.
bool append(Store& store, long records, long per_write) {
  for (long i = 0; i < records; i += per_write) {
    const vigie::Status s = store.write([&](Tx& tx) -> vigie::Status {
      for (long k = 0; k < per_write; ++k) {
        auto r = tx.journal({1700000000000 + i + k, "system", "alert.raised", kDetail});
        if (!r.is_ok()) return r.status();
      }
      return vigie::Status::ok();
    });
    if (!s.is_ok()) {
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
      return false;
    }
  }
  return true;
}

/// Checks the chain from `first_seq` (0: from the start) to the head; 0 when it holds.
int verify_from(const Store& store, std::int64_t first_seq) {
  // The chain the writers made together, checked from the first record they added.
  ChainVerifier verifier;
  std::int64_t after = first_seq > 0 ? first_seq - 1 : 0;
  for (;;) {
    auto page = store.journal({.after_seq = after, .limit = 5000});
    if (!page.is_ok() || page->empty()) break;
    for (const auto& r : *page) {
      if (auto b = verifier.add(r)) {
        std::printf("chain BROKEN at %lld: %s\n", static_cast<long long>(b->seq),
                    b->reason.c_str());
        return 1;
      }
    }
    after = page->back().seq;
  }
  std::printf("chain verified: %lld records, head %s\n", static_cast<long long>(verifier.checked()),
              verifier.head_hash().c_str());
  return 0;
}

/// T threads of one store, each appending `count` records one per write().
int threaded_appends(Store& store, long count, int threads, const char* backend) {
  auto before = store.journal_head();
  const std::int64_t first_seq = before.is_ok() && before->has_value() ? (*before)->seq : 0;
  std::atomic<int> failed{0};
  std::vector<std::thread> workers;
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      if (!append(store, count, 1)) ++failed;
    });
  }
  for (auto& t : workers) t.join();
  const double s = seconds_since(t0);
  if (failed > 0) return 1;
  std::printf("%s: %d threads x %ld journal appends, one per write(): %.3f s, %.0f appends/s\n",
              backend, threads, count, s, static_cast<double>(count * threads) / s);
  return verify_from(store, first_seq);
}

int sqlite_bench(long count, int threads, std::filesystem::path dir) {
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
  for (long per_write : {1L, 100L}) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!append(**store, count, per_write)) return 1;
    const double s = seconds_since(t0);
    std::printf("sqlite: %ld journal appends, %ld per durable write: %.3f s, %.0f appends/s\n",
                count, per_write, s, static_cast<double>(count) / s);
  }
  if (threads > 0) {
    if (const int rc = threaded_appends(**store, count, threads, "sqlite"); rc != 0) return rc;
  }
  store->reset();
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}

int postgres_bench(long count, int writers, int threads_per_writer, std::string url) {
  std::unique_ptr<vigie::test::PostgresServer> server;
  if (url.empty()) {
    server = std::make_unique<vigie::test::PostgresServer>(/*durable=*/true);
    if (!server->ok()) {
      std::fprintf(stderr, "cannot start PostgreSQL: %s\n", server->why().c_str());
      return 77;  // skipped, for ctest
    }
    if (auto e = server->create_database("bench"); !e.empty()) {
      std::fprintf(stderr, "%s\n", e.c_str());
      return 1;
    }
    url = server->url("bench");
  }
  auto checker = open_postgres_store({url, "", 10});
  if (!checker.is_ok()) {
    std::fprintf(stderr, "%s\n", checker.status().to_string().c_str());
    return 1;
  }
  auto before = (*checker)->journal_head();
  const std::int64_t first_seq = before.is_ok() && before->has_value() ? (*before)->seq : 0;

  // Each writer is a process of its own, as a node is. They all open their store, say so on
  // `ready`, and start together when `go` closes.
  int ready[2];
  int go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return 1;
  std::vector<pid_t> children;
  for (int w = 0; w < writers; ++w) {
    const pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      close(ready[0]);
      close(go[1]);
      auto store = open_postgres_store({url, "", 10});
      if (!store.is_ok()) {
        std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
        _exit(1);
      }
      const char byte = 1;
      if (write(ready[1], &byte, 1) != 1) _exit(1);
      char sink = 0;
      while (read(go[0], &sink, 1) > 0) {
      }
      std::atomic<int> failed{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < threads_per_writer; ++t) {
        threads.emplace_back([&] {
          if (!append(**store, count, 1)) ++failed;
        });
      }
      for (auto& t : threads) t.join();
      store->reset();
      _exit(failed > 0 ? 1 : 0);  // not the parent's destructors (its server)
    }
    children.push_back(pid);
  }
  close(ready[1]);
  close(go[0]);
  for (int w = 0; w < writers; ++w) {
    char byte = 0;
    if (read(ready[0], &byte, 1) != 1) {
      std::fprintf(stderr, "a writer could not open its store\n");
      close(go[1]);
      for (pid_t pid : children) waitpid(pid, nullptr, 0);
      return 1;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  close(go[1]);
  int failed = 0;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  const double s = seconds_since(t0);
  if (failed > 0) return 1;
  const long total = count * writers * threads_per_writer;
  std::printf(
      "postgres: %d writer processes x %d threads x %ld journal appends, one per write(): "
      "%.3f s, %.0f appends/s\n",
      writers, threads_per_writer, count, s, static_cast<double>(total) / s);
  return verify_from(**checker, first_seq);
}

}  // namespace

int main(int argc, char** argv) {
  long count = -1;
  int writers = 3;
  int threads = -1;
  bool postgres = false;
  std::string url;
  std::filesystem::path dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc && argv[i + 1][0] != '-';
    if (arg == "--count" && has_value) {
      count = std::atol(argv[++i]);
    } else if (arg == "--dir" && has_value) {
      dir = argv[++i];
    } else if (arg == "--writers" && has_value) {
      writers = std::atoi(argv[++i]);
    } else if (arg == "--threads" && has_value) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--postgres") {
      postgres = true;
      if (has_value) url = argv[++i];
    } else {
      std::fprintf(stderr, "journal_bench: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (postgres) {
    return postgres_bench(count > 0 ? count : 1000, writers > 0 ? writers : 1,
                          threads > 0 ? threads : 1, url);
  }
  return sqlite_bench(count > 0 ? count : 2000, threads >= 0 ? threads : 4, dir);
}
