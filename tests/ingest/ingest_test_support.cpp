#include "ingest_test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

extern char** environ;

namespace vigie::ingest::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("vigie-ingest-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string clip_cache_dir() {
  const fs::path dir = fs::path(VIGIE_BINARY_DIR) / "tests" / "ingest" / "clips";
  fs::create_directories(dir);
  return dir.string();
}

int run_command(const std::string& command) {
  return std::system(command.c_str());
}

std::string make_clip(const std::string& path, int width, int height, int fps, double seconds,
                      int gop, const std::string& extra) {
  if (fs::exists(path)) return path;
  const std::string tmp = path + "." + std::to_string(::getpid()) + ".part.mp4";
  const std::string cmd =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=" + std::to_string(width) +
      "x" + std::to_string(height) + ":rate=" + std::to_string(fps) + " -t " +
      std::to_string(seconds) + " -c:v libx264 -preset ultrafast -bf 0 -g " + std::to_string(gop) +
      " -pix_fmt yuv420p " + extra + " '" + tmp + "'";
  if (run_command(cmd) != 0) return {};
  fs::rename(tmp, path);
  return path;
}

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int listen_on_loopback(int backlog, int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(fd, backlog);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

bool send_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int free_port() {
  int port = 0;
  const int fd = listen_on_loopback(1, port);
  ::close(fd);
  return port;
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  return poll_until(
      [port] {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr = loopback(port);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        ::close(fd);
        return ok;
      },
      timeout);
}

bool poll_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

Child::Child(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) == 0) pid_ = pid;
}

void Child::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

RtspServer::RtspServer(std::string clip, int port, std::vector<std::string> mounts)
    : clip_(std::move(clip)), port_(port), mounts_(std::move(mounts)) {}

bool RtspServer::start() {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   std::string(VIGIE_SOURCE_DIR) + "/tests/ingest/rtsp_server.py",
                                   std::to_string(port_), clip_};
  argv.insert(argv.end(), mounts_.begin(), mounts_.end());
  child_ = std::make_unique<Child>(argv);
  return child_->pid() > 0 && wait_for_port(port_, 15s);
}

std::string RtspServer::url(const std::string& mount) const {
  return "rtsp://127.0.0.1:" + std::to_string(port_) + mount;
}

MjpegServer::MjpegServer(double fps, int corrupt_index, int corrupt_every)
    : fps_(fps), corrupt_index_(corrupt_index), corrupt_every_(corrupt_every) {
  listen_fd_ = listen_on_loopback(8, port_);
  thread_ = std::thread([this] { serve(); });
}

MjpegServer::~MjpegServer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
  std::lock_guard lock(clients_mutex_);
  for (std::thread& t : clients_) t.join();
}

std::string MjpegServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/video.mjpg";
}

void MjpegServer::serve() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(clients_mutex_);
    clients_.emplace_back([this, fd] {
      serve_client(fd);
      ::close(fd);
    });
  }
}

void MjpegServer::serve_client(int fd) {
  // Read (and ignore) the request head.
  char buf[2048];
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, 2000) > 0) (void)::recv(fd, buf, sizeof(buf), 0);
  const std::string head =
      "HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=vigieframe\r\n"
      "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
  if (!send_all(fd, head.data(), head.size())) return;
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / fps_));
  auto next = std::chrono::steady_clock::now();
  std::mt19937 rng(7);
  for (int i = 0; !stop_; ++i) {
    cv::Mat img(240, 320, CV_8UC3, cv::Scalar(40, 80, 120));
    cv::rectangle(img, cv::Rect((i * 7) % 280, 100, 40, 40), cv::Scalar(255, 255, 255), -1);
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", img, jpeg);
    const bool corrupt = i == corrupt_index_ || (corrupt_every_ > 0 && i > corrupt_index_ &&
                                                 (i - corrupt_index_) % corrupt_every_ == 0);
    if (corrupt) {
      // SOI, then garbage, then EOI: looks like a JPEG part, cannot be decoded.
      for (std::size_t k = 2; k + 2 < jpeg.size(); ++k) {
        jpeg[k] = static_cast<std::uint8_t>(rng());
      }
    }
    const std::string part = "--vigieframe\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                             std::to_string(jpeg.size()) + "\r\n\r\n";
    if (!send_all(fd, part.data(), part.size()) || !send_all(fd, jpeg.data(), jpeg.size()) ||
        !send_all(fd, "\r\n", 2)) {
      return;
    }
    ++sent_;
    next += period;
    std::this_thread::sleep_until(next);
  }
}

SilentPeer::SilentPeer() {
  fd_ = listen_on_loopback(16, port_);
}

SilentPeer::~SilentPeer() {
  ::close(fd_);
}

Driver::Driver(SourceOptions options, const Clock& clock)
    : source_(make_source(std::move(options), clock)) {}

Driver::~Driver() {
  stop();
}

void Driver::start() {
  source_->start([this] {
    std::lock_guard lock(mutex_);
    ready_ = true;
    cv_.notify_one();
  });
  thread_ = std::thread([this] { loop(); });
}

std::chrono::milliseconds Driver::stop() {
  const auto t0 = std::chrono::steady_clock::now();
  source_->stop();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  return took;
}

void Driver::loop() {
  Frame frame;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return ready_ || quit_; });
      if (quit_) return;
      ready_ = false;
    }
    for (;;) {
      const StepResult r = source_->step(frame);
      if (r == StepResult::kFrame) {
        std::lock_guard lock(mutex_);
        frames_.push_back({frame.pts_s, std::chrono::steady_clock::now(), frame.bgr.cols,
                           frame.bgr.rows, frame.source_width, frame.source_height, frame.index});
        continue;
      }
      if (r == StepResult::kEnded) ended_ = true;
      break;
    }
  }
}

std::vector<SeenFrame> Driver::frames() const {
  std::lock_guard lock(mutex_);
  return frames_;
}

std::size_t Driver::frame_count() const {
  std::lock_guard lock(mutex_);
  return frames_.size();
}

std::size_t Driver::frames_between(std::chrono::steady_clock::time_point from,
                                   std::chrono::steady_clock::time_point to) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const SeenFrame& f : frames_) n += (f.arrived >= from && f.arrived < to) ? 1 : 0;
  return n;
}

bool Driver::wait_until(const std::function<bool(const CameraHealth&)>& predicate,
                        std::chrono::milliseconds timeout) const {
  return poll_until([&] { return predicate(source_->health()); }, timeout);
}

}  // namespace vigie::ingest::testing
