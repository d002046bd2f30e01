#pragma once
// Secrets (passwords, tokens, URL credentials) must never reach logs or output.
// Everything printed goes through redact(); the logger applies it as a last guard.

#include <string>
#include <string_view>

namespace vigie {

/// "rtsp://user:pass@host/x" -> "rtsp://***@host/x"; other text unchanged.
std::string redact_url(std::string_view url);

/// Scrubs URL credentials and every registered secret value from free text.
std::string redact(std::string_view text);

/// Remembers a secret value (e.g. one substituted from ${ENV}) so redact() hides it.
/// Values shorter than 4 characters are ignored: hiding them would mangle ordinary text.
void register_secret(std::string_view value);

}  // namespace vigie
