#include "core/process_usage.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

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

void name_this_thread(std::string_view name) {
  const std::string kept(name.substr(0, 15));  // the kernel's limit, without the NUL
  ::pthread_setname_np(::pthread_self(), kept.c_str());
}

int make_this_thread_nicer(int steps) {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  // -1 is also a valid nice value: only errno tells a failure.
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return 0;
  (void)::setpriority(PRIO_PROCESS, tid, std::min(19, now + steps));
  errno = 0;
  const int after = ::getpriority(PRIO_PROCESS, tid);
  return errno != 0 ? now : after;
}

std::vector<ThreadGroupUsage> thread_cpu_by_name() {
  std::map<std::string, ThreadGroupUsage> groups;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // "tid (comm) state ...": comm may hold spaces and parentheses, so it ends at the last ')'.
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    const std::string name = stat.substr(open + 1, close - open - 1);
    // Fields after comm, counted from 1 at "state": utime is the 12th, stime the 13th.
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    if (std::sscanf(stat.c_str() + close + 2,
                    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                    &stime) != 2) {
      continue;
    }
    ThreadGroupUsage& g = groups[name];
    g.name = name;
    g.cpu_s += static_cast<double>(utime + stime) / ticks;
    ++g.threads;
  }
  std::vector<ThreadGroupUsage> out;
  for (auto& [name, g] : groups) out.push_back(std::move(g));
  return out;
}

}  // namespace vigie
