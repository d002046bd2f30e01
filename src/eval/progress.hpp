#pragma once
// A one-line terminal progress bar: "\r[#####     ] 12/40 clip-name". Called from one thread.

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace vigie::eval {

class ProgressBar {
 public:
  /// Receives each rendered piece of output.
  using Sink = std::function<void(std::string_view)>;

  /// Writes to `out` when `enabled` and `out` is a terminal; otherwise does nothing.
  ProgressBar(std::FILE* out, int total, bool enabled = true, int width = 30);
  /// Writes to `sink` unconditionally (for tests and non-stdio outputs).
  ProgressBar(Sink sink, int total, int width = 30);

  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  /// Calls finish().
  ~ProgressBar();

  /// Shows `done` of total, with a label (e.g. the clip being processed); clamps `done`.
  void update(int done, std::string_view label = {});
  /// Ends the line with '\n' if anything was drawn. Idempotent.
  void finish();

  /// Whether this bar writes anything.
  [[nodiscard]] bool active() const { return static_cast<bool>(sink_); }

  /// The line update() draws, without side effects: "\r[###   ] 1/3 label" padded with
  /// spaces to erase a longer previous line of `previous_length` characters.
  static std::string render(int done, int total, int width, std::string_view label,
                            std::size_t previous_length = 0);

 private:
  Sink sink_;
  int total_ = 0;
  int width_ = 30;
  std::size_t last_length_ = 0;
  bool drawn_ = false;
};

}  // namespace vigie::eval
