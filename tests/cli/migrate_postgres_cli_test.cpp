// `vigie migrate`: a single node's SQLite store moved into PostgreSQL by the real command on
// a real server. Everything arrives with its ids, the journal goes on as one chain that
// `vigie journal verify --postgres` accepts, a database already in use is refused, and a
// copy that fails half-way leaves nothing behind.

#include <sqlite3.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/store.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace vigie {
namespace {

using storage::AlertRecord;
using storage::Tx;
using test::PostgresServer;
using test::run_command;
using ::testing::HasSubstr;

constexpr storage::TimeMs kT0 = 1772323200000;  // 2026-03-01T00:00:00Z

class MigratePostgresCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = PostgresServer::shared();
    if (!server.ok()) GTEST_SKIP() << "PostgreSQL could not start here: " << server.why();
    static int counter = 0;
    db_ = "migrate_" + std::to_string(++counter);
    ASSERT_EQ(server.create_database(db_), "");
    test::write_file(password_file_, PostgresServer::kPassword);
    fill_sqlite();
  }

  /// A node's history: alerts (one in calibration) with a verdict, comments and evidence,
  /// users, an authorization, a geometry, and the journal records all of it wrote.
  void fill_sqlite() {
    auto store = storage::open_sqlite_store(sqlite_);
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    for (int i = 1; i <= 5; ++i) {
      const Status s = (*store)->write([&](Tx& tx) -> Status {
        AlertRecord a;
        a.source_id = "gare-1-intrusion-" + std::to_string(i);
        a.type = i % 2 == 0 ? EventType::kFire : EventType::kIntrusion;
        a.camera = "gare-1";
        a.zone = "quai";
        a.start_s = 1.25 * i;
        a.last_s = 2.5 * i;
        a.raised_ms = kT0 + 1000 * i;
        a.updated_ms = a.raised_ms;
        a.score = 0.1 * i;
        a.region = {1.5, 2, 30, 60};
        a.polygon = {{0, 0}, {10, 0}, {10, 10}};
        a.params = {{"dwell_s", 3.5}};
        a.calibration = i == 5;
        if (i == 2) {
          a.state = storage::AlertState::kDismissed;
          a.verdict_by = "olivia";
          a.verdict_ms = a.raised_ms + 30000;
          a.reason = "shadow";
        }
        auto id = tx.put_alert(a);
        if (!id.is_ok()) return id.status();
        ids_.push_back(*id);
        if (auto c = tx.add_comment({0, *id, "olivia", a.raised_ms + 5, "vu"}); !c.is_ok()) {
          return c.status();
        }
        auto e = tx.add_evidence({0, *id, "snapshot", true, "2026/03/01/a.jpg",
                                  std::string(64, 'a'), 1234, a.raised_ms, 1.25, 1.25,
                                  "node-" + std::to_string(i)});
        if (!e.is_ok()) return e.status();
        return tx
            .journal({a.raised_ms, "system", "alert.raised", {{"alert", *id}, {"score", 0.1 * i}}})
            .status();
      });
      ASSERT_TRUE(s.is_ok()) << s.to_string();
    }
    const Status s = (*store)->write([&](Tx& tx) -> Status {
      if (auto st = tx.put_user({"olivia", "operator", "$argon2id$v=19$fake", false, kT0});
          !st.is_ok()) {
        return st;
      }
      if (auto st = tx.put_authorization({"AP-2026-17",
                                          {"gare-1"},
                                          {EventType::kIntrusion, EventType::kFire},
                                          kT0,
                                          kT0 + 86400000,
                                          "préfecture",
                                          "config",
                                          false});
          !st.is_ok()) {
        return st;
      }
      if (auto st = tx.put_camera_geometry({"gare-1", R"({"zones":[]})", kT0 + 10, "admin"});
          !st.is_ok()) {
        return st;
      }
      auto r = tx.journal({kT0 + 9000, "admin", "user.created", {{"name", "olivia"}}});
      if (!r.is_ok()) return r.status();
      head_ = r->hash;
      return Status::ok();
    });
    ASSERT_TRUE(s.is_ok()) << s.to_string();
  }

  [[nodiscard]] std::string where() const {
    return "--postgres '" + PostgresServer::shared().url(db_, false) + "' --password-file " +
           password_file_.string();
  }
  static std::string vigie(const std::string& args) { return test::vigie_binary() + " " + args; }
  [[nodiscard]] std::string count(const char* table) const {
    return PostgresServer::shared().scalar(db_, std::string("SELECT COUNT(*) FROM ") + table);
  }
  void sqlite_exec(const std::string& sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(sqlite_.c_str(), &raw), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
    const std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(raw);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  test::TempDir dir_{"vigie-migrate-cli"};
  std::filesystem::path password_file_ = dir_ / "pgpassword";
  std::filesystem::path sqlite_ = dir_ / "vigie.db";
  std::string db_;
  std::vector<std::int64_t> ids_;
  std::string head_;
};

TEST_F(MigratePostgresCliTest, MovesEverythingWithItsIdsAndTheChainVerifies) {
  auto r = run_command(vigie("migrate --db " + sqlite_.string() + " " + where() + " --user admin"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("5 alerts, 5 comments, 5 evidence records, 1 users, "
                               "1 authorizations, 1 camera geometries, 6 journal records"));

  // The chain goes on from the SQLite head: the record of the copy follows it.
  EXPECT_EQ(PostgresServer::shared().scalar(db_, "SELECT hash FROM journal WHERE seq = 6"), head_);
  EXPECT_EQ(PostgresServer::shared().scalar(db_, "SELECT prev_hash FROM journal WHERE seq = 7"),
            head_);
  EXPECT_EQ(PostgresServer::shared().scalar(db_,
                                            "SELECT action || ' ' || actor FROM journal "
                                            "WHERE seq = 7"),
            "store.migrated admin");
  r = run_command(vigie("journal verify " + where()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 7 records"));

  // What a node on PostgreSQL reads is what the SQLite node had, field for field.
  auto sqlite = storage::open_sqlite_store_read_only(sqlite_);
  ASSERT_TRUE(sqlite.is_ok());
  auto pg = storage::open_postgres_store({PostgresServer::shared().url(db_), "", 10});
  ASSERT_TRUE(pg.is_ok()) << pg.status().to_string();
  storage::AlertQuery all;
  all.include_calibration = true;
  auto before = (*sqlite)->alerts(all);
  auto after = (*pg)->alerts(all);
  ASSERT_TRUE(before.is_ok() && after.is_ok());
  ASSERT_EQ(after->size(), 5U);
  for (std::size_t i = 0; i < before->size(); ++i) {
    const auto& a = (*before)[i];
    const auto& b = (*after)[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.source_id, b.source_id);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.start_s, b.start_s);
    EXPECT_EQ(a.score, b.score);
    EXPECT_EQ(a.region, b.region);
    EXPECT_EQ(a.polygon, b.polygon);
    EXPECT_EQ(a.params, b.params);
    EXPECT_EQ(a.calibration, b.calibration);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.verdict_ms, b.verdict_ms);
    auto ca = (*sqlite)->comments(a.id);
    auto cb = (*pg)->comments(b.id);
    ASSERT_TRUE(ca.is_ok() && cb.is_ok());
    ASSERT_EQ(cb->size(), 1U);
    EXPECT_EQ((*ca)[0].id, (*cb)[0].id);
    EXPECT_EQ((*ca)[0].text, (*cb)[0].text);
    auto ea = (*sqlite)->evidence(a.id);
    auto eb = (*pg)->evidence(b.id);
    ASSERT_TRUE(ea.is_ok() && eb.is_ok());
    ASSERT_EQ(eb->size(), 1U);
    EXPECT_EQ((*ea)[0].id, (*eb)[0].id);
    EXPECT_EQ((*ea)[0].path, (*eb)[0].path);
    EXPECT_EQ((*ea)[0].sha256, (*eb)[0].sha256);
    // Which node keeps the file travels with the record.
    EXPECT_FALSE((*eb)[0].node.empty());
    EXPECT_EQ((*ea)[0].node, (*eb)[0].node);
  }
  auto user = (*pg)->user("olivia");
  ASSERT_TRUE(user.is_ok() && user->has_value());
  EXPECT_EQ((*user)->password_hash, "$argon2id$v=19$fake");
  auto auths = (*pg)->authorizations();
  ASSERT_TRUE(auths.is_ok());
  ASSERT_EQ(auths->size(), 1U);
  EXPECT_EQ((*auths)[0].controller, "préfecture");
  EXPECT_EQ((*auths)[0].event_types.size(), 2U);
  auto geometries = (*pg)->camera_geometries();
  ASSERT_TRUE(geometries.is_ok());
  ASSERT_EQ(geometries->size(), 1U);
  EXPECT_EQ((*geometries)[0].json, R"({"zones":[]})");

  // A node writing next continues after the copied ids and chains after the copy.
  std::int64_t next = 0;
  ASSERT_TRUE(
      (*pg)
          ->write([&](Tx& tx) -> Status {
            AlertRecord a = (*before)[0];
            a.id = 0;
            auto id = tx.put_alert(a);
            if (!id.is_ok()) return id.status();
            next = *id;
            return tx.journal({kT0 + 99000, "system", "alert.raised", {{"alert", next}}}).status();
          })
          .is_ok());
  EXPECT_GT(next, *std::max_element(ids_.begin(), ids_.end()));
  r = run_command(vigie("journal verify " + where()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 8 records"));
}

TEST_F(MigratePostgresCliTest, ADatabaseThatHoldsDataIsRefusedAndLeftAsItWas) {
  auto r = run_command(vigie("migrate --db " + sqlite_.string() + " " + where()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_command(vigie("migrate --db " + sqlite_.string() + " " + where()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("already holds vigie data (alerts: 5 rows"));
  EXPECT_THAT(r.err, HasSubstr("journal: 7 rows"));
  EXPECT_THAT(r.err, HasSubstr("nothing was copied"));
  EXPECT_EQ(count("journal"), "7");
  EXPECT_EQ(count("alerts"), "5");
}

TEST_F(MigratePostgresCliTest, AFailureHalfWayLeavesNothingCopied) {
  // Alerts, users and most of the journal copy fine; record 4 does not verify, so the copy
  // fails after them, and the transaction takes everything back.
  sqlite_exec("UPDATE journal SET actor = 'mallory' WHERE seq = 4");
  auto r = run_command(vigie("migrate --db " + sqlite_.string() + " " + where()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("the source's journal does not verify at record 4: hash mismatch"));
  for (const char* table : {"alerts", "comments", "evidence", "users", "authorizations",
                            "camera_geometry", "journal"}) {
    EXPECT_EQ(count(table), "0") << table;
  }
}

TEST_F(MigratePostgresCliTest, AMissingSourceIsAUsageError) {
  auto r = run_command(vigie("migrate --data-dir " + (dir_ / "nothing").string() + " " + where()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no SQLite store at"));
}

}  // namespace
}  // namespace vigie
