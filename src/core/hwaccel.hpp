#pragma once
// Which hardware decoder a camera asks for: shared by the configuration, which parses it,
// and ingest, which tries it and falls back to software.

#include <string_view>

namespace vigie {

enum class HwAccel {
  kNone,   ///< software decoding (the default)
  kAuto,   ///< the first device the machine has, in the order of hwaccel_try_order()
  kVaapi,  ///< VA-API (Intel, AMD; /dev/dri)
  kQsv,    ///< Intel Quick Sync
  kCuda,   ///< NVIDIA NVDEC
};

/// "none", "auto", "vaapi", "qsv", "cuda": the configuration's spelling.
constexpr std::string_view to_string(HwAccel accel) {
  switch (accel) {
    case HwAccel::kNone: return "none";
    case HwAccel::kAuto: return "auto";
    case HwAccel::kVaapi: return "vaapi";
    case HwAccel::kQsv: return "qsv";
    case HwAccel::kCuda: return "cuda";
  }
  return "none";
}

}  // namespace vigie
