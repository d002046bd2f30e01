#!/usr/bin/python3
"""A real RTSP server for the ingest tests: serves one H.264 MP4 clip on one or more mounts.

Usage: rtsp_server.py PORT CLIP.mp4 [MOUNT ...]   (default mount: /cam0)
Run with Debian's /usr/bin/python3 (it has the gi bindings). Listens on 127.0.0.1 only.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    port, clip = sys.argv[1], sys.argv[2]
    mounts = sys.argv[3:] or ["/cam0"]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    points = server.get_mount_points()
    for mount in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f"( filesrc location={clip} ! qtdemux ! h264parse "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )")
        factory.set_shared(True)
        points.add_factory(mount, factory)
    if server.attach(None) == 0:
        print("cannot listen on port", port, file=sys.stderr)
        return 1
    print("serving", mounts, "on", port, flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
