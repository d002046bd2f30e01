#include "evidence/yuv420.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <opencv2/imgproc.hpp>

#include "ingest/frame_decoder.hpp"

namespace vigie::evidence {
namespace {

cv::Size chroma_size(cv::Size luma) {
  return {(luma.width + 1) / 2, (luma.height + 1) / 2};
}

// libswscale's vector code may write a few bytes past a row's end and into the row after
// the last: every plane is a view into a larger buffer.
cv::Mat padded_plane(cv::Size size) {
  cv::Mat buffer(size.height + 1, size.width + 32, CV_8UC1);
  return buffer(cv::Rect({0, 0}, size));
}

}  // namespace

Yuv420 Yuv420::make(cv::Size size) {
  return {padded_plane(size), padded_plane(chroma_size(size)), padded_plane(chroma_size(size))};
}

Yuv420 Yuv420::clone() const {
  Yuv420 copy = make(size());
  y.copyTo(copy.y);
  u.copyTo(copy.u);
  v.copyTo(copy.v);
  return copy;
}

cv::Rect Yuv420::chroma_cover(const cv::Rect& luma) {
  if (luma.empty()) return {};
  const int x0 = luma.x >> 1;  // floor, also for negative coordinates
  const int y0 = luma.y >> 1;
  const int x1 = (luma.br().x + 1) >> 1;
  const int y1 = (luma.br().y + 1) >> 1;
  return {x0, y0, x1 - x0, y1 - y0};
}

cv::Rect Yuv420::chroma_inside(const cv::Rect& luma) {
  if (luma.empty()) return {};
  const int x0 = (luma.x + 1) >> 1;
  const int y0 = (luma.y + 1) >> 1;
  const int x1 = luma.br().x >> 1;
  const int y1 = luma.br().y >> 1;
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

cv::Mat chroma_mask(const cv::Mat& luma_mask) {
  CV_Assert(luma_mask.type() == CV_8U);
  const cv::Size half = chroma_size(luma_mask.size());
  cv::Mat even;
  cv::copyMakeBorder(luma_mask, even, 0, half.height * 2 - luma_mask.rows, 0,
                     half.width * 2 - luma_mask.cols, cv::BORDER_CONSTANT, cv::Scalar(0));
  // The largest value of each 2 x 2 block: a block with any pixel set is set.
  // Row y of `pairs` holds rows 2y and 2y + 1 side by side (`even` is continuous).
  const cv::Mat pairs = even.reshape(1, half.height);
  cv::Mat rows_max;
  cv::max(pairs.colRange(0, even.cols), pairs.colRange(even.cols, 2 * even.cols), rows_max);
  cv::Mat out(half, CV_8U);
  for (int y = 0; y < half.height; ++y) {
    const std::uint8_t* in = rows_max.ptr<std::uint8_t>(y);
    std::uint8_t* o = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < half.width; ++x) o[x] = (in[2 * x] | in[2 * x + 1]) != 0 ? 255 : 0;
  }
  return out;
}

cv::Scalar yuv_of(const cv::Scalar& bgr) {
  const double b = bgr[0], g = bgr[1], r = bgr[2];
  return {16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0,
          128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0,
          128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0};
}

Yuv420 to_yuv420(const cv::Mat& bgr) {
  CV_Assert(bgr.type() == CV_8UC3);
  // yuv_of is affine: its matrix, rows Y, U, V and columns B, G, R, offset.
  const cv::Scalar offset = yuv_of({0, 0, 0});
  const cv::Scalar columns[3] = {yuv_of({1, 0, 0}) - offset, yuv_of({0, 1, 0}) - offset,
                                 yuv_of({0, 0, 1}) - offset};
  cv::Matx34f m;
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) m(row, col) = static_cast<float>(columns[col][row]);
    m(row, 3) = static_cast<float>(offset[row]);
  }
  cv::Mat yuv;
  cv::transform(bgr, yuv, m);  // CV_8UC3, rounded and saturated
  Yuv420 out = Yuv420::make(bgr.size());
  cv::Mat planes[3];
  cv::split(yuv, planes);
  planes[0].copyTo(out.y);
  // An odd edge repeats its last row or column, so its chroma is the mean of what is there.
  const cv::Size even(out.u.cols * 2, out.u.rows * 2);
  for (int c = 1; c <= 2; ++c) {
    cv::Mat full;
    cv::copyMakeBorder(planes[c], full, 0, even.height - bgr.rows, 0, even.width - bgr.cols,
                       cv::BORDER_REPLICATE);
    cv::resize(full, c == 1 ? out.u : out.v, out.u.size(), 0, 0, cv::INTER_AREA);
  }
  return out;
}

cv::Mat to_bgr(const Yuv420& image) {
  const cv::Size size = image.size();
  ingest::av::SwsPtr sws(sws_getContext(size.width, size.height, AV_PIX_FMT_YUV420P, size.width,
                                        size.height, AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr,
                                        nullptr, nullptr));
  if (!sws) return {};
  const std::uint8_t* src[4] = {image.y.data, image.u.data, image.v.data, nullptr};
  const int src_stride[4] = {static_cast<int>(image.y.step[0]), static_cast<int>(image.u.step[0]),
                             static_cast<int>(image.v.step[0]), 0};
  // Padded like the planes, for the same reason.
  cv::Mat padded(size.height + 1, size.width + 16, CV_8UC3);
  std::uint8_t* dst[4] = {padded.data, nullptr, nullptr, nullptr};
  const int dst_stride[4] = {static_cast<int>(padded.step[0]), 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, size.height, dst, dst_stride);
  return padded(cv::Rect({0, 0}, size)).clone();
}

Status Yuv420Scaler::scale(const AVFrame& frame, int width, Yuv420& out) {
  const cv::Size size = ingest::BgrScaler::target_size(frame.width, frame.height, width);
  if (!ingest::prepare_scaler(sws_, frame, size, AV_PIX_FMT_YUV420P)) {
    return internal_error("cannot create a YUV 4:2:0 scaler for this frame format");
  }
  if (out.size() != size) out = Yuv420::make(size);
  std::uint8_t* dst[4] = {out.y.data, out.u.data, out.v.data, nullptr};
  const int dst_stride[4] = {static_cast<int>(out.y.step[0]), static_cast<int>(out.u.step[0]),
                             static_cast<int>(out.v.step[0]), 0};
  sws_scale(sws_.get(), frame.data, frame.linesize, 0, frame.height, dst, dst_stride);
  return Status::ok();
}

}  // namespace vigie::evidence
