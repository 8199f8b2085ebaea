#!/bin/sh
# The GPU-box check, run from the repository root on a machine with a GPU and no internet:
# unpacks the offline bundle (npm run bundle) into an empty folder and, with no Node.js other
# than the bundle's, runs the GPU benchmark (beside PyTorch CUDA where a python3 has it),
# `losslab doctor` and a short demo on the webgpu backend. Results go to $OUT (default ./gpu-box-out).
#
#   sh bench/gpu-box.sh            STEPS=20 WARMUP=3 MOBILENET_IMAGES=256 by default
#
# Vulkan loader: where the system has none (`ldconfig -p | grep libvulkan` empty), put the
# Debian packages libvulkan1, libglvnd0, libegl1, libgl1, libglx0, libgles2, libopengl0 in .gl/
# and this unpacks them into / first. NVIDIA's ICD is found under /usr/local/nvidia when the
# driver is mounted there (containers) and not under /usr/share/vulkan.
set -u
OUT=${OUT:-$PWD/gpu-box-out}
STEPS=${STEPS:-20}
WARMUP=${WARMUP:-3}
MOBILENET_IMAGES=${MOBILENET_IMAGES:-256}
mkdir -p "$OUT"
log() { echo "== $(date -u +%T) $*" | tee -a "$OUT/summary.txt"; }

if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  log "Vulkan loader unpacked from .gl/"
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$nvidia_icd" ] && [ ! -f /usr/share/vulkan/icd.d/nvidia_icd.json ] && [ ! -f /etc/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES="$nvidia_icd"
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  log "VK_DRIVER_FILES=$nvidia_icd"
fi
(nvidia-smi -L 2>&1 || echo "no nvidia-smi") | tee -a "$OUT/summary.txt"

archive=$(ls release/losslab-*-linux-x64.tar.gz 2>/dev/null | head -1)
[ -n "$archive" ] || { log "no release/losslab-*-linux-x64.tar.gz: run npm run bundle first"; exit 2; }
dir=$(mktemp -d)
tar -xzf "$archive" -C "$dir"
bundle=$(ls -d "$dir"/losslab-*)
log "bundle $(basename "$archive") unpacked in $bundle"
# Only the bundle's Node: the system's (if any) is hidden from PATH. The python3 found first
# (a virtual environment's CUDA torch, say) stays the benchmark's PyTorch.
LOSSLAB_PYTHON=${LOSSLAB_PYTHON:-$(command -v python3 || true)}
export LOSSLAB_PYTHON
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LOSSLAB_DATA_DIR="$dir/data"

log "bench --backends webgpu"
timeout 300 "$bundle/bin/losslab-bench" --backends webgpu --steps "$STEPS" --warmup "$WARMUP" --inference-batches 10 --mobilenet-images "$MOBILENET_IMAGES" >"$OUT/bench.json" 2>"$OUT/bench.err"; log "bench rc=$?"
tail -5 "$OUT/bench.err"
cat "$OUT/bench.json"

log "doctor"
timeout 120 "$bundle/bin/losslab" doctor >"$OUT/doctor.txt" 2>&1; log "doctor rc=$?"
tail -40 "$OUT/doctor.txt"

log "demo on webgpu"
timeout 120 "$bundle/bin/losslab" demo --backend webgpu --epochs 3 --out "$dir/demo" >"$OUT/demo.txt" 2>&1; log "demo rc=$?"
tail -15 "$OUT/demo.txt"
