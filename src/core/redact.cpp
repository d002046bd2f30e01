#include "core/redact.hpp"

#include <mutex>
#include <cctype>
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
  // userinfo is everything between "scheme://" and the last '@' before the authority ends
  // (at '/', '?', '#' or white space): a password may hold an '@' of its own. A plain scan,
  // linear in the text, over every URL the text holds.
  std::string out;
  std::size_t copied = 0;
  for (std::size_t sep = url.find("://"); sep != std::string_view::npos;
       sep = url.find("://", sep + 3)) {
    std::size_t scheme = sep;
    auto scheme_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '.' || c == '-';
    };
    while (scheme > 0 && scheme_char(url[scheme - 1])) --scheme;
    if (scheme == sep || std::isalpha(static_cast<unsigned char>(url[scheme])) == 0) continue;
    const std::size_t authority = sep + 3;
    std::size_t end = authority;
    while (end < url.size() && url[end] != '/' && url[end] != '?' && url[end] != '#' &&
           std::isspace(static_cast<unsigned char>(url[end])) == 0) {
      ++end;
    }
    const std::size_t at = url.substr(authority, end - authority).rfind('@');
    if (at == std::string_view::npos) continue;
    out.append(url.substr(copied, authority - copied));
    out += "***";
    copied = authority + at;  // from the '@' on
  }
  out.append(url.substr(copied));
  return out;
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
