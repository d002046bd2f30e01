#include "eval/progress.hpp"

#include <algorithm>

#include <unistd.h>

namespace vigie::eval {

ProgressBar::ProgressBar(std::FILE* out, int total, bool enabled, int width)
    : total_(std::max(total, 0)), width_(std::max(width, 1)) {
  if (enabled && out != nullptr && isatty(fileno(out)) == 1) {
    sink_ = [out](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), out);
      std::fflush(out);
    };
  }
}

ProgressBar::ProgressBar(Sink sink, int total, int width)
    : sink_(std::move(sink)), total_(std::max(total, 0)), width_(std::max(width, 1)) {}

ProgressBar::~ProgressBar() {
  finish();
}

std::string ProgressBar::render(int done, int total, int width, std::string_view label,
                                std::size_t previous_length) {
  total = std::max(total, 0);
  done = std::clamp(done, 0, total);
  width = std::max(width, 1);
  const int filled =
      total == 0 ? width : static_cast<int>(static_cast<long long>(done) * width / total);
  std::string line = "[";
  line.append(static_cast<std::size_t>(filled), '#');
  line.append(static_cast<std::size_t>(width - filled), ' ');
  line += "] " + std::to_string(done) + "/" + std::to_string(total);
  if (!label.empty()) {
    line += ' ';
    line += label;
  }
  // Spaces erase what a longer previous line left on the terminal.
  if (line.size() < previous_length) line.append(previous_length - line.size(), ' ');
  return "\r" + line;
}

void ProgressBar::update(int done, std::string_view label) {
  if (!sink_) return;
  const std::string line = render(done, total_, width_, label, last_length_);
  last_length_ = line.size() - 1;
  drawn_ = true;
  sink_(line);
}

void ProgressBar::finish() {
  if (!sink_ || !drawn_) return;
  drawn_ = false;
  sink_("\n");
}

}  // namespace vigie::eval
