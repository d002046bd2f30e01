#pragma once
// SHA-256 and HMAC-SHA-256 over OpenSSL, as lowercase hex: the journal's hash chain, the
// evidence files' and the detector model's fingerprints, the configuration's version and the
// webhooks' signatures all use these.

#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace vigie {

/// Lowercase hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

/// Lowercase hex SHA-256 of a file's bytes, read in blocks. kNotFound when it cannot be opened,
/// kDataLoss on a read error.
Result<std::string> sha256_file(const std::filesystem::path& path);

/// Lowercase hex HMAC-SHA-256 of `data` under `key` (64 characters).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace vigie
