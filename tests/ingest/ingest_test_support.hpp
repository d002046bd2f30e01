#pragma once
// Helpers for the ingest tests: temporary files, generated clips, child processes, a real
// RTSP server, a tiny MJPEG HTTP server, and a driver that plays the engine's scheduler.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "ingest/source.hpp"

namespace vigie::ingest::testing {

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Where generated clips are cached between test processes (under the build directory).
std::string clip_cache_dir();

/// Runs a shell command; returns its exit status.
int run_command(const std::string& command);

/// Makes an H.264 MP4 test clip (testsrc2, no B-frames, yuv420p) unless it exists.
/// `extra` goes before the output name (e.g. "-movflags +faststart").
std::string make_clip(const std::string& path, int width, int height, int fps, double seconds,
                      int gop, const std::string& extra = "");

/// A port on 127.0.0.1 that was free a moment ago.
int free_port();
/// Polls until 127.0.0.1:port accepts a TCP connection or the deadline passes.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

/// A child process, killed (SIGKILL) and reaped on destruction or kill().
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv);
  ~Child() { kill(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  void kill();
  [[nodiscard]] int pid() const { return pid_; }

 private:
  int pid_ = -1;
};

/// tests/ingest/rtsp_server.py serving `clip` at rtsp://127.0.0.1:port/<mount>.
class RtspServer {
 public:
  RtspServer(std::string clip, int port, std::vector<std::string> mounts = {"/cam0"});
  /// Starts the server and waits until its port accepts; false if it did not come up.
  bool start();
  /// Kills the server process (SIGKILL, as a crash would).
  void kill() { child_.reset(); }
  [[nodiscard]] std::string url(const std::string& mount = "/cam0") const;
  [[nodiscard]] int port() const { return port_; }

 private:
  std::string clip_;
  int port_;
  std::vector<std::string> mounts_;
  std::unique_ptr<Child> child_;
};

/// A multipart/x-mixed-replace HTTP server on 127.0.0.1 (port 0), serving JPEGs at `fps`;
/// frame number `corrupt_index` (and every `corrupt_every` after it, if > 0) is garbage.
class MjpegServer {
 public:
  MjpegServer(double fps, int corrupt_index, int corrupt_every = 0);
  ~MjpegServer();
  MjpegServer(const MjpegServer&) = delete;
  MjpegServer& operator=(const MjpegServer&) = delete;
  [[nodiscard]] std::string url() const;
  [[nodiscard]] int frames_sent() const { return sent_.load(); }

 private:
  void serve();
  void serve_client(int fd);
  double fps_;
  int corrupt_index_;
  int corrupt_every_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::thread thread_;
  std::vector<std::thread> clients_;
  std::mutex clients_mutex_;
};

/// A TCP listener that accepts nothing and answers nothing (a silent peer).
class SilentPeer {
 public:
  SilentPeer();
  ~SilentPeer();
  SilentPeer(const SilentPeer&) = delete;
  SilentPeer& operator=(const SilentPeer&) = delete;
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// What a driver saw of one analysed frame.
struct SeenFrame {
  double pts_s;
  std::chrono::steady_clock::time_point arrived;
  int width;
  int height;
  int source_width;
  int source_height;
  std::int64_t index;
};

/// Plays the engine's scheduler for one source: a thread that calls step() when on_ready
/// fires, and records the frames.
class Driver {
 public:
  explicit Driver(SourceOptions options, const Clock& clock = SystemClock::instance());
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  void start();
  /// Stops the source and the thread; returns how long Source::stop() took.
  std::chrono::milliseconds stop();
  Source& source() { return *source_; }
  [[nodiscard]] CameraHealth health() const { return source_->health(); }
  [[nodiscard]] std::vector<SeenFrame> frames() const;
  [[nodiscard]] std::size_t frame_count() const;
  /// Frames that arrived in [from, to).
  [[nodiscard]] std::size_t frames_between(std::chrono::steady_clock::time_point from,
                                           std::chrono::steady_clock::time_point to) const;
  [[nodiscard]] bool ended() const { return ended_.load(); }
  /// Polls `predicate` every 10 ms until it holds or `timeout` passes.
  bool wait_until(const std::function<bool(const CameraHealth&)>& predicate,
                  std::chrono::milliseconds timeout) const;

 private:
  void loop();
  std::unique_ptr<Source> source_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool ready_ = false;
  bool quit_ = false;
  std::atomic<bool> ended_{false};
  std::vector<SeenFrame> frames_;
};

/// Polls `predicate` every 10 ms until it holds or `timeout` passes.
bool poll_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout);

}  // namespace vigie::ingest::testing
