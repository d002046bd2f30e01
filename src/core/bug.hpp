#pragma once
// VIGIE_BUG: a state the code holds impossible was reached. Debug builds abort at once, so
// tests and development find it where it happens; release builds, which run cameras nobody
// should lose for one wrong branch, log it at critical level with its place and count it
// (`vigie_bugs_total` in /metrics), and the caller goes on with its safe fallback.
//
//   default:
//     VIGIE_BUG("unknown event type " + std::to_string(static_cast<int>(type)));
//     return 0;

#include <cstdint>
#include <string_view>

namespace vigie {

/// Reports an impossible state (use VIGIE_BUG, which adds the place).
void report_bug(const char* file, int line, std::string_view what);

/// Impossible states reported since the process started.
std::uint64_t bugs_reported();

}  // namespace vigie

#define VIGIE_BUG(what) ::vigie::report_bug(__FILE__, __LINE__, (what))
