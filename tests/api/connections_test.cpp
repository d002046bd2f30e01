// The connection registry's counting, without a server: caps per address and in all, and
// event streams counted apart.

#include "api/connections.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace vigie::api {
namespace {

ConnectionLimits limits(int total, int per_address) {
  ConnectionLimits l;
  l.max_connections = total;
  l.max_per_address = per_address;
  return l;
}

TEST(ConnectionRegistry, CapsEachAddressAndAllTogether) {
  ConnectionRegistry r(limits(5, 3));
  std::vector<std::unique_ptr<ConnectionRegistry::Ticket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(r.admit("10.0.0.1"));
    ASSERT_NE(held.back(), nullptr);
  }
  EXPECT_EQ(r.admit("10.0.0.1"), nullptr) << "the address holds its share";
  held.push_back(r.admit("10.0.0.2"));
  held.push_back(r.admit("10.0.0.3"));
  ASSERT_NE(held.back(), nullptr);
  EXPECT_EQ(r.admit("10.0.0.4"), nullptr) << "all together hold the total";
  EXPECT_EQ(r.connections(), 5);
  EXPECT_EQ(r.connections_from("10.0.0.1"), 3);
  EXPECT_EQ(r.refused(), 2U);
  held.erase(held.begin());
  EXPECT_EQ(r.connections_from("10.0.0.1"), 2);
  EXPECT_NE(r.admit("10.0.0.1"), nullptr) << "a closed connection frees its place";
}

TEST(ConnectionRegistry, AStreamLeavesItsPlaceToRequests) {
  ConnectionRegistry r(limits(2, 2));
  auto a = r.admit("10.0.0.1");
  auto b = r.admit("10.0.0.1");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(r.admit("10.0.0.1"), nullptr);
  a->become_stream();
  b->become_stream();
  EXPECT_EQ(r.streams(), 2);
  EXPECT_EQ(r.connections(), 0);
  auto c = r.admit("10.0.0.1");
  EXPECT_NE(c, nullptr);
  a.reset();
  EXPECT_EQ(r.streams(), 1);
  EXPECT_EQ(r.connections(), 1);
}

}  // namespace
}  // namespace vigie::api
