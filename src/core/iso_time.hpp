#pragma once
// ISO 8601 timestamps as written in configuration and shown in records.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vigie {

/// Parses "YYYY-MM-DDTHH:MM[:SS][.fff](Z|+HH:MM|-HH:MM)" or a bare date "YYYY-MM-DD" (UTC).
/// A time without an offset is rejected: an authorization must not depend on the server's zone.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

/// "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_iso8601(std::chrono::system_clock::time_point t);

}  // namespace vigie
