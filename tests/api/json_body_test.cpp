// Request bodies: the nesting bound and the error messages, without a server.

#include "api/json_body.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vigie::api {
namespace {

std::string nested(int depth, const std::string& inner = "1") {
  return std::string(static_cast<std::size_t>(depth), '[') + inner +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST(JsonBody, AcceptsDocumentsUpToTheDepthLimit) {
  auto j = parse_json_body(nested(8), 8);
  ASSERT_TRUE(j.is_ok()) << j.status().to_string();
  EXPECT_TRUE(j->is_array());
  auto obj = parse_json_body(R"({"a": {"b": [1, {"c": 2}]}})", 4);
  ASSERT_TRUE(obj.is_ok()) << obj.status().to_string();
  EXPECT_EQ((*obj)["a"]["b"][1]["c"], 2);
  auto scalar = parse_json_body("\"text\"", 1);
  ASSERT_TRUE(scalar.is_ok());
  EXPECT_EQ(*scalar, "text");
}

TEST(JsonBody, RefusesOneLevelTooDeepAndNamesTheLimit) {
  auto j = parse_json_body(nested(9), 8);
  ASSERT_FALSE(j.is_ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(j.status().message().find("nested deeper than 8 levels"), std::string::npos)
      << j.status().message();
  auto objects = parse_json_body(R"({"a": {"b": {"c": {}}}})", 3);
  ASSERT_FALSE(objects.is_ok());
  EXPECT_NE(objects.status().message().find("deeper than 3"), std::string::npos);
}

TEST(JsonBody, AVeryDeepDocumentIsRefusedWithoutBuildingIt) {
  // Deep enough that building and copying the tree would overflow a thread's stack.
  auto j = parse_json_body(R"({"zones": )" + nested(300000) + "}", 64);
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("deeper than 64"), std::string::npos);
  // Unbalanced too: refused for depth before the end is reached.
  auto open_only = parse_json_body(std::string(300000, '['), 64);
  ASSERT_FALSE(open_only.is_ok());
  EXPECT_NE(open_only.status().message().find("deeper than 64"), std::string::npos);
}

TEST(JsonBody, InvalidJsonNamesTheByteButNotTheInput) {
  auto j = parse_json_body(R"({"password": "hunter22" oops})", 64);
  ASSERT_FALSE(j.is_ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(j.status().message().find("not valid JSON (at byte"), std::string::npos)
      << j.status().message();
  EXPECT_EQ(j.status().message().find("hunter22"), std::string::npos);
}

}  // namespace
}  // namespace vigie::api
