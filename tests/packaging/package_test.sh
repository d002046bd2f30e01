#!/bin/sh
# The Debian package: builds it with cpack into a temporary folder, then checks its control
# data, its maintainer scripts and its files, and runs the binary it holds from a root it
# was unpacked into (dpkg-deb -x: no maintainer script runs, nothing is installed).
# Usage: package_test.sh BUILD_DIR VERSION
set -eu
build=$1
version=$2

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null 2>&1 || { echo "skipped: $tool not found (apt-get install dpkg-dev)"; exit 77; }
done
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
if [ "$prefix" != /usr ]; then
  echo "skipped: this build installs under $prefix; the package needs -DCMAKE_INSTALL_PREFIX=/usr"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb="$work/out/vigie_${version}_amd64.deb"
[ -f "$deb" ] || { ls "$work/out" >&2; fail "no $deb"; }

# Control data.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = vigie ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
for dep in adduser libc6 libavcodec libopencv-core libsqlite3 libssl3 libsystemd0; do
  echo "$depends" | grep -q "$dep" || fail "Depends lacks $dep (dpkg-shlibdeps): $depends"
done
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/vigie/vigie.yaml "$work/control/conffiles" || fail "vigie.yaml is not a conffile"

# Maintainer scripts: valid shell, executable, and doing what the package promises.
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || fail "$script missing or not executable"
  sh -n "$work/control/$script" || fail "$script is not valid sh"
done
grep -q 'adduser --system --group' "$work/control/postinst" || fail "postinst creates no system user"
grep -q 'chown vigie:vigie /var/lib/vigie' "$work/control/postinst" || fail "postinst: /var/lib/vigie not owned by vigie"
grep -q 'chmod 0700 /var/lib/vigie' "$work/control/postinst" || fail "postinst: /var/lib/vigie not 0700"
grep -q 'systemctl stop vigie.service' "$work/control/prerm" || fail "prerm does not stop the service"
if grep -q 'rm -rf /var/lib/vigie' "$work/control/postrm"; then fail "postrm deletes the journal"; fi

# Files.
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$work/files"
for path in ./usr/bin/vigie ./usr/share/vigie/console/index.html ./etc/vigie/vigie.yaml \
            ./usr/lib/systemd/system/vigie.service ./usr/share/man/man1/vigie.1.gz \
            ./usr/share/doc/vigie/example.yaml; do
  grep -qx "$path" "$work/files" || fail "the package has no $path"
done
if grep -q '/usr/local\|node_modules' "$work/files"; then fail "stray files: $(grep '/usr/local\|node_modules' "$work/files" | head -3)"; fi

# Unpacked: the unit starts the binary the package installs; the man page renders; the
# configuration is valid; the binary finds its console beside it.
dpkg-deb -x "$deb" "$work/root"
grep -q '^ExecStart=/usr/bin/vigie run --config /etc/vigie/vigie.yaml' \
  "$work/root/usr/lib/systemd/system/vigie.service" || fail "ExecStart does not run /usr/bin/vigie"
# The unit as packaged (not only the one in the build tree) keeps the service contract and
# passes systemd-analyze verify, run on the binary it was unpacked with.
unit_status=0
"$(dirname "$0")/unit_verify_test.sh" "$work/root/usr/lib/systemd/system/vigie.service" \
  "$work/root/usr/bin" || unit_status=$?
case $unit_status in
  0) ;;
  77) echo "the packaged unit was not verified: systemd-analyze is not installed" ;;
  *) fail "the packaged systemd unit does not verify" ;;
esac
if command -v groff >/dev/null 2>&1; then
  warnings=$(gzip -dc "$work/root/usr/share/man/man1/vigie.1.gz" | groff -man -ww -z 2>&1)
  [ -z "$warnings" ] || fail "man page: $warnings"
fi
gzip -dc "$work/root/usr/share/man/man1/vigie.1.gz" | grep -q 'vigie journal verify' ||
  fail "the man page lacks the subcommands' help"
vigie="$work/root/usr/bin/vigie"
"$vigie" --version | grep -q "vigie $version" || fail "vigie --version: $("$vigie" --version)"
"$vigie" check-config "$work/root/etc/vigie/vigie.yaml" >"$work/check.log" 2>&1 ||
  { cat "$work/check.log" >&2; fail "the packaged configuration is not valid"; }
grep -q '127.0.0.1:8080' "$work/check.log" || fail "the packaged API is not on loopback: $(cat "$work/check.log")"
sed -e "s#/var/lib/vigie#$work/data#" -e 's/port: 8080/port: 0/' \
  "$work/root/etc/vigie/vigie.yaml" >"$work/node.yaml"
"$vigie" run --config "$work/node.yaml" --duration 1 --status-interval 0 >"$work/run.log" 2>&1 ||
  { cat "$work/run.log" >&2; fail "the packaged binary does not run"; }
grep -q "files from $work/root/usr/share/vigie/console" "$work/run.log" ||
  fail "the packaged binary does not find its console: $(grep console "$work/run.log")"
echo "package OK: $(basename "$deb"), $(wc -l <"$work/files") entries"
