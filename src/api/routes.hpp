#pragma once
// The one table of the API's routes and of who may call them. The server registers its
// handlers from it and enforces its roles on every request; the tests walk it (every route
// with every role, and anonymously) and compare it with api/openapi.yaml.

#include <string>
#include <string_view>
#include <vector>

#include "govern/users.hpp"

namespace vigie::api {

/// Roles as bits, for a route's set of allowed roles.
enum RoleBits : unsigned {
  kOperatorBit = 1U << 0U,
  kSupervisorBit = 1U << 1U,
  kAuditorBit = 1U << 2U,
  kAdminBit = 1U << 3U,
  kAnyRole = kOperatorBit | kSupervisorBit | kAuditorBit | kAdminBit,
};

/// The bit of a role.
unsigned role_bit(govern::Role role);

/// One route: method, path in OpenAPI form ("/api/v1/alerts/{id}"), who may call it.
struct RouteSpec {
  std::string_view method;  ///< "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string_view path;
  /// Allowed roles; 0 for a public route that needs no session.
  unsigned roles = 0;
  std::string_view summary;

  [[nodiscard]] bool is_public() const { return roles == 0; }
  [[nodiscard]] bool allows(govern::Role role) const { return (roles & role_bit(role)) != 0; }
};

/// Every route the server serves, in registration order.
const std::vector<RouteSpec>& route_table();

/// The httplib pattern of an OpenAPI path: each "{name}" becomes "([^/]+)".
std::string path_pattern(std::string_view openapi_path);

}  // namespace vigie::api
