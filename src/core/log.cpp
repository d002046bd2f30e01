#include "core/log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/redact.hpp"

namespace vigie {
namespace {

/// Formats with the wrapped sink's pattern, then scrubs secrets before writing.
class RedactingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    const std::string clean = redact(std::string_view(formatted.data(), formatted.size()));
    std::fwrite(clean.data(), 1, clean.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void init_logging(std::string_view level) {
  auto sink = std::make_shared<RedactingStderrSink>();
  auto logger = std::make_shared<spdlog::logger>("vigie", sink);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

ThrottledLog::ThrottledLog(std::string source, const Clock& clock, double interval_s)
    : source_(std::move(source)), clock_(clock), interval_s_(interval_s) {}

bool ThrottledLog::warn(std::string_view message) {
  std::lock_guard lock(mutex_);
  ++total_;
  const SteadyTime now = clock_.now();
  if (logged_once_ && seconds_between(last_, now) < interval_s_) {
    ++folded_;
    return false;
  }
  if (folded_ > 0) {
    spdlog::warn("{}: {} ({} similar in the last {:.0f} s)", source_, message, folded_,
                 seconds_between(last_, now));
  } else {
    spdlog::warn("{}: {}", source_, message);
  }
  folded_ = 0;
  last_ = now;
  logged_once_ = true;
  return true;
}

std::uint64_t ThrottledLog::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace vigie
