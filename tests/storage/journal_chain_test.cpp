// The journal's hash chain, without a database.

#include <gtest/gtest.h>

#include "storage/journal_chain.hpp"

namespace vigie::storage {
namespace {

using nlohmann::json;

JournalRecord chained(std::int64_t seq, const std::string& prev_hash, json detail) {
  JournalRecord r;
  r.seq = seq;
  r.at_ms = 1700000000000 + seq;
  r.actor = "system";
  r.action = "alert.raised";
  r.detail = std::move(detail);
  r.prev_hash = prev_hash;
  r.hash = journal_hash(r);
  return r;
}

std::vector<JournalRecord> chain(int n) {
  std::vector<JournalRecord> out;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    out.push_back(chained(i, prev, {{"i", i}}));
    prev = out.back().hash;
  }
  return out;
}

TEST(JournalChainTest, HashIsSha256OfTheSortedCompactJson) {
  // The same value as: printf '%s' '<canonical>' | sha256sum, and as Python's
  // json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).
  JournalRecord r;
  r.seq = 1;
  r.at_ms = 1700000000000;
  r.actor = "system";
  r.action = "alert.raised";
  r.detail = {{"zone", "quai \xc3\xa9"}, {"score", 0.1}, {"tiny", 1e-7}, {"camera", "gare-1"}};
  r.prev_hash = kGenesisHash;
  r.hash = "ignored";
  EXPECT_EQ(journal_hash(r), "df9752158a907d849cfd54462e02c9bcb9d28667e3a6cd449abea919d28f9e17");
}

TEST(JournalChainTest, DoublesHashTheSameAfterAnExportRoundTrip) {
  const json detail = {{"a", 0.1},   {"b", 1e-7},   {"c", 1.0 / 3.0}, {"d", 1e300},
                       {"e", -0.0},  {"f", 1.0},    {"g", 123456789012345678},
                       {"h", -5},    {"i", 2.5e-320}, {"j", json::array({0.2, 0.3})}};
  const JournalRecord r = chained(7, kGenesisHash, detail);
  const std::string line = to_json(r).dump();
  auto back = journal_record_from_json(json::parse(line));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->hash, r.hash);
  EXPECT_EQ(journal_hash(*back), r.hash);
  EXPECT_EQ(back->detail.dump(), detail.dump());
}

TEST(JournalChainTest, AGoodChainVerifiesAndStreamsTheSame) {
  const auto records = chain(50);
  EXPECT_FALSE(verify_chain(records).has_value());
  ChainVerifier v;
  for (const auto& r : records) EXPECT_FALSE(v.add(r).has_value());
  EXPECT_EQ(v.checked(), 50);
  EXPECT_EQ(v.head_hash(), records.back().hash);
  // A chain cut by retention starts at its anchor, whose prev_hash is trusted.
  EXPECT_FALSE(verify_chain({records.begin() + 20, records.end()}).has_value());
  EXPECT_FALSE(verify_chain({}).has_value());
}

TEST(JournalChainTest, NamesTheFirstRecordThatDoesNotCheck) {
  {
    auto records = chain(10);
    records[4].detail["i"] = 99;
    const auto b = verify_chain(records);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->seq, 5);
    EXPECT_EQ(b->reason, "hash mismatch");
  }
  {
    auto records = chain(10);
    records.erase(records.begin() + 4);
    const auto b = verify_chain(records);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->seq, 6);
    EXPECT_EQ(b->reason, "gap after 4");
  }
  {
    // Rewritten and rehashed: the next record's link gives it away.
    auto records = chain(10);
    records[4].detail["i"] = 99;
    records[4].hash = journal_hash(records[4]);
    const auto b = verify_chain(records);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->seq, 6);
    EXPECT_EQ(b->reason, "prev_hash does not match record 5");
  }
  {
    auto records = chain(10);
    std::swap(records[3], records[4]);
    const auto b = verify_chain(records);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->seq, 5);
    EXPECT_EQ(b->reason, "gap after 3");
  }
  {
    auto records = chain(3);
    records[0].prev_hash = records[2].hash;
    records[0].hash = journal_hash(records[0]);
    const auto b = verify_chain(records);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->seq, 1);
  }
}

TEST(JournalChainTest, ParsingAnExportLineNamesTheBadField) {
  const json good = to_json(chained(1, kGenesisHash, {{"x", 1}}));
  EXPECT_TRUE(journal_record_from_json(good).is_ok());
  for (const char* key : {"seq", "at_ms", "actor", "action", "detail", "prev_hash", "hash"}) {
    json j = good;
    j.erase(key);
    const auto r = journal_record_from_json(j);
    ASSERT_FALSE(r.is_ok()) << key;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().message();
  }
  json j = good;
  j["seq"] = "1";
  EXPECT_NE(journal_record_from_json(j).status().message().find("\"seq\" is not an integer"),
            std::string::npos);
  j = good;
  j["hash"] = "abc";
  EXPECT_FALSE(journal_record_from_json(j).is_ok());
  EXPECT_FALSE(journal_record_from_json(json::array()).is_ok());
}

}  // namespace
}  // namespace vigie::storage
