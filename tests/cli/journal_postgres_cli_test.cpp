// `vigie journal verify` and `vigie journal export` against PostgreSQL, as real processes on
// a real server: the same answers as on an SQLite file, and errors that name the server
// without its password.

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/store.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace vigie {
namespace {

using test::PostgresServer;
using test::run_command;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr storage::TimeMs kT0 = 1772323200000;  // 2026-03-01T00:00:00Z

class JournalPostgresCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = PostgresServer::shared();
    if (!server.ok()) GTEST_SKIP() << "PostgreSQL could not start here: " << server.why();
    static int counter = 0;
    db_ = "cli_" + std::to_string(++counter);
    ASSERT_EQ(server.create_database(db_), "");
    test::write_file(password_file_, PostgresServer::kPassword);
    auto store = storage::open_postgres_store({url(), "", 10});
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    ASSERT_TRUE((*store)
                    ->write([&](storage::Tx& tx) -> Status {
                      for (int i = 1; i <= 60; ++i) {
                        auto r = tx.journal({kT0 + 60000LL * (i - 1),
                                             "system",
                                             "alert.raised",
                                             {{"alert", i}, {"score", 0.1 * i}}});
                        if (!r.is_ok()) return r.status();
                        head_ = r->hash;
                      }
                      return Status::ok();
                    })
                    .is_ok());
  }

  [[nodiscard]] std::string url() const { return PostgresServer::shared().url(db_); }
  /// The command line's way: the URL without the password, which comes from a file.
  [[nodiscard]] std::string where() const {
    return "--postgres '" + PostgresServer::shared().url(db_, false) + "' --password-file " +
           password_file_.string();
  }
  static std::string vigie(const std::string& args) { return test::vigie_binary() + " " + args; }

  test::TempDir dir_{"vigie-journal-pg-cli"};
  std::filesystem::path password_file_ = dir_ / "pgpassword";
  std::string db_;
  std::string head_;
};

TEST_F(JournalPostgresCliTest, VerifySaysOkAndNamesATamperedRecord) {
  auto r = run_command(vigie("journal verify " + where()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 60 records, head " + head_));
  // Verification leaves no trace: a read-only session journals nothing.
  EXPECT_EQ(PostgresServer::shared().scalar(db_, "SELECT COUNT(*) FROM journal"), "60");

  ASSERT_EQ(PostgresServer::shared().exec(db_, "UPDATE journal SET actor = 'x' WHERE seq = 42"),
            "");
  r = run_command(vigie("journal verify " + where()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("journal BROKEN at record 42: hash mismatch"));
}

TEST_F(JournalPostgresCliTest, ExportIsJournaledAndVerifiesOffline) {
  const auto out = dir_ / "export.jsonl";
  auto r = run_command(vigie("journal export " + where() +
                             " --from 2026-03-01T00:10:00Z --to 2026-03-01T00:20:00Z --out " +
                             out.string() + " --user auditor"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("exported 10 records (11 to 20)"));
  EXPECT_EQ(PostgresServer::shared().scalar(
                db_, "SELECT actor FROM journal WHERE action = 'journal.exported'"),
            "auditor");
  r = run_command(vigie("journal verify --file " + out.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 10 records"));
}

TEST_F(JournalPostgresCliTest, AnUnreachableServerIsNamedWithoutThePassword) {
  auto r = run_command(
      vigie("journal verify --postgres 'postgresql://vigie:s3cret-pw-99@127.0.0.1:1/vigie'"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot connect to PostgreSQL at host 127.0.0.1 port 1"));
  EXPECT_THAT(r.err + r.out, Not(HasSubstr("s3cret-pw-99")));
  r = run_command(
      vigie("journal verify --postgres '" + PostgresServer::shared().url("nodb") + "'"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("database nodb"));
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
}

TEST_F(JournalPostgresCliTest, ADatabaseWithoutAVigieSchemaIsAUsageError) {
  ASSERT_EQ(PostgresServer::shared().create_database(db_ + "_empty"), "");
  auto r = run_command(
      vigie("journal verify --postgres '" + PostgresServer::shared().url(db_ + "_empty") + "'"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("holds no vigie schema"));
}

}  // namespace
}  // namespace vigie
