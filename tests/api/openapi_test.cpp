// api/openapi.yaml describes exactly the routes the server serves, with the same security.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "api/routes.hpp"

namespace vigie::testing {
namespace {

YAML::Node load_spec() {
  return YAML::LoadFile(std::string(VIGIE_SOURCE_DIR) + "/api/openapi.yaml");
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(ApiOpenApi, SpecAndRouteTableHaveTheSameRoutes) {
  const YAML::Node spec = load_spec();
  ASSERT_EQ(spec["openapi"].as<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (method == "parameters") continue;
      documented.insert(upper(method) + " " + path.first.as<std::string>());
    }
  }
  std::set<std::string> served;
  for (const auto& r : api::route_table()) {
    served.insert(std::string(r.method) + " " + std::string(r.path));
  }
  for (const auto& s : served) EXPECT_TRUE(documented.count(s)) << "not documented: " << s;
  for (const auto& d : documented) EXPECT_TRUE(served.count(d)) << "not served: " << d;
}

TEST(ApiOpenApi, PublicRoutesAndOnlyThemOptOutOfSecurity) {
  const YAML::Node spec = load_spec();
  ASSERT_TRUE(spec["components"]["securitySchemes"]["cookie"]);
  ASSERT_TRUE(spec["components"]["securitySchemes"]["bearer"]);
  ASSERT_TRUE(spec["security"]) << "routes are authenticated unless they say otherwise";
  for (const auto& r : api::route_table()) {
    const YAML::Node op = spec["paths"][std::string(r.path)][std::string(
        r.method == "GET"     ? "get"
        : r.method == "POST"  ? "post"
        : r.method == "PUT"   ? "put"
        : r.method == "PATCH" ? "patch"
                              : "delete")];
    ASSERT_TRUE(op) << r.method << " " << r.path;
    const bool opted_out = op["security"] && op["security"].IsSequence() && op["security"].size() == 0;
    EXPECT_EQ(opted_out, r.is_public()) << r.method << " " << r.path;
    if (!r.is_public()) {
      EXPECT_TRUE(op["responses"]["401"]) << r.method << " " << r.path << " documents 401";
    }
  }
}

}  // namespace
}  // namespace vigie::testing
