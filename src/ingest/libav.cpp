#include "ingest/libav.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include <spdlog/spdlog.h>

#include "core/redact.hpp"

namespace vigie::ingest::av {

PacketPtr make_packet() {
  return PacketPtr(av_packet_alloc());
}

PacketPtr clone_packet(const AVPacket& p) {
  return PacketPtr(av_packet_clone(&p));
}

std::string error_string(int averror) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  av_strerror(averror, buf.data(), buf.size());
  return std::string(buf.data());
}

std::shared_ptr<const AVCodecParameters> copy_codecpar(const AVCodecParameters& from) {
  AVCodecParameters* par = avcodec_parameters_alloc();
  avcodec_parameters_copy(par, &from);
  return {par, [](AVCodecParameters* p) { avcodec_parameters_free(&p); }};
}

std::shared_ptr<StreamInfo> stream_info(const AVStream& stream) {
  auto info = std::make_shared<StreamInfo>();
  info->codecpar = copy_codecpar(*stream.codecpar);
  info->time_base = stream.time_base;
  info->frame_rate = stream.avg_frame_rate;
  return info;
}

namespace {

// Errors from a broken stream come per packet; one line a second is enough to see them.
std::atomic<std::int64_t> g_last_error_ms{0};
std::atomic<std::uint64_t> g_folded_errors{0};

void log_callback(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_VERBOSE) return;  // libav's debug output is per-packet noise
  const bool is_error = level <= AV_LOG_ERROR;
  if (!is_error && !spdlog::should_log(spdlog::level::debug)) return;
  if (is_error) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    std::int64_t last = g_last_error_ms.load();
    if (now_ms - last < 1000 || !g_last_error_ms.compare_exchange_strong(last, now_ms)) {
      ++g_folded_errors;
      return;
    }
  }
  std::array<char, 1024> line{};
  int print_prefix = 1;
  av_log_format_line2(avcl, level, fmt, args, line.data(), static_cast<int>(line.size()),
                      &print_prefix);
  std::string text = redact(line.data());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (is_error) {
    const std::uint64_t folded = g_folded_errors.exchange(0);
    if (folded > 0) {
      spdlog::error("libav: {} ({} more libav errors folded)", text, folded);
    } else {
      spdlog::error("libav: {}", text);
    }
  } else {
    spdlog::debug("libav: {}", text);
  }
}

}  // namespace

void install_log_bridge() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_INFO);
    av_log_set_callback(log_callback);
    avformat_network_init();
  });
}

}  // namespace vigie::ingest::av
