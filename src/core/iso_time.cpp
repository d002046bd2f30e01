#include "core/iso_time.hpp"

#include <cstdio>
#include <regex>

#include <fmt/format.h>

namespace vigie {

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  static const std::regex kFull(
      R"((\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?)");
  // The longest valid form is 35 characters; a longer text is refused before the regular
  // expression, whose matcher recurses per character.
  if (text.size() > 40) return std::nullopt;
  std::cmatch m;
  if (!std::regex_match(text.begin(), text.end(), m, kFull)) return std::nullopt;
  const year_month_day ymd{year{std::stoi(m[1])}, month{static_cast<unsigned>(std::stoi(m[2]))},
                           day{static_cast<unsigned>(std::stoi(m[3]))}};
  if (!ymd.ok()) return std::nullopt;
  sys_time<milliseconds> t = sys_days{ymd};
  if (m[4].matched) {
    const int hh = std::stoi(m[4]), mm = std::stoi(m[5]), ss = m[6].matched ? std::stoi(m[6]) : 0;
    if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
    t += hours{hh} + minutes{mm} + seconds{ss};
    if (m[7].matched) {
      std::string frac = m[7].str();
      frac.resize(3, '0');
      t += milliseconds{std::stoi(frac)};
    }
    const std::string zone = m[8].str();
    if (zone != "Z") {
      const int sign = zone[0] == '-' ? -1 : 1;
      const int oh = std::stoi(zone.substr(1, 2)), om = std::stoi(zone.substr(4, 2));
      if (oh > 23 || om > 59) return std::nullopt;
      t -= sign * (hours{oh} + minutes{om});
    }
  }
  return time_point_cast<system_clock::duration>(t);
}

std::string format_iso8601(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = time_point_cast<milliseconds>(t);
  const auto day_start = floor<days>(ms);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{ms - day_start};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                     hms.subseconds().count());
}

}  // namespace vigie
