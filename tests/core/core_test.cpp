#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>
#include <vector>

#include "core/bug.hpp"
#include "core/digest.hpp"
#include "core/event_type.hpp"
#include "core/geometry.hpp"
#include "core/iso_time.hpp"
#include "core/log.hpp"
#include "core/process_usage.hpp"
#include "core/prometheus.hpp"
#include "core/redact.hpp"
#include "core/status.hpp"

namespace vigie {
namespace {

TEST(EventTypeTest, ExactlyEightRoundTrip) {
  EXPECT_EQ(kAllEventTypes.size(), 8u);
  for (EventType t : kAllEventTypes) EXPECT_EQ(parse_event_type(to_string(t)), t);
  EXPECT_FALSE(parse_event_type("face_recognition"));
  EXPECT_FALSE(parse_event_type("loitering"));
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> ok = 3;
  EXPECT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok, 3);
  Result<int> bad = invalid_argument("nope");
  EXPECT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().to_string(), "invalid_argument: nope");
}

TEST(GeometryTest, PolygonsAndSegments) {
  const std::vector<Point> square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  EXPECT_TRUE(is_simple_polygon(square));
  EXPECT_DOUBLE_EQ(std::abs(signed_area(square)), 100.0);
  EXPECT_TRUE(polygon_contains(square, {5, 5}));
  EXPECT_FALSE(polygon_contains(square, {15, 5}));
  EXPECT_FALSE(is_simple_polygon({{0, 0}, {10, 10}, {10, 0}, {0, 10}}));
  EXPECT_TRUE(segments_intersect({0, 0}, {10, 10}, {0, 10}, {10, 0}));
  EXPECT_FALSE(segments_intersect({0, 0}, {1, 0}, {0, 1}, {1, 1}));
}

TEST(GeometryTest, IncludeGrowsARegionAndAnEmptyOneTakesTheBox) {
  cv::Rect2d region;
  include(region, {100, 50, 10, 20});
  EXPECT_EQ(region, cv::Rect2d(100, 50, 10, 20)) << "not stretched to the origin";
  include(region, {130, 40, 5, 5});
  EXPECT_EQ(region, cv::Rect2d(100, 40, 35, 30));
}

TEST(GeometryTest, HomographyMapsCorrespondencesBothWays) {
  const std::vector<Point> image{{100, 300}, {540, 300}, {420, 100}, {220, 100}};
  const std::vector<Point> ground{{0, 0}, {10, 0}, {10, 20}, {0, 20}};
  const auto h = Homography::from_points(image, ground);
  ASSERT_TRUE(h);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(h->to_ground(image[i]).x, ground[i].x, 1e-3);
    EXPECT_NEAR(h->to_ground(image[i]).y, ground[i].y, 1e-3);
    EXPECT_NEAR(h->to_image(ground[i]).x, image[i].x, 1e-2);
  }
  EXPECT_FALSE(Homography::from_points({{0, 0}, {1, 0}, {2, 0}, {0, 1}}, ground));
}

TEST(IsoTimeTest, ParsesZonesAndRejectsAmbiguity) {
  const auto a = parse_iso8601("2026-07-01T02:00:00+02:00");
  const auto b = parse_iso8601("2026-07-01T00:00:00Z");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(format_iso8601(*b), "2026-07-01T00:00:00.000Z");
  EXPECT_TRUE(parse_iso8601("2026-07-01"));
  EXPECT_FALSE(parse_iso8601("2026-07-01T00:00:00"));
  EXPECT_FALSE(parse_iso8601("2026-02-30"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

TEST(RedactTest, HidesUrlCredentialsAndRegisteredSecrets) {
  EXPECT_EQ(redact_url("rtsp://user:pa:ss@cam.local:554/s?x=1"), "rtsp://***@cam.local:554/s?x=1");
  EXPECT_EQ(redact_url("rtsp://cam.local/s"), "rtsp://cam.local/s");
  EXPECT_EQ(redact_url("/videos/a@b.mp4"), "/videos/a@b.mp4");
  // An '@' inside the password: everything up to the last '@' of the authority is hidden.
  EXPECT_EQ(redact_url("rtsp://admin:p@ss@w0rd@10.0.0.1/s"), "rtsp://***@10.0.0.1/s");
  EXPECT_EQ(redact_url("open rtsp://a:b@h/x and http://c:d@@e:80 failed"),
            "open rtsp://***@h/x and http://***@e:80 failed");
  // A long text is scanned, not matched by recursion.
  const std::string long_text(200'000, 'a');
  EXPECT_EQ(redact_url(long_text), long_text);
  register_secret("tok-1234567");
  EXPECT_EQ(redact("bearer tok-1234567 sent"), "bearer *** sent");
  register_secret("ab");  // too short to hide safely
  EXPECT_EQ(redact("about"), "about");
}

TEST(ThrottledLogTest, FoldsRepeatsWithinAnInterval) {
  ManualClock clock;
  ThrottledLog log("cam1", clock, 1.0);
  EXPECT_TRUE(log.warn("decode error"));
  EXPECT_FALSE(log.warn("decode error"));
  EXPECT_FALSE(log.warn("decode error"));
  clock.advance(Seconds(1.1));
  EXPECT_TRUE(log.warn("decode error"));
  EXPECT_EQ(log.total(), 4u);
}

TEST(ProcessUsageTest, CountsCpuTimeAndResidentMemory) {
  const ProcessUsage before = read_process_usage();
  // Touch 64 MiB and spin: both must show.
  std::vector<char> block(64 << 20);
  for (std::size_t i = 0; i < block.size(); i += 4096) block[i] = static_cast<char>(i);
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + i * 1e-9;
  const ProcessUsage after = read_process_usage();
  EXPECT_GT(after.cpu_s, before.cpu_s);
  EXPECT_GE(after.resident_bytes, before.resident_bytes + (48 << 20));
  EXPECT_GE(after.peak_resident_bytes, after.resident_bytes);
}

// Nicer than the thread that starts it, whatever that one's nice value: a process run
// under `nice -n 10` still has its background threads yield to its analysis threads.
TEST(ProcessUsageTest, ABackgroundThreadIsNicerThanItsStarter) {
  int starter = 0;
  int background = 0;
  int clamped = 0;
  std::thread worker([&] {
    errno = 0;
    starter = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
    background = make_this_thread_nicer(10);
    clamped = make_this_thread_nicer(10);
  });
  worker.join();
  EXPECT_EQ(background, std::min(19, starter + 10));
  EXPECT_EQ(clamped, 19);  // never beyond the last value
}

TEST(ProcessUsageTest, ThreadTimeIsCountedUnderTheThreadsName) {
  std::atomic<bool> spun{false};
  std::atomic<bool> done{false};
  std::thread worker([&] {
    name_this_thread("vigie-test-spinner-long-name");  // kept to 15 characters
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    volatile double sink = 0;
    while (std::chrono::steady_clock::now() < until) sink = sink + 1e-9;
    spun = true;
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  while (!spun) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto groups = thread_cpu_by_name();
  done = true;
  worker.join();
  const auto it = std::find_if(groups.begin(), groups.end(),
                               [](const auto& g) { return g.name == "vigie-test-spin"; });
  ASSERT_NE(it, groups.end()) << "no thread named vigie-test-spin";
  EXPECT_EQ(it->threads, 1);
  // 300 ms of spinning; the kernel counts in ticks and a busy machine may run it less.
  EXPECT_GT(it->cpu_s, 0.0);
  EXPECT_LT(it->cpu_s, 5.0);
}

TEST(PrometheusTextTest, FamiliesLabelsAndHistograms) {
  Histogram h({0.01, 0.1, 1});
  for (double v : {0.0078125, 0.0625, 0.0625, 2.0}) h.observe(v);  // exact in binary
  PrometheusText out;
  out.family("x_total", MetricType::kCounter, "A help with a \\ and a\nline feed.")
      .sample({{"camera", "a\"b\\c\nd"}}, 3)
      .sample({{"camera", "plain"}}, 0.5);
  out.family("y_seconds", MetricType::kHistogram, "Durations.").histogram({{"camera", "c"}}, h.snapshot());
  out.gauge("z", "Inf.", std::numeric_limits<double>::infinity());
  EXPECT_EQ(out.text(),
            "# HELP x_total A help with a \\\\ and a\\nline feed.\n"
            "# TYPE x_total counter\n"
            "x_total{camera=\"a\\\"b\\\\c\\nd\"} 3\n"
            "x_total{camera=\"plain\"} 0.5\n"
            "# HELP y_seconds Durations.\n"
            "# TYPE y_seconds histogram\n"
            "y_seconds_bucket{camera=\"c\",le=\"0.01\"} 1\n"
            "y_seconds_bucket{camera=\"c\",le=\"0.1\"} 3\n"
            "y_seconds_bucket{camera=\"c\",le=\"1\"} 3\n"
            "y_seconds_bucket{camera=\"c\",le=\"+Inf\"} 4\n"
            "y_seconds_sum{camera=\"c\"} 2.1328125\n"
            "y_seconds_count{camera=\"c\"} 4\n"
            "# HELP z Inf.\n"
            "# TYPE z gauge\n"
            "z +Inf\n");
}

// ---- digests: the published test vectors (FIPS 180-2, RFC 4231 case 2) ----

TEST(Digest, Sha256OfKnownData) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, Sha256OfAFileEqualsThatOfItsBytes) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("vigie-digest-" + std::to_string(::getpid()) + ".bin");
  // Larger than one read block, so that the blocks are chained.
  const std::string bytes(200000, 'x');
  std::ofstream(path, std::ios::binary) << bytes;
  auto got = sha256_file(path);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  EXPECT_EQ(*got, sha256_hex(bytes));
  std::filesystem::remove(path);
  EXPECT_EQ(sha256_file(path).status().code(), StatusCode::kNotFound);
}

TEST(Digest, HmacSha256OfKnownData) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// ---- error propagation and impossible states ----

Status fails_if(bool fail) { return fail ? invalid_argument("asked to fail") : Status::ok(); }
Result<int> number_or_fail(bool fail) {
  if (fail) return not_found("no number");
  return 7;
}

Status twice(bool fail_first, bool fail_second, int& out) {
  VIGIE_RETURN_IF_ERROR(fails_if(fail_first));
  VIGIE_ASSIGN_OR_RETURN(const int n, number_or_fail(fail_second));
  VIGIE_RETURN_IF_ERROR(number_or_fail(false));  // a Result's error too
  out = 2 * n;
  return Status::ok();
}

Result<std::string> named(bool fail) {
  VIGIE_ASSIGN_OR_RETURN(auto n, number_or_fail(fail));
  return std::to_string(n);
}

TEST(StatusMacros, ReturnTheFirstErrorAndGoOnOtherwise) {
  int out = 0;
  EXPECT_EQ(twice(true, false, out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(twice(false, true, out).code(), StatusCode::kNotFound);
  EXPECT_EQ(out, 0) << "nothing after the error ran";
  EXPECT_TRUE(twice(false, false, out).is_ok());
  EXPECT_EQ(out, 14);
  EXPECT_EQ(*named(false), "7");
  EXPECT_EQ(named(true).status().message(), "no number");
}

#ifdef NDEBUG
TEST(Bug, IsCountedAndSurvivedInReleaseBuilds) {
  const auto before = bugs_reported();
  VIGIE_BUG("a test's impossible state");
  EXPECT_EQ(bugs_reported(), before + 1);
}
#else
TEST(BugDeathTest, AbortsInDebugBuilds) {
  EXPECT_DEATH(VIGIE_BUG("a test's impossible state"), "");
}
#endif

}  // namespace
}  // namespace vigie
