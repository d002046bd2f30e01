#include "cli/api_client.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

namespace vigie::cli {
namespace {

std::string read_password() {
  if (const char* p = std::getenv("VIGIE_PASSWORD"); p != nullptr) return p;
  std::string line;
  std::getline(std::cin, line);
  return line;
}

}  // namespace

std::string error_of(const httplib::Result& r) {
  if (!r) return "no answer: " + httplib::to_string(r.error());
  try {
    auto j = nlohmann::json::parse(r->body);
    return std::to_string(r->status) + " " + j.at("error").at("message").get<std::string>();
  } catch (const std::exception&) {
    return "HTTP " + std::to_string(r->status);
  }
}

ApiSession::ApiSession(const ApiLogin& login) : client_(login.api) {
  client_.set_connection_timeout(5);
  // A reload waits for each changed camera's frame in progress: longer than a plain call.
  client_.set_read_timeout(30);
  if (login.insecure) client_.enable_server_certificate_verification(false);
}

std::unique_ptr<ApiSession> ApiSession::open(const ApiLogin& login, const std::string& what) {
  std::unique_ptr<ApiSession> session(new ApiSession(login));
  const nlohmann::json body = {{"user", login.user}, {"password", read_password()}};
  auto r = session->client_.Post("/api/v1/login", body.dump(), "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "%s: login as %s failed: %s\n", what.c_str(), login.user.c_str(),
                 error_of(r).c_str());
    return nullptr;
  }
  std::string token;
  try {
    token = nlohmann::json::parse(r->body).value("token", "");
  } catch (const std::exception&) {
  }
  session->headers_ = {{"Authorization", "Bearer " + token}};
  return session;
}

httplib::Result ApiSession::post(const std::string& path, const std::string& json_body) {
  return client_.Post(path, headers_, json_body, "application/json");
}

}  // namespace vigie::cli
