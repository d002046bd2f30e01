// The outbox (durable, ordered, bounded) and the webhook signature, without any server.

#include <gtest/gtest.h>

#include "publish/outbox.hpp"
#include "publish/webhook_publisher.hpp"
#include "support/process.hpp"

namespace vigie::publish {
namespace {

using Messages = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> payloads(Outbox& box) {
  auto rows = box.read_after(0, 1000);
  EXPECT_TRUE(rows.is_ok()) << rows.status().to_string();
  std::vector<std::string> out;
  if (rows) {
    for (const auto& m : *rows) out.push_back(m.payload);
  }
  return out;
}

TEST(OutboxTest, KeepsOrderAcrossReopeningAndForgetsOnlyRemovedMessages) {
  test::TempDir dir;
  std::vector<std::int64_t> first_ids;
  {
    auto box = Outbox::open(dir.path(), 100);
    ASSERT_TRUE(box) << box.status().to_string();
    ASSERT_TRUE((*box)->append(Messages{{"t/a", "1"}, {"t/b", "1"}}));
    ASSERT_TRUE((*box)->append(Messages{{"t/a", "2"}, {"t/b", "2"}}));
    EXPECT_EQ((*box)->size(), 4u);
    auto rows = (*box)->read_after(0, 2);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0].topic, "t/a");
    EXPECT_EQ((*rows)[1].topic, "t/b");
    EXPECT_LT((*rows)[0].id, (*rows)[1].id);
    first_ids = {(*rows)[0].id, (*rows)[1].id};
    // Paging continues after the last id read.
    auto next = (*box)->read_after((*rows)[1].id, 10);
    ASSERT_TRUE(next);
    ASSERT_EQ(next->size(), 2u);
    EXPECT_EQ((*next)[0].payload, "2");
  }
  auto box = Outbox::open(dir.path(), 100);
  ASSERT_TRUE(box);
  EXPECT_EQ((*box)->size(), 4u);
  EXPECT_EQ(payloads(**box), (std::vector<std::string>{"1", "1", "2", "2"}));
  ASSERT_TRUE((*box)->remove(first_ids).is_ok());
  ASSERT_TRUE((*box)->remove(first_ids).is_ok());  // already gone: ignored
  EXPECT_EQ((*box)->size(), 2u);
  // Ids are never reused, so new messages still sort after the old ones.
  ASSERT_TRUE((*box)->append(Messages{{"t/a", "3"}}));
  EXPECT_EQ(payloads(**box), (std::vector<std::string>{"2", "2", "3"}));
}

TEST(OutboxTest, WhenFullDropsTheOldestAndSaysHowMany) {
  test::TempDir dir;
  auto box = Outbox::open(dir.path(), 5);
  ASSERT_TRUE(box);
  for (int i = 0; i < 5; ++i) {
    auto dropped = (*box)->append(Messages{{"t", std::to_string(i)}});
    ASSERT_TRUE(dropped);
    EXPECT_EQ(*dropped, 0u);
  }
  auto dropped = (*box)->append(Messages{{"t", "5"}, {"t", "6"}});
  ASSERT_TRUE(dropped);
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ((*box)->size(), 5u);
  EXPECT_EQ(payloads(**box), (std::vector<std::string>{"2", "3", "4", "5", "6"}));
}

TEST(OutboxTest, AnUnusableFileIsAnInvalidArgument) {
  test::TempDir dir;
  test::write_file(dir / "outbox.sqlite", "this is not a database, but it is long enough to tell");
  auto box = Outbox::open(dir.path(), 5);
  ASSERT_FALSE(box);
  EXPECT_EQ(box.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(box.status().message().find("outbox.sqlite"), std::string::npos);
}

TEST(WebhookSignatureTest, IsTheHexHmacSha256OfTheBody) {
  // RFC 4231, test case 2.
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignatureTest, OriginHidesCredentialsPathAndQuery) {
  EXPECT_EQ(webhook_origin("https://user:pw@hooks.example:8443/T0/B0/token?x=1"),
            "https://***@hooks.example:8443");
  EXPECT_EQ(webhook_origin("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
}

}  // namespace
}  // namespace vigie::publish
