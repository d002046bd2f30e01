#!/bin/sh
# Fetches a detector model from its public release and checks its SHA-256.
#
#   scripts/get-model.sh NAME DEST
#
# NAME: yolox_nano, fastestdet, yolo-fastest-1.1 (COCO, 80 classes) or yolo-fastest-1.1_body
# (persons only). DEST: a folder; the file(s) are written there, then named in the
# configuration's detector.model (docs/detector.md). For users: the build and the tests never
# run it, and models are never committed to this repository.
#
# The hashes are those of the files vigie was evaluated with. A release that changed gives
# another hash: the script then refuses the file rather than install something unchecked.
set -eu

usage() {
  echo "usage: $0 yolox_nano|fastestdet|yolo-fastest-1.1|yolo-fastest-1.1_body DEST" >&2
  exit 2
}
[ $# -eq 2 ] || usage
name=$1
dest=$2

YF=https://raw.githubusercontent.com/dog-qiuqiu/Yolo-Fastest
case "$name" in
  yolox_nano)
    files="yolox_nano.onnx"
    url_yolox_nano_onnx=https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx
    sha_yolox_nano_onnx=e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd
    ;;
  fastestdet)
    files="FastestDet.onnx"
    url_FastestDet_onnx=https://raw.githubusercontent.com/dog-qiuqiu/FastestDet/97df0a850c4949dcd7d9abf9c539679eee6b6a90/example/onnx-runtime/FastestDet.onnx
    sha_FastestDet_onnx=31cb14c017fce347cb4c846ec62fdf00d76bb3beecdf4be21e7116ac67feb880
    ;;
  yolo-fastest-1.1)
    files="yolo-fastest-1.1.weights yolo-fastest-1.1.cfg"
    url_yolo_fastest_1_1_weights=$YF/99d03d0f26e2555275bdb30f43479d47cc19311f/ModelZoo/yolo-fastest-1.1_coco/yolo-fastest-1.1.weights
    sha_yolo_fastest_1_1_weights=1c445c42bbd6df63edea2cc69f99667b5650d663ca11e34b116240740cd42890
    url_yolo_fastest_1_1_cfg=$YF/99d03d0f26e2555275bdb30f43479d47cc19311f/ModelZoo/yolo-fastest-1.1_coco/yolo-fastest-1.1.cfg
    sha_yolo_fastest_1_1_cfg=""
    ;;
  yolo-fastest-1.1_body)
    files="yolo-fastest-1.1_body.weights yolo-fastest-1.1_body.cfg"
    url_yolo_fastest_1_1_body_weights=$YF/9c62b1c50e024fb73d29a651133b1d63548e63a1/ModelZoo/yolo-fastest-1.1_body/yolo-fastest-1.1_body.weights
    sha_yolo_fastest_1_1_body_weights=5bbb6d878f6e2eb3deee39e91dc6f9b39700e99ec83fa94d258670a554949728
    url_yolo_fastest_1_1_body_cfg=$YF/9c62b1c50e024fb73d29a651133b1d63548e63a1/ModelZoo/yolo-fastest-1.1_body/yolo-fastest-1.1_body.cfg
    sha_yolo_fastest_1_1_body_cfg=""
    ;;
  *) usage ;;
esac

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 3 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  echo "$0: needs curl or wget" >&2
  exit 1
fi

mkdir -p "$dest"
for f in $files; do
  var=$(echo "$f" | tr '.-' '__')
  eval "url=\$url_$var"
  eval "sha=\$sha_$var"
  tmp="$dest/.$f.part"
  echo "fetching $f from $url"
  fetch "$url" "$tmp"
  if [ -n "$sha" ]; then
    got=$(sha256sum "$tmp" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
      rm -f "$tmp"
      echo "$0: $f: SHA-256 $got, expected $sha: refused" >&2
      exit 1
    fi
  fi
  mv "$tmp" "$dest/$f"
  echo "$dest/$f: $(sha256sum "$dest/$f" | cut -d' ' -f1)"
done
