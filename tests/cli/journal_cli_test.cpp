// `vigie journal verify` and `vigie journal export` as real processes on real databases.

#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/journal_chain.hpp"
#include "storage/store.hpp"
#include "support/process.hpp"

namespace vigie {
namespace {

using nlohmann::json;
using test::run_command;
using ::testing::HasSubstr;

std::string vigie(const std::string& args) {
  return test::vigie_binary() + " " + args;
}

constexpr storage::TimeMs kT0 = 1772323200000;  // 2026-03-01T00:00:00Z

void tamper(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(raw);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_lines(const std::filesystem::path& p, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  test::write_file(p, text);
}

class JournalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 100 records, one a minute from kT0, with doubles in their details.
    auto store = storage::open_sqlite_store(db_);
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    ASSERT_TRUE((*store)
                    ->write([&](storage::Tx& tx) -> Status {
                      for (int i = 1; i <= 100; ++i) {
                        auto r = tx.journal({kT0 + 60000LL * (i - 1),
                                             i % 2 ? "system" : "alice",
                                             i % 3 ? "alert.raised" : "alert.seen",
                                             {{"alert", i}, {"score", 0.1 * i}, {"tiny", 1e-7}}});
                        if (!r.is_ok()) return r.status();
                        head_ = r->hash;
                      }
                      return Status::ok();
                    })
                    .is_ok());
  }

  test::TempDir dir_{"vigie-journal-cli"};
  std::filesystem::path db_ = dir_ / "vigie.db";
  std::string head_;
};

TEST_F(JournalCliTest, VerifySaysOkWithTheHead) {
  auto r = run_command(vigie("journal verify --db " + db_.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 100 records, head " + head_));
  r = run_command(vigie("journal verify --data-dir " + dir_.path().string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 100 records"));
}

TEST_F(JournalCliTest, VerifyNamesTheTamperedRecord) {
  tamper(db_,
         R"(UPDATE journal SET detail = '{"alert":42,"score":0.2,"tiny":1e-07}' WHERE seq = 42)");
  auto r = run_command(vigie("journal verify --db " + db_.string()));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal BROKEN at record 42: hash mismatch"));
}

TEST_F(JournalCliTest, VerifyNamesTheRecordAfterADeletedOne) {
  tamper(db_, "DELETE FROM journal WHERE seq = 60");
  auto r = run_command(vigie("journal verify --db " + db_.string()));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal BROKEN at record 61: gap after 59"));
}

TEST_F(JournalCliTest, VerifyFindsRecordsRemovedFromTheStartWithoutAJournaledPurge) {
  tamper(db_, "DELETE FROM journal WHERE seq < 40");
  auto r = run_command(vigie("journal verify --db " + db_.string()));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal BROKEN at record 40: the journal starts at record 40 but "
                               "no retention purge in it names that record"));
}

TEST_F(JournalCliTest, VerifyFindsTheEndRemovedAgainstAHeadSeenEarlier) {
  const std::string seen = "100:" + head_;
  auto r = run_command(vigie("journal verify --db " + db_.string() + " --expect-head " + seen));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("first record 1 at 2026-03-01T00:00:00"));
  EXPECT_THAT(r.out, HasSubstr("last record 100 at 2026-03-01T01:39:00"));
  EXPECT_THAT(r.out, HasSubstr("the expected head 100 is in the chain"));

  tamper(db_, "DELETE FROM journal WHERE seq > 80");
  // On its own the shortened chain holds together...
  r = run_command(vigie("journal verify --db " + db_.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // ...but not against the head published before.
  r = run_command(vigie("journal verify --db " + db_.string() + " --expect-head " + seen));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal BROKEN after record 80: the expected head 100 is missing"));
  r = run_command(vigie("journal verify --db " + db_.string() + " --expect-head 50:0123"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal BROKEN at record 50: its hash is not the expected head's"));
  r = run_command(vigie("journal verify --db " + db_.string() + " --expect-head 50"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

TEST_F(JournalCliTest, VerifyReadsACopyWithoutWritingToIt) {
  const auto copy_dir = dir_ / "copy";
  std::filesystem::create_directories(copy_dir);
  const auto copy = copy_dir / "vigie.db";
  std::filesystem::copy_file(db_, copy);
  std::filesystem::permissions(copy, std::filesystem::perms::owner_read);
  const std::string before = read_all(copy);
  auto r = run_command(vigie("journal verify --db " + copy.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 100 records, head " + head_));
  EXPECT_EQ(read_all(copy), before);
  EXPECT_FALSE(std::filesystem::exists(copy_dir / "vigie.db-wal"));
}

TEST_F(JournalCliTest, AMissingDatabaseIsAUsageError) {
  auto r = run_command(vigie("journal verify --db " + (dir_ / "absent.db").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no database at"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "absent.db"));
  r = run_command(vigie("journal verify --data-dir " + (dir_ / "nowhere").string()));
  EXPECT_EQ(r.exit_code, 2);
  test::write_file(dir_ / "garbage.db", std::string(5000, 'g'));
  r = run_command(vigie("journal verify --db " + (dir_ / "garbage.db").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("not a vigie database"));
}

TEST_F(JournalCliTest, ExportWritesTheRangeChainedWithAHeadLineAndIsJournaled) {
  // Records 11..30 are stamped in [kT0 + 10 min, kT0 + 30 min).
  const auto r = run_command(vigie("journal export --db " + db_.string() +
                                   " --from 2026-03-01T00:10:00Z --to 2026-03-01T00:30:00Z"
                                   " --user auditor-1"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 21U);
  std::vector<storage::JournalRecord> records;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    auto rec = storage::journal_record_from_json(json::parse(lines[i]));
    ASSERT_TRUE(rec.is_ok()) << rec.status().to_string();
    records.push_back(*rec);
  }
  EXPECT_EQ(records.front().seq, 11);
  EXPECT_EQ(records.back().seq, 30);
  EXPECT_FALSE(storage::verify_chain(records).has_value());
  const json head = json::parse(lines.back());
  EXPECT_EQ(head["chain_head"]["seq"], 101);  // the export's own record
  EXPECT_EQ(head["from"], "2026-03-01T00:10:00.000Z");
  EXPECT_EQ(head["to"], "2026-03-01T00:30:00.000Z");
  EXPECT_EQ(head["records"], 20);
  EXPECT_TRUE(head["exported_at"].is_string());

  auto store = storage::open_sqlite_store(db_);
  ASSERT_TRUE(store.is_ok());
  auto last = (*store)->journal_head();
  ASSERT_TRUE(last.is_ok() && last->has_value());
  EXPECT_EQ((*last)->seq, 101);
  EXPECT_EQ((*last)->action, "journal.exported");
  EXPECT_EQ((*last)->actor, "auditor-1");
  EXPECT_EQ((*last)->detail["from"], "2026-03-01T00:10:00.000Z");
  EXPECT_EQ(head["chain_head"]["hash"], (*last)->hash);

  const auto v = run_command(vigie("journal verify --db " + db_.string()));
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_THAT(v.out, HasSubstr("journal OK: 101 records"));
}

TEST_F(JournalCliTest, AnExportVerifiesOfflineAndTamperingIsFound) {
  const auto file = dir_ / "export.jsonl";
  auto r = run_command(vigie("journal export --db " + db_.string() +
                             " --from 2026-03-01T00:50:00Z --to 2030-01-01T00:00:00Z --out " +
                             file.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_THAT(r.err, HasSubstr("exported 51 records (51 to 101)"));

  // Up to now: the export reaches the head (its own record), which the head line names.
  r = run_command(vigie("journal verify --file " + file.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("journal OK: 51 records, head "));
  EXPECT_THAT(r.out, HasSubstr("reaches the journal's head 101"));

  const auto lines = lines_of(read_all(file));
  ASSERT_EQ(lines.size(), 52U);
  {
    auto edited = lines;
    json j = json::parse(edited[9]);  // record 60
    j["actor"] = "mallory";
    edited[9] = j.dump();
    write_lines(dir_ / "edited.jsonl", edited);
    r = run_command(vigie("journal verify --file " + (dir_ / "edited.jsonl").string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("journal BROKEN at record 60: hash mismatch"));
  }
  {
    auto cut = lines;
    cut.erase(cut.begin() + 20);  // record 71
    write_lines(dir_ / "cut.jsonl", cut);
    r = run_command(vigie("journal verify --file " + (dir_ / "cut.jsonl").string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("journal BROKEN at record 72: gap after 70"));
  }
  {
    // The last record dropped, head line kept: the count gives it away.
    auto truncated = lines;
    truncated.erase(truncated.end() - 2);
    write_lines(dir_ / "truncated.jsonl", truncated);
    r = run_command(vigie("journal verify --file " + (dir_ / "truncated.jsonl").string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("journal BROKEN"));
  }
  {
    auto headless = lines;
    headless.pop_back();
    write_lines(dir_ / "headless.jsonl", headless);
    r = run_command(vigie("journal verify --file " + (dir_ / "headless.jsonl").string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("no chain_head line"));
  }
  r = run_command(vigie("journal verify --file " + (dir_ / "absent.jsonl").string()));
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(JournalCliTest, ExportRefusesBadTimes) {
  auto r = run_command(vigie("journal export --db " + db_.string() +
                             " --from 2026-03-01T00:10:00 --to 2026-03-01T00:30:00Z"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("ISO 8601"));
  r = run_command(vigie("journal export --db " + db_.string() +
                        " --from 2026-03-02T00:00:00Z --to 2026-03-01T00:00:00Z"));
  EXPECT_EQ(r.exit_code, 2);
  r = run_command(vigie("journal export --db " + db_.string() + " --to 2026-03-01T00:00:00Z"));
  EXPECT_EQ(r.exit_code, 2);
  // Nothing was exported, so nothing was journaled.
  r = run_command(vigie("journal verify --db " + db_.string()));
  EXPECT_THAT(r.out, HasSubstr("journal OK: 100 records"));
}

TEST_F(JournalCliTest, HelpDescribesTheSubcommands) {
  for (const char* sub : {"journal", "journal verify", "journal export"}) {
    const auto r = run_command(vigie(std::string(sub) + " --help"));
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << sub;
  }
  const auto r = run_command(vigie("journal export --help"));
  EXPECT_THAT(r.out, HasSubstr("--from"));
  EXPECT_THAT(r.out, HasSubstr("--user"));
}

}  // namespace
}  // namespace vigie
