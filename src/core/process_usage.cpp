#include "core/process_usage.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace vigie {

ProcessUsage read_process_usage() {
  ProcessUsage u;
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    u.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
              static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    u.peak_resident_bytes = static_cast<std::int64_t>(ru.ru_maxrss) * 1024;  // Linux: KiB
  }
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    long size = 0;
    long rss_pages = 0;
    if (std::fscanf(f, "%ld %ld", &size, &rss_pages) == 2) {
      u.resident_bytes = static_cast<std::int64_t>(rss_pages) * ::sysconf(_SC_PAGESIZE);
    }
    std::fclose(f);
  }
  // The kernel updates the peak lazily, so it can read a little below the current figure.
  u.peak_resident_bytes = std::max(u.peak_resident_bytes, u.resident_bytes);
  return u;
}

}  // namespace vigie
