#pragma once
// Test helpers: run a command and capture its output; temporary folders.

#include <filesystem>
#include <string>

namespace vigie::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// Runs `command` through /bin/sh, waits for it, and captures stdout and stderr.
CommandResult run_command(const std::string& command);

/// Path of the built `vigie` binary.
std::string vigie_binary();

/// A fresh folder under the system temp dir, removed with the object.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "vigie-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

/// Writes text to a file, creating parent folders.
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace vigie::test
