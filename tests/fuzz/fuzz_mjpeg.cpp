// The MJPEG camera path on arbitrary bytes: what an HTTP camera (or anything pretending to
// be one) sends is demuxed as multipart JPEG, decoded and scaled to the analysis image, and
// kept in the evidence ring, exactly as for a camera. The bytes are handed over through an
// in-memory file, read with the HTTP input's demuxer and options.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "ingest/demux_reader.hpp"
#include "ingest/frame_decoder.hpp"
#include "ingest/libav.hpp"
#include "ingest/packet_ring.hpp"
#include "ingest/source.hpp"

namespace {

using namespace vigie::ingest;

constexpr int kMaxPackets = 64;  // bounds one input's time; the seeds hold a few frames

void read_all(DemuxReader& reader) {
  AVStream& st = reader.stream();
  auto info = av::stream_info(st);
  auto decoder = FrameDecoder::open(info, {});
  if (!decoder.is_ok()) return;
  PacketRing ring(2.0);
  ring.reset(info);
  BgrScaler scaler;
  cv::Mat bgr;
  av::PacketPtr packet = av::make_packet();
  for (int n = 0; n < kMaxPackets && reader.read(*packet) == 0; ++n) {
    // As the camera path does for a stream without timestamps.
    if (packet->pts == AV_NOPTS_VALUE && packet->dts == AV_NOPTS_VALUE) packet->pts = packet->dts = n;
    ring.push(*packet);
    if ((*decoder)->send(packet.get()).is_ok()) {
      for (;;) {
        auto frame = (*decoder)->receive();
        if (!frame.is_ok() || *frame == nullptr) break;
        (void)scaler.scale(**frame, 320, bgr);
      }
    }
    av_packet_unref(packet.get());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  av_log_set_level(AV_LOG_QUIET);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("vigie-fuzz-mjpeg", MFD_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, data + written, size - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  SourceOptions options;
  options.url = "/proc/self/fd/" + std::to_string(fd);
  options.connect_timeout_s = 2.0;
  options.read_timeout_s = 2.0;
  Interrupter interrupter;
  auto reader = DemuxReader::open_as(options, InputKind::kHttp, interrupter);
  if (reader.is_ok()) read_all(**reader);
  close(fd);
  return 0;
}
