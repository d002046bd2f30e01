#include "core/redact.hpp"

#include <mutex>
#include <regex>
#include <set>

namespace vigie {
namespace {

std::mutex& secrets_mutex() {
  static std::mutex m;
  return m;
}

std::set<std::string, std::greater<>>& secrets() {
  // Longest first (greater<> on equal prefixes), so a secret containing another is hidden whole.
  static std::set<std::string, std::greater<>> s;
  return s;
}

}  // namespace

std::string redact_url(std::string_view url) {
  // userinfo is everything between "scheme://" and the last '@' before the first '/'.
  static const std::regex kCredentials(R"(([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@)");
  return std::regex_replace(std::string(url), kCredentials, "$1***@");
}

std::string redact(std::string_view text) {
  std::string out = redact_url(text);
  std::lock_guard lock(secrets_mutex());
  for (const std::string& secret : secrets()) {
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos + 3)) {
      out.replace(pos, secret.size(), "***");
    }
  }
  return out;
}

void register_secret(std::string_view value) {
  if (value.size() < 4) return;
  std::lock_guard lock(secrets_mutex());
  secrets().emplace(value);
}

}  // namespace vigie
