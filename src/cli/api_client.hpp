#pragma once
// A supervisor's session with a running node's API, for the commands that act through it
// (stop, resume, reload).

#include <memory>
#include <string>

#include <httplib.h>

namespace vigie::cli {

/// Where the node is and who acts.
struct ApiLogin {
  std::string api = "http://127.0.0.1:8080";
  std::string user;
  bool insecure = false;  ///< accept a self-signed HTTPS certificate
};

/// A logged-in client: post() sends a JSON body with the session's bearer token.
class ApiSession {
 public:
  /// Logs in as login.user with the password from $VIGIE_PASSWORD or the first line of
  /// standard input (never the command line: it would show in the process list). Null, after
  /// printing why to stderr with `what` as the prefix, when the login fails.
  static std::unique_ptr<ApiSession> open(const ApiLogin& login, const std::string& what);

  httplib::Result post(const std::string& path, const std::string& json_body);

 private:
  explicit ApiSession(const ApiLogin& login);
  httplib::Client client_;
  httplib::Headers headers_;
};

/// "409 camera gate is disabled", "no answer: Connection", or "HTTP 500".
std::string error_of(const httplib::Result& r);

}  // namespace vigie::cli
