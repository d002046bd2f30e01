#include "api/json_body.hpp"

#include <cstdint>
#include <string>

namespace vigie::api {
namespace {

using Json = nlohmann::json;

// A first pass that only counts depth (and finds syntax errors) without storing anything, so
// that the tree is built only for documents known to be shallow.
class DepthCheck : public nlohmann::json_sax<Json> {
 public:
  explicit DepthCheck(int max_depth) : max_depth_(max_depth) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return leave(); }
  bool start_array(std::size_t) override { return enter(); }
  bool end_array() override { return leave(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    error_byte_ = position;
    return false;
  }

  [[nodiscard]] bool too_deep() const { return too_deep_; }
  [[nodiscard]] std::size_t error_byte() const { return error_byte_; }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;  // stops the parse here
    }
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }

  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::size_t error_byte_ = 0;
};

}  // namespace

Result<Json> parse_json_body(std::string_view text, int max_depth) {
  DepthCheck check(max_depth);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &check);
  if (check.too_deep()) {
    return invalid_argument("the body is nested deeper than " + std::to_string(max_depth) +
                            " levels of arrays and objects");
  }
  if (!ok) {
    return invalid_argument("the body is not valid JSON (at byte " +
                            std::to_string(check.error_byte()) + ")");
  }
  // Cannot fail any more: the same text was just accepted.
  return Json::parse(text.begin(), text.end(), nullptr, false);
}

}  // namespace vigie::api
