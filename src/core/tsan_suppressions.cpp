// Built only with -DVIGIE_SANITIZE=thread. ThreadSanitizer sees the synchronisation of code
// it instrumented. Debian's OpenCV (and the GDAL its codecs load), its TBB thread pool, and
// the cpp-httplib and spdlog shared libraries are not instrumented, so their internal
// hand-offs (OpenCV's parallel loops on TBB's threads, httplib's buffers between its pool
// threads) are reported as races they are not.
// Reports whose stack passes through those libraries are suppressed; everything else, our
// code in particular, is reported and fails the test.

extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libtbb.so.12\n"
         "race:libtbb.so.12\n"
         "race:libopencv_core.so.406\n"
         "race:libopencv_imgproc.so.406\n"
         "race:libopencv_video.so.406\n"
         "race:libcpp-httplib.so.0.11\n"
         // spdlog's compiled library sets a logger's level with an atomic store TSan does
         // not see; its headers read it with an atomic load that TSan does.
         "race:libspdlog.so.1.10\n"
         "race:spdlog::logger::should_log\n"
         // OpenCV's image codecs take GDAL's own mutexes (registering its drivers) in an
         // order TSan cannot follow through the uninstrumented library.
         "race:libopencv_imgcodecs.so.406\n"
         "race:libgdal.so.32\n"
         "deadlock:libgdal.so.32\n";
}
