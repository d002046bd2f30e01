#!/usr/bin/env bash
# Installs the Debian 12 packages vigie needs, and nothing when they are all present.
# Usage: scripts/install-deps.sh [build|package|test|fuzz]
#   package = build + what `make package` uses; test = package + what the tests start;
#   fuzz = test + clang and its libFuzzer runtime
# Idempotent and quiet when there is nothing to do. README.md says what each package is for.
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config
  libopencv-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libssl-dev
  libmosquitto-dev libcpp-httplib-dev libsqlite3-dev libpqxx-dev libsodium-dev
  libsystemd-dev
)
package_packages=(dpkg-dev file)
test_packages=(
  libgtest-dev libgmock-dev
  ffmpeg
  postgresql
  mosquitto mosquitto-clients
  python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav
  chromium
  systemd
)

fuzz_packages=(clang libclang-rt-14-dev)

wanted=("${build_packages[@]}")
case "${1:-build}" in
  build) ;;
  package) wanted+=("${package_packages[@]}") ;;
  test|fuzz)
    [ "${1}" = fuzz ] && wanted+=("${fuzz_packages[@]}")
    wanted+=("${package_packages[@]}" "${test_packages[@]}")
    # Node.js and npm run the console's browser test. A machine that already has them (from
    # NodeSource or nvm, say) keeps its own: Debian's packages would conflict with them.
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
      wanted+=(nodejs npm)
    fi
    ;;
  *) echo "usage: $0 [build|package|test|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or install them) and try again" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
