#include "core/log.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/pattern_formatter.h>
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

/// `<N>`: the syslog priority of a message, which the journal reads off the start of each
/// line written to a service's stderr (sd-daemon(3)).
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPriority[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", ""};
    const auto level = static_cast<std::size_t>(msg.level);
    const std::string_view p = level < std::size(kPriority) ? kPriority[level] : "";
    dest.append(p.data(), p.data() + p.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

/// True when stderr is the journal's stream ($JOURNAL_STREAM names its device and inode).
bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr || *stream == '\0') return false;
  struct stat st {};
  if (::fstat(fileno(stderr), &st) != 0) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == st.st_dev && ino == st.st_ino;
}

}  // namespace

void init_logging(std::string_view level) {
  auto sink = std::make_shared<RedactingStderrSink>();
  auto logger = std::make_shared<spdlog::logger>("vigie", sink);
  if (stderr_is_journal()) {
    // The journal stamps each line itself and shows the priority as colour and in filters
    // (journalctl -p warning).
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
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
