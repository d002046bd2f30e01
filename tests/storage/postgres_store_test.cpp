// What only the PostgreSQL store has: several processes appending to one chain, connection
// strings and passwords, errors that name the server without the password, read-only
// opening, migrations raced by nodes starting together, and a connection lost and found.

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/journal_chain.hpp"
#include "storage/postgres_schema.hpp"
#include "storage/store.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace vigie::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vigie::test::PostgresServer;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server().ok()) GTEST_SKIP() << "PostgreSQL could not start here: " << server().why();
    static int counter = 0;
    db_ = "pg_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    ASSERT_EQ(server().create_database(db_), "");
  }

  static PostgresServer& server() { return PostgresServer::shared(); }
  [[nodiscard]] std::string url(bool with_password = true) const {
    return server().url(db_, with_password);
  }

  std::unique_ptr<Store> open() {
    auto s = open_postgres_store({url(), "", 10});
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s.is_ok() ? std::move(*s) : nullptr;
  }

  static Status append(Store& store, const std::string& action) {
    return store.write([&](Tx& tx) { return tx.journal({1, "system", action, {}}).status(); });
  }

  static std::vector<JournalRecord> all(Store& store) {
    auto r = store.journal({.limit = 1000000});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : std::vector<JournalRecord>{};
  }

  vigie::test::TempDir dir_{"vigie-pg-store"};
  std::string db_;
};

TEST_F(PostgresStoreTest, ProcessesAndConnectionsAppendingTogetherKeepOneChain) {
  // Three processes (as three nodes would) and two more stores in this process write at
  // once; every write is an alert and its journal record.
  constexpr int kPerProcess = 120;
  constexpr int kPerThread = 80;
  const std::string child = std::string(VIGIE_BINARY_DIR) + "/tests/storage/storage_crash_child";
  std::vector<std::unique_ptr<vigie::test::Child>> children;
  for (int p = 0; p < 3; ++p) {
    children.push_back(std::make_unique<vigie::test::Child>(child + " 'postgres:" + url() + "' " +
                                                            std::to_string(kPerProcess) + " node" +
                                                            std::to_string(p)));
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto store = open_postgres_store({url(), "", 10});
      if (!store.is_ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        const Status s = (*store)->write([&](Tx& tx) -> Status {
          AlertRecord a;
          a.camera = "thread-" + std::to_string(t);
          a.source_id = a.camera + "-" + std::to_string(i);
          auto id = tx.put_alert(a);
          if (!id.is_ok()) return id.status();
          return tx.journal({i, "system", "alert.raised", {{"source", a.source_id}}}).status();
        });
        if (!s.is_ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& c : children) {
    EXPECT_EQ(c->wait(120), 0) << c->err();
  }
  EXPECT_EQ(failures, 0);

  auto store = open();
  ASSERT_TRUE(store);
  const auto records = all(*store);
  const std::size_t expected = 3 * kPerProcess + 2 * kPerThread;
  ASSERT_EQ(records.size(), expected);
  std::set<std::string> sources;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<std::int64_t>(i + 1));
    sources.insert(records[i].detail.value("source", ""));
  }
  EXPECT_EQ(sources.size(), expected);  // no record lost, none written twice
  EXPECT_FALSE(verify_chain(records).has_value());
  EXPECT_EQ(store->alerts({.include_calibration = true, .limit = 100000})->size(), expected);
}

TEST_F(PostgresStoreTest, ConcurrentWritersOfTwoProcessesShareCommitsAndNeverForkTheChain) {
  // Two processes, as two nodes, each with six threads writing through its one store at once:
  // a node's writes are committed together in batches, and batches from both follow each
  // other on the one chain.
  constexpr int kThreads = 6;
  constexpr int kPerThread = 60;
  const std::string child = std::string(VIGIE_BINARY_DIR) + "/tests/storage/storage_crash_child";
  std::vector<std::unique_ptr<vigie::test::Child>> children;
  for (int p = 0; p < 2; ++p) {
    children.push_back(std::make_unique<vigie::test::Child>(
        child + " 'postgres:" + url() + "' " + std::to_string(kPerThread) + " node" +
        std::to_string(p) + " " + std::to_string(kThreads)));
  }
  for (auto& c : children) {
    EXPECT_EQ(c->wait(180), 0) << c->err();
  }
  auto store = open();
  ASSERT_TRUE(store);
  const auto records = all(*store);
  const std::size_t expected = 2 * kThreads * kPerThread;
  ASSERT_EQ(records.size(), expected);
  std::set<std::string> sources;
  std::set<std::int64_t> alerts;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<std::int64_t>(i + 1));
    sources.insert(records[i].detail.value("source", ""));
    alerts.insert(records[i].detail.value("alert", std::int64_t{0}));
  }
  EXPECT_EQ(sources.size(), expected);  // no record lost, none written twice
  EXPECT_EQ(alerts.size(), expected);   // each record names its own alert
  EXPECT_FALSE(verify_chain(records).has_value());
  EXPECT_EQ(store->alerts({.include_calibration = true, .limit = 100000})->size(), expected);
  const auto r = vigie::test::run_command(vigie::test::vigie_binary() +
                                          " journal verify --postgres '" + url() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: " + std::to_string(expected) + " records"));
}

TEST_F(PostgresStoreTest, AWriteRefusedInsideABatchIsRolledBackAloneAndTheOthersCommit) {
  // Eight threads write through one store at once, so their writes share transactions. Every
  // fifth write is refused by its caller after its changes, and the one after it by the
  // database (text that is not UTF-8): each refused write leaves nothing, and its neighbours
  // in the batch commit with their journal records on an unbroken chain.
  auto store = open();
  ASSERT_TRUE(store);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string source = fmt::format("t{}-{}", t, i);
        const int kind = i % 5;  // 3: the caller refuses, 4: the database refuses
        const Status s = store->write([&](Tx& tx) -> Status {
          AlertRecord a;
          a.camera = "gare-1";
          a.source_id = source;
          auto id = tx.put_alert(a);
          if (!id.is_ok()) return id.status();
          auto j = tx.journal({i, "system", "alert.raised", {{"source", source}}});
          if (!j.is_ok()) return j.status();
          if (kind == 3) return invalid_argument("refused by the caller");
          if (kind == 4) return tx.add_comment({0, *id, "olivia", 1, "\xff\xfe"}).status();
          return Status::ok();
        });
        if (s.is_ok() != (kind < 3)) ++unexpected;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected, 0);
  EXPECT_EQ(store->commit_problem(), "");  // refusals say nothing of the database's health

  const auto records = all(*store);
  const std::size_t expected = kThreads * kPerThread * 3 / 5;
  ASSERT_EQ(records.size(), expected);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<std::int64_t>(i + 1));
    const auto source = records[i].detail.value("source", "");
    const int n = std::stoi(source.substr(source.find('-') + 1));
    EXPECT_LT(n % 5, 3) << source;
  }
  EXPECT_FALSE(verify_chain(records).has_value());
  EXPECT_EQ(store->alerts({.include_calibration = true, .limit = 100000})->size(), expected);
}

TEST_F(PostgresStoreTest, AnUnreachableServerIsNamedWithoutThePassword) {
  const int closed_port = 1;  // nothing listens there
  auto s = open_postgres_store(
      {"postgresql://vigie:hunter2-secret@127.0.0.1:" + std::to_string(closed_port) + "/vigie", "",
       5});
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.status().message(), HasSubstr("host 127.0.0.1 port 1 database vigie user vigie"));
  EXPECT_THAT(s.status().message(), Not(HasSubstr("hunter2")));
}

TEST_F(PostgresStoreTest, AWrongPasswordIsRefusedWithoutBeingShown) {
  std::string bad = url(false);
  bad.replace(bad.find("vigie@"), 6, "vigie:wrong-pw-123@");
  auto s = open_postgres_store({bad, "", 10});
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.status().message(), HasSubstr("port " + std::to_string(server().port())));
  EXPECT_THAT(s.status().message(), HasSubstr("password authentication failed"));
  EXPECT_THAT(s.status().message(), Not(HasSubstr("wrong-pw-123")));
}

TEST_F(PostgresStoreTest, ThePasswordComesFromAFileOrTheEnvironment) {
  const auto file = dir_ / "pgpass";
  vigie::test::write_file(file, std::string(PostgresServer::kPassword) + "\n");
  auto from_file = open_postgres_store({url(false), file.string(), 10});
  ASSERT_TRUE(from_file.is_ok()) << from_file.status().to_string();
  EXPECT_TRUE(append(**from_file, "x").is_ok());

  ::setenv("PGPASSWORD", PostgresServer::kPassword, 1);
  auto from_env = open_postgres_store({url(false), "", 10});
  ::unsetenv("PGPASSWORD");
  ASSERT_TRUE(from_env.is_ok()) << from_env.status().to_string();
  EXPECT_EQ(all(**from_env).size(), 1U);

  auto missing = open_postgres_store({url(false), (dir_ / "nope").string(), 10});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("storage.postgres_password_file"));
  vigie::test::write_file(dir_ / "empty", "");
  auto empty = open_postgres_store({url(false), (dir_ / "empty").string(), 10});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("is empty"));
}

TEST_F(PostgresStoreTest, AMalformedUrlIsAnInputError) {
  auto s = open_postgres_store({"postgresql://vigie:pw-xyz-1@127.0.0.1:notaport/db", "", 10});
  ASSERT_FALSE(s.is_ok());
  EXPECT_THAT(s.status().message(), Not(HasSubstr("pw-xyz-1")));
  auto t = open_postgres_store({"host=127.0.0.1 password='pw-xyz-1", "", 10});
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("storage.postgres_url"));
  EXPECT_THAT(t.status().message(), Not(HasSubstr("pw-xyz-1")));
  EXPECT_EQ(open_postgres_store({"", "", 10}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PostgresStoreTest, ReadOnlyOpeningCreatesNothingAndRefusesWrites) {
  auto none = open_postgres_store_read_only({url(), "", 10});
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server().scalar(db_, "SELECT to_regclass('vigie_schema') IS NULL"), "t");

  {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(append(*store, "first").is_ok());
  }
  auto ro = open_postgres_store_read_only({url(), "", 10});
  ASSERT_TRUE(ro.is_ok()) << ro.status().to_string();
  EXPECT_EQ(all(**ro).size(), 1U);
  EXPECT_EQ(append(**ro, "refused").code(), StatusCode::kFailedPrecondition);
}

TEST_F(PostgresStoreTest, MakeStoreOpensThePostgresBackend) {
  config::StorageConfig c;
  c.backend = config::StorageBackend::kPostgres;
  c.postgres_url = url(false);
  c.postgres_password_file = (dir_ / "pw").string();
  vigie::test::write_file(dir_ / "pw", PostgresServer::kPassword);
  auto s = make_store(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ((*s)->schema_version(), static_cast<int>(postgres_migrations().size()));
}

TEST_F(PostgresStoreTest, RefusesADatabaseHoldingAnotherApplicationsTables) {
  ASSERT_EQ(server().exec(db_, "CREATE TABLE invoices (id INTEGER)"), "");
  auto s = open_postgres_store({url(), "", 10});
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("another application"));
  EXPECT_EQ(server().scalar(db_, "SELECT to_regclass('vigie_schema') IS NULL"), "t");
}

TEST_F(PostgresStoreTest, NodesStartingTogetherMigrateOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto s = open_postgres_store({url(), "", 10});
      if (s.is_ok() && append(**s, "started").is_ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(server().scalar(db_, "SELECT version FROM vigie_schema"),
            std::to_string(postgres_migrations().size()));
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_FALSE(verify_chain(all(*store)).has_value());
}

TEST_F(PostgresStoreTest, AConnectionTheServerDropsIsOpenedAgain) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(append(*store, "before").is_ok());
  ASSERT_EQ(all(*store).size(), 1U);
  ASSERT_EQ(server().exec("postgres",
                          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname "
                          "= '" +
                              db_ + "'"),
            "");
  // The write that finds its connection gone fails (Unavailable), and says so; the next one
  // connects again.
  Status s = append(*store, "after");
  if (!s.is_ok()) {
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.to_string();
    EXPECT_NE(store->commit_problem(), "");
    s = append(*store, "after");
  }
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(store->commit_problem(), "");
  auto records = store->journal({.limit = 10});
  if (!records.is_ok()) records = store->journal({.limit = 10});  // the reader's turn
  ASSERT_TRUE(records.is_ok()) << records.status().to_string();
  EXPECT_EQ(records->size(), 2U);
  EXPECT_FALSE(verify_chain(*records).has_value());
}

TEST_F(PostgresStoreTest, ACameraLeaseIsOneNodesUntilItExpiresThenAnotherTakesIt) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  auto claim = [](Store& store, const std::string& node, double lease_s) {
    Result<std::string> previous = std::string();
    Status s = store.write([&](Tx& tx) {
      previous = tx.claim_camera("gate", node, lease_s);
      return previous.status();
    });
    return s.is_ok() ? previous : Result<std::string>(s);
  };
  ASSERT_TRUE(a->heartbeat("node-a", "127.0.0.1:1", 0.6, {{"gate", 1.0}}).is_ok());
  auto first = claim(*a, "node-a", 0.6);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ(*first, "");
  auto refused = claim(*b, "node-b", 0.6);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("node-a"));

  // Renewed by heartbeats, the lease outlives its first term.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto board = a->heartbeat("node-a", "127.0.0.1:1", 0.6, {{"gate", 1.0}});
    ASSERT_TRUE(board.is_ok()) << board.status().to_string();
    ASSERT_EQ(board->leases.size(), 1U);
    EXPECT_TRUE(board->leases[0].live);
    EXPECT_EQ(board->leases[0].node, "node-a");
  }
  EXPECT_FALSE(claim(*b, "node-b", 0.6).is_ok());
  ASSERT_TRUE(b->write([](Tx& tx) { return tx.remove_node("node-a", true).status(); }).is_ok());
  EXPECT_EQ(a->heartbeat("node-a", "", 0.6, {})->nodes.size(), 1U) << "a live node is not removed";

  // Without heartbeats it expires: the next claim takes it over and names the old holder.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  auto board = b->heartbeat("node-b", "127.0.0.1:2", 0.6, {{"gate", 2.5}});
  ASSERT_TRUE(board.is_ok());
  // Each node's cameras, as its latest heartbeat announced them, come back with the board.
  ASSERT_EQ(board->nodes.size(), 2U);
  EXPECT_TRUE(board->nodes[0].cameras.empty()) << "node-a's latest heartbeat announced none";
  EXPECT_EQ(board->nodes[1].cameras, (NodeCameras{{"gate", 2.5}}));
  ASSERT_EQ(board->leases.size(), 1U);
  EXPECT_FALSE(board->leases[0].live);
  auto taken = claim(*b, "node-b", 5);
  ASSERT_TRUE(taken.is_ok()) << taken.status().to_string();
  EXPECT_EQ(*taken, "node-a");
  // The old holder's late heartbeat does not revive its lease.
  board = a->heartbeat("node-a", "127.0.0.1:1", 0.6, {{"gate", 1.0}});
  ASSERT_TRUE(board.is_ok());
  EXPECT_EQ(board->leases[0].node, "node-b");
  Result<bool> released = false;
  ASSERT_TRUE(a->write([&](Tx& tx) {
                 released = tx.release_camera("gate", "node-a");
                 return released.status();
               }).is_ok());
  EXPECT_FALSE(*released) << "a node releases only its own lease";
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  Result<bool> removed = false;
  ASSERT_TRUE(b->write([&](Tx& tx) {
                 removed = tx.remove_node("node-a", true);
                 return removed.status();
               }).is_ok());
  EXPECT_TRUE(*removed);
}

}  // namespace
}  // namespace vigie::storage
