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

/// A process running in the background, its stdout and stderr going to files, so a test
/// can wait for a line, signal it (SIGUSR1, SIGKILL) and read what it printed.
class Child {
 public:
  /// Starts `command` through /bin/sh (exec'd, so signals reach the command itself).
  explicit Child(const std::string& command);
  /// Kills (SIGKILL) and reaps the process if it still runs.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  [[nodiscard]] int pid() const { return pid_; }
  /// Polls stdout until it contains `text` or `timeout_s` passes; true when found.
  bool wait_for_output(const std::string& text, double timeout_s);
  /// Sends a signal.
  void signal(int sig) const;
  /// Waits for the process to end (at most timeout_s; then kills it); returns the exit code,
  /// or 128 + signal.
  int wait(double timeout_s);
  [[nodiscard]] std::string out() const;
  [[nodiscard]] std::string err() const;

 private:
  TempDir dir_{"vigie-child"};
  int pid_ = -1;
  int status_ = -1;
};

/// Writes text to a file, creating parent folders.
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace vigie::test
