#include "publish/mqtt_test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

extern char** environ;

namespace vigie::test {

bool eventually(const std::function<bool()>& condition, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_s));
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const sockaddr_in addr = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& output) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  if (!output.empty()) {
    ::posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                       0644);
    ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

Broker::Broker(std::filesystem::path dir, int port, std::string extra)
    : dir_(std::move(dir)), port_(port), extra_(std::move(extra)) {
  std::filesystem::create_directories(dir_);
}

Broker::~Broker() {
  stop();
}

bool Broker::start(std::string* why) {
  if (pid_ > 0) return true;
  const auto conf = dir_ / "mosquitto.conf";
  {
    std::ofstream out(conf);
    out << "listener " << port_ << " 127.0.0.1\n"
        << "persistence true\n"
        << "persistence_location " << dir_.string() << "/\n"
        << "log_dest file " << (dir_ / "mosquitto.log").string() << "\n"
        << "log_type all\n"
        << extra_;
    // As root, mosquitto would otherwise switch to its own user, who cannot read this folder.
    if (::geteuid() == 0) out << "user root\n";
  }
  pid_ = spawn({"/usr/sbin/mosquitto", "-c", conf.string()}, dir_ / "mosquitto.log");
  if (pid_ <= 0) {
    if (why) *why = "cannot start /usr/sbin/mosquitto";
    return false;
  }
  const bool up = eventually(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;  // exited: stop waiting
        }
        return accepts_connections(port_);
      },
      5.0);
  if (!up || pid_ <= 0) {
    if (why)
      *why = "mosquitto did not start listening on port " + std::to_string(port_) + ": " + log();
    stop();
    return false;
  }
  return true;
}

void Broker::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  const bool exited = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 5.0);
  if (!exited) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

std::string Broker::log() const {
  std::ifstream in(dir_ / "mosquitto.log");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Subscriber::Subscriber(int port, std::string client_id, bool persistent_session) {
  mosquitto_lib_init();
  mosq_ = mosquitto_new(client_id.c_str(), !persistent_session, this);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, &Subscriber::on_connect);
  mosquitto_subscribe_callback_set(mosq_, &Subscriber::on_subscribe);
  mosquitto_disconnect_callback_set(mosq_, &Subscriber::on_disconnect);
  mosquitto_message_callback_set(mosq_, &Subscriber::on_message);
  mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
  mosquitto_connect_async(mosq_, "127.0.0.1", port, 5);
  mosquitto_loop_start(mosq_);
}

Subscriber::~Subscriber() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
  mosquitto_destroy(mosq_);
}

void Subscriber::on_connect(mosquitto* m, void* /*obj*/, int rc) {
  if (rc == 0) mosquitto_subscribe(m, nullptr, "vigie/#", 1);
}

void Subscriber::on_subscribe(mosquitto*, void* obj, int, int, const int*) {
  static_cast<Subscriber*>(obj)->subscribed_ = true;
}

void Subscriber::on_disconnect(mosquitto*, void* obj, int) {
  static_cast<Subscriber*>(obj)->subscribed_ = false;
}

void Subscriber::on_message(mosquitto*, void* obj, const mosquitto_message* msg) {
  auto* self = static_cast<Subscriber*>(obj);
  std::lock_guard lock(self->mutex_);
  self->received_.push_back({msg->topic,
                             std::string(static_cast<const char*>(msg->payload),
                                         static_cast<std::size_t>(msg->payloadlen)),
                             msg->retain});
}

std::vector<Received> Subscriber::messages() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::vector<std::string> Subscriber::payloads(const std::string& topic) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& m : received_) {
    if (m.topic == topic) out.push_back(m.payload);
  }
  return out;
}

std::string StringSink::text() {
  std::lock_guard lock(mutex_);
  return text_;
}

void StringSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  text_.append(formatted.data(), formatted.size());
}

LogCapture::LogCapture()
    : previous_(spdlog::default_logger()), sink_(std::make_shared<StringSink>()) {
  auto logger = std::make_shared<spdlog::logger>("capture", sink_);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() {
  spdlog::set_default_logger(previous_);
}

std::string LogCapture::text() const {
  return sink_->text();
}

}  // namespace vigie::test
