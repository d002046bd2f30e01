// Wire names of the record enums.

#include "storage/records.hpp"

#include <array>
#include <utility>

namespace vigie::storage {
namespace {

constexpr std::array<std::pair<AlertState, std::string_view>, 5> kStateNames = {{
    {AlertState::kNew, "new"},
    {AlertState::kSeen, "seen"},
    {AlertState::kConfirmed, "confirmed"},
    {AlertState::kDismissed, "dismissed"},
    {AlertState::kClosed, "closed"},
}};

}  // namespace

std::string_view to_string(AlertState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "unknown";
}

std::optional<AlertState> alert_state_from_string(std::string_view text) {
  for (const auto& [s, name] : kStateNames) {
    if (name == text) return s;
  }
  return std::nullopt;
}

}  // namespace vigie::storage
