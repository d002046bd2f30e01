// The node configuration loader on arbitrary text: it must return a Config or errors, never
// crash, hang or read outside the text (the file is written by an installer, possibly wrong).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  vigie::config::ParseContext context;
  // ${NAME} references resolve to a fixed value: the environment is not part of the input.
  context.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    return std::nullopt;
  };
  const vigie::config::LoadResult result =
      vigie::config::parse_config(text, "/nonexistent-fuzz-base", std::move(context));
  // Errors are printed to operators: building the text must hold too.
  if (!result.ok()) (void)result.error_text("fuzz.yaml");
  return 0;
}
