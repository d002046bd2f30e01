#pragma once
// Request bodies as JSON, parsed with a bound on nesting: a deeply nested document is
// refused before any tree is built, since copying, printing or comparing such a tree
// recurses once per level and would overflow a server thread's stack.

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.hpp"

namespace vigie::api {

/// Parses `text` as one JSON value nested at most `max_depth` levels (the outermost array or
/// object is level 1). InvalidArgument for invalid JSON (naming the byte, never quoting the
/// input, which may hold a password) and for a deeper document (naming the limit).
Result<nlohmann::json> parse_json_body(std::string_view text, int max_depth);

}  // namespace vigie::api
