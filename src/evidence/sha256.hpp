#pragma once
// SHA-256 of stored evidence, so that the journal can later prove a file is unchanged.

#include <filesystem>
#include <string>

#include "core/status.hpp"

namespace vigie::evidence {

/// Lowercase hex SHA-256 of a file's bytes. kNotFound when it cannot be read.
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace vigie::evidence
