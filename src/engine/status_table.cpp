#include "engine/status_table.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/redact.hpp"

namespace vigie::engine {

std::string format_status_table(const std::vector<CameraStatus>& cameras) {
  std::size_t id_width = 6;
  for (const auto& c : cameras) id_width = std::max(id_width, c.id.size());
  std::string out = fmt::format("{:<{}}  {:<10} {:>5} {:>6} {:>9} {:>8} {:>7} {:>5} {:>6}  {}\n",
                                "camera", id_width, "state", "fps", "ms", "decoded", "analysed",
                                "dropped", "recon", "errors", "reason");
  for (const auto& c : cameras) {
    const CameraHealth& h = c.health;
    // Why a camera is not analysed matters more to the operator than how its stream is.
    const std::string reason =
        c.analysing ? h.reason : "not analysed: " + c.not_analysed_reason;
    out += fmt::format("{:<{}}  {:<10} {:>5.1f} {:>6.1f} {:>9} {:>8} {:>7} {:>5} {:>6}  {}\n", c.id,
                       id_width, to_string(h.state), c.analysed_fps, c.analysis_ms,
                       h.frames_decoded, h.frames_analysed, h.frames_dropped, h.reconnects,
                       h.decode_errors, redact(reason));
  }
  return out;
}

}  // namespace vigie::engine
