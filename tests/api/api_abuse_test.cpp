// The API under hostile or careless clients, over real HTTP on 127.0.0.1: bodies built to
// exhaust the stack, parallel password guessing, login floods and slow clients. Every wait is
// a poll against a generous deadline; nothing here measures speed.

#include <gtest/gtest.h>

#include <string>

#include "api/api_harness.hpp"

namespace vigie::testing {
namespace {

using nlohmann::json;

TEST(ApiAbuse, ADeeplyNestedBodyIs400AndTheServerKeepsServing) {
  HarnessOptions options;
  options.geometry = true;
  ApiHarness h(options);
  auto c = h.client();
  const std::string sup = h.login("sup");
  const std::string path = "/api/v1/cameras/cam-a/geometry?dry_run=1";

  // Nested 300 000 deep (600 KB): building it, then copying it, recursed once per level.
  constexpr std::size_t kDepth = 300000;
  const std::string deep =
      R"({"zones": )" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}";
  auto r = c->Put(path, bearer(sup), deep, "application/json");
  ASSERT_TRUE(r) << "no answer: " << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 400) << r->body;
  const json body = body_json(r);
  EXPECT_EQ(body["error"]["code"], "invalid_argument") << r->body;
  EXPECT_NE(r->body.find("nested deeper than 64"), std::string::npos) << r->body;

  // A body as deep as the limit allows still goes through.
  const std::string ok_depth =
      R"({"zones": )" + std::string(63, '[') + std::string(63, ']') + "}";
  auto fine = c->Put(path, bearer(sup), ok_depth, "application/json");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200) << fine->body;

  auto health = c->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace vigie::testing
