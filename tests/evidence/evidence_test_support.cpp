#include "evidence_test_support.hpp"

#include <cmath>
#include <cstdio>
#include <memory>

#include <opencv2/imgproc.hpp>

#include "evidence/clip_io.hpp"
#include "synth/video_writer.hpp"

namespace vigie::evidence::testing {

cv::Rect person_box(double t) {
  return {60 + static_cast<int>(std::lround(4.0 * t)), 70, 40, 100};
}

double disc_x(double t) {
  return 20.0 + std::fmod(30.0 * t, 280.0);
}

std::vector<Point> privacy_mask() {
  return {{220, 20}, {300, 20}, {300, 90}, {240, 100}};
}

std::vector<Point> zone() {
  return {{10, 130}, {200, 130}, {200, 186}, {10, 186}};
}

cv::Mat scene_frame(int index) {
  const double t = index / kFps;
  cv::Mat img(kHeight, kWidth, CV_8UC3);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      img.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<std::uint8_t>(60 + x / 4), static_cast<std::uint8_t>(80 + y / 4),
                    static_cast<std::uint8_t>(100 + (x + y) / 8));
    }
  }
  // Stripes under the privacy mask: visible if the mask ever leaks.
  std::vector<std::vector<cv::Point>> mask{{}};
  for (const Point& p : privacy_mask())
    mask[0].emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
  cv::Mat stripes(kHeight, kWidth, CV_8UC3);
  for (int x = 0; x < kWidth; ++x) {
    stripes.col(x).setTo(((x / 3) % 2) != 0 ? cv::Scalar(250, 250, 250) : cv::Scalar(10, 10, 10));
  }
  cv::Mat polygon_mask(kHeight, kWidth, CV_8U, cv::Scalar(0));
  cv::fillPoly(polygon_mask, mask, cv::Scalar(255));
  stripes.copyTo(img, polygon_mask);
  // The person: a 4 px checkerboard, the detail a face would have.
  const cv::Rect box = person_box(t);
  for (int y = 0; y < box.height; ++y) {
    for (int x = 0; x < box.width; ++x) {
      const bool white = ((x / 4) + (y / 4)) % 2 == 0;
      img.at<cv::Vec3b>(box.y + y, box.x + x) =
          white ? cv::Vec3b(240, 240, 240) : cv::Vec3b(15, 15, 15);
    }
  }
  cv::circle(img, cv::Point(static_cast<int>(std::lround(disc_x(t))), kDiscY), 10,
             cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_8);
  return img;
}

bool write_scene(const std::filesystem::path& path, double seconds) {
  synth::VideoWriterOptions options;
  options.fps = kFps;
  options.crf = 18;
  auto writer = synth::H264Writer::open(path, cv::Size(kWidth, kHeight), options);
  if (!writer) return false;
  const int frames = static_cast<int>(std::lround(seconds * kFps));
  for (int i = 0; i < frames; ++i) {
    if (!(*writer)->write(scene_frame(i)).is_ok()) return false;
  }
  return (*writer)->close().is_ok();
}

bool fill_ring(const std::filesystem::path& path, ingest::PacketRing& ring, cv::Size* size) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) return false;
  ingest::av::InputPtr in(raw);
  avformat_find_stream_info(raw, nullptr);
  const int idx = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (idx < 0) return false;
  auto info = ingest::av::stream_info(*raw->streams[idx]);
  if (size != nullptr) *size = {info->codecpar->width, info->codecpar->height};
  ingest::av::PacketPtr pkt = ingest::av::make_packet();
  bool first = true;
  while (av_read_frame(raw, pkt.get()) >= 0) {
    if (pkt->stream_index == idx) {
      if (first) {
        info->first_pts = ingest::av::packet_ts(*pkt);
        ring.reset(info);
        first = false;
      }
      ring.push(*pkt);
    }
    av_packet_unref(pkt.get());
  }
  return !first;
}

std::vector<TimedBoxes> person_track(double seconds) {
  std::vector<TimedBoxes> out;
  for (int i = 0; i < static_cast<int>(std::lround(seconds * kFps)); ++i) {
    const double t = i / kFps;
    out.push_back({t, {cv::Rect2d(person_box(t))}, {}});
  }
  return out;
}

std::map<int, cv::Mat> decode_frames(const std::filesystem::path& path, double first_s) {
  std::map<int, cv::Mat> frames;
  auto clip = read_clip(path, first_s);
  if (!clip) return frames;
  auto stats = decode_clip(*clip, [&](DecodedFrame& f) {
    frames[static_cast<int>(std::lround(f.pts_s * kFps))] = f.bgr;
    return Status::ok();
  });
  (void)stats;
  return frames;
}

double horizontal_detail(const cv::Mat& bgr, const cv::Rect& roi) {
  cv::Mat grey;
  cv::cvtColor(bgr(roi), grey, cv::COLOR_BGR2GRAY);
  cv::Mat a = grey.colRange(0, grey.cols - 1);
  cv::Mat b = grey.colRange(1, grey.cols);
  cv::Mat d;
  cv::absdiff(a, b, d);
  return cv::mean(d)[0];
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b, const cv::Rect& roi) {
  cv::Mat d;
  cv::absdiff(a(roi), b(roi), d);
  const cv::Scalar m = cv::mean(d);
  return (m[0] + m[1] + m[2]) / 3.0;
}

std::string command_output(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  return out;
}

}  // namespace vigie::evidence::testing
