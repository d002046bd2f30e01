// truth.json, the ground truth `vigie eval` reads beside each clip: shared between teams and
// edited by hand, so it is untrusted text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eval/truth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vigie::eval::parse_truth(text, "fuzz/truth.json", "/nonexistent-fuzz-base");
  return 0;
}
