#include "support/prometheus_check.hpp"

#include <cmath>
#include <regex>
#include <set>
#include <sstream>

namespace vigie::test {
namespace {

const std::regex kName(R"([a-zA-Z_:][a-zA-Z0-9_:]*)");
const std::regex kLabelName(R"([a-zA-Z_][a-zA-Z0-9_]*)");

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool parse_value(const std::string& text, double& out) {
  if (text == "+Inf") { out = INFINITY; return true; }
  if (text == "-Inf") { out = -INFINITY; return true; }
  if (text == "NaN") { out = NAN; return true; }
  std::size_t used = 0;
  try {
    out = std::stod(text, &used);
  } catch (...) {
    return false;
  }
  return used == text.size();
}

class Reader {
 public:
  explicit Reader(PromExposition& e) : e_(e) {}

  void line(const std::string& l, int n) {
    n_ = n;
    if (l.empty()) return;
    if (l.rfind("# HELP ", 0) == 0) return help(l.substr(7));
    if (l.rfind("# TYPE ", 0) == 0) return type(l.substr(7));
    if (l[0] == '#') return;
    sample(l);
  }

  void finish() {
    for (const auto& f : e_.families) check_family(f);
  }

 private:
  void error(const std::string& what) { e_.errors.push_back("line " + std::to_string(n_) + ": " + what); }

  void help(const std::string& rest) {
    const auto sp = rest.find(' ');
    const std::string name = rest.substr(0, sp);
    if (!std::regex_match(name, kName)) return error("bad metric name '" + name + "'");
    if (!seen_.insert(name).second) return error("family " + name + " written twice");
    PromFamily f;
    f.name = name;
    f.help = sp == std::string::npos ? "" : rest.substr(sp + 1);
    if (f.help.empty()) error("family " + name + " has an empty HELP");
    e_.families.push_back(f);
    expecting_type_ = true;
  }

  void type(const std::string& rest) {
    const auto sp = rest.find(' ');
    const std::string name = rest.substr(0, sp);
    const std::string t = sp == std::string::npos ? "" : rest.substr(sp + 1);
    if (e_.families.empty() || e_.families.back().name != name || !expecting_type_) {
      return error("TYPE of " + name + " not right after its HELP");
    }
    if (t != "counter" && t != "gauge" && t != "histogram") {
      return error(name + ": type '" + t + "' is not counter, gauge or histogram");
    }
    e_.families.back().type = t;
    expecting_type_ = false;
  }

  void sample(const std::string& l) {
    PromSample s;
    std::size_t i = 0;
    while (i < l.size() && l[i] != '{' && l[i] != ' ') ++i;
    s.name = l.substr(0, i);
    if (!std::regex_match(s.name, kName)) return error("bad sample name '" + s.name + "'");
    if (i < l.size() && l[i] == '{') {
      ++i;
      while (i < l.size() && l[i] != '}') {
        const auto eq = l.find('=', i);
        if (eq == std::string::npos) return error("label without '=' in " + l);
        const std::string key = l.substr(i, eq - i);
        if (!std::regex_match(key, kLabelName)) return error("bad label name '" + key + "'");
        if (eq + 1 >= l.size() || l[eq + 1] != '"') return error("label value not quoted: " + l);
        std::string value;
        std::size_t j = eq + 2;
        for (; j < l.size() && l[j] != '"'; ++j) {
          if (l[j] != '\\') { value += l[j]; continue; }
          if (++j >= l.size()) break;
          if (l[j] == 'n') value += '\n';
          else if (l[j] == '\\' || l[j] == '"') value += l[j];
          else return error(std::string("bad escape \\") + l[j] + " in " + l);
        }
        if (j >= l.size()) return error("unterminated label value: " + l);
        if (!s.labels.emplace(key, value).second) return error("label " + key + " twice: " + l);
        i = j + 1;
        if (i < l.size() && l[i] == ',') ++i;
      }
      if (i >= l.size()) return error("unterminated label set: " + l);
      ++i;
    }
    if (i >= l.size() || l[i] != ' ') return error("no value: " + l);
    const std::string value_text = l.substr(i + 1);
    if (value_text.find(' ') != std::string::npos) return error("timestamps are not used: " + l);
    if (!parse_value(value_text, s.value)) return error("bad value '" + value_text + "'");
    if (e_.families.empty() || expecting_type_) return error("sample before HELP and TYPE: " + l);
    PromFamily& f = e_.families.back();
    const bool own = s.name == f.name ||
                     (f.type == "histogram" && (s.name == f.name + "_bucket" ||
                                                s.name == f.name + "_sum" ||
                                                s.name == f.name + "_count"));
    if (!own) return error("sample " + s.name + " outside its family (in " + f.name + ")");
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "|" + k + "=" + v;
    if (!series_.insert(key).second) return error("series written twice: " + l);
    f.samples.push_back(s);
  }

  void check_family(const PromFamily& f) {
    const std::string& n = f.name;
    auto bad = [&](const std::string& why) { e_.errors.push_back(n + ": " + why); };
    if (f.type == "counter" && !ends_with(n, "_total")) bad("a counter's name ends in _total");
    if (f.type != "counter" && ends_with(n, "_total")) bad("only counters end in _total");
    for (const char* unit : {"_ms", "_milliseconds", "_us", "_minutes", "_hours", "_kb", "_mb",
                             "_kilobytes", "_megabytes", "_percent", "_fps"}) {
      if (n.find(std::string(unit) + "_") != std::string::npos || ends_with(n, unit)) {
        bad(std::string("use base units (seconds, bytes, ratios), not ") + unit);
      }
    }
    for (const char* timeish : {"latency", "duration", "_time", "cpu"}) {
      if (n.find(timeish) != std::string::npos && n.find("_seconds") == std::string::npos) {
        bad("a time is in _seconds");
      }
    }
    if (n.find("memory") != std::string::npos && n.find("_bytes") == std::string::npos) {
      bad("a size is in _bytes");
    }
    if (f.type == "histogram") check_histogram(f);
  }

  void check_histogram(const PromFamily& f) {
    // Series by their labels without le.
    std::map<std::string, std::vector<const PromSample*>> buckets;
    std::map<std::string, const PromSample*> sums, counts;
    auto key_of = [](const PromSample& s) {
      std::string k;
      for (const auto& [name, v] : s.labels) {
        if (name != "le") k += name + "=" + v + "|";
      }
      return k;
    };
    for (const auto& s : f.samples) {
      if (s.name == f.name + "_bucket") {
        if (!s.labels.count("le")) e_.errors.push_back(f.name + ": a bucket without le");
        buckets[key_of(s)].push_back(&s);
      } else if (s.name == f.name + "_sum") {
        sums[key_of(s)] = &s;
      } else if (s.name == f.name + "_count") {
        counts[key_of(s)] = &s;
      } else {
        e_.errors.push_back(f.name + ": a histogram sample without _bucket, _sum or _count");
      }
    }
    for (const auto& [key, list] : buckets) {
      const std::string where = f.name + "{" + key + "}: ";
      double last_le = -INFINITY;
      double last_count = 0;
      for (const PromSample* b : list) {
        double le = 0;
        if (!parse_value(b->labels.at("le"), le)) {
          e_.errors.push_back(where + "le '" + b->labels.at("le") + "' is not a number");
          continue;
        }
        if (!(le > last_le)) e_.errors.push_back(where + "le not ascending");
        if (b->value < last_count) e_.errors.push_back(where + "buckets not cumulative");
        last_le = le;
        last_count = b->value;
      }
      if (!std::isinf(last_le) || last_le < 0) e_.errors.push_back(where + "no le=\"+Inf\" bucket last");
      if (!sums.count(key)) e_.errors.push_back(where + "no _sum");
      if (!counts.count(key)) {
        e_.errors.push_back(where + "no _count");
      } else if (counts[key]->value != last_count) {
        e_.errors.push_back(where + "_count differs from the +Inf bucket");
      }
    }
    if (buckets.size() != counts.size() || buckets.size() != sums.size()) {
      e_.errors.push_back(f.name + ": series with _sum or _count but no buckets");
    }
  }

  PromExposition& e_;
  int n_ = 0;
  bool expecting_type_ = false;
  std::set<std::string> seen_;
  std::set<std::string> series_;
};

}  // namespace

const PromFamily* PromExposition::family(const std::string& name) const {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

double PromExposition::value(const std::string& name,
                             const std::map<std::string, std::string>& labels) const {
  for (const auto& f : families) {
    for (const auto& s : f.samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) match = false;
      }
      if (match) return s.value;
    }
  }
  return -1;
}

PromExposition parse_prometheus(const std::string& text) {
  PromExposition e;
  if (!text.empty() && text.back() != '\n') e.errors.push_back("the text does not end in a line feed");
  Reader reader(e);
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) reader.line(line, ++n);
  reader.finish();
  return e;
}

}  // namespace vigie::test
