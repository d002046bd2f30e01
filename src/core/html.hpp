#pragma once
// Text placed in HTML pages (the evaluation report, the transparency page).

#include <string>
#include <string_view>

namespace vigie {

/// Escapes &, <, >, " and ' so that `text` is shown as written, in element content or in a
/// quoted attribute.
std::string html_escape(std::string_view text);

}  // namespace vigie
