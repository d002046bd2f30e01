#include "core/bug.hpp"

#include <atomic>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace vigie {
namespace {

std::atomic<std::uint64_t> g_bugs{0};

}  // namespace

void report_bug(const char* file, int line, std::string_view what) {
  g_bugs.fetch_add(1, std::memory_order_relaxed);
  spdlog::critical("bug at {}:{}: {}", file, line, what);
#ifndef NDEBUG
  spdlog::default_logger()->flush();
  std::abort();
#endif
}

std::uint64_t bugs_reported() { return g_bugs.load(std::memory_order_relaxed); }

}  // namespace vigie
