#!/usr/bin/env bash
# Renders frames with synth and with Blender Cycles, and writes the comparison sheets
# docs/images/cycles_reference.jpg (three quickstart frames) and docs/images/cycles_reference_more.jpg
# (a bin, a weld close-up, a bar-light inspection rig). Needs bpy in its own venv (never a synth
# dependency):
#   python3 -m venv /tmp/bpy && /tmp/bpy/bin/pip install bpy
#   BPY=/tmp/bpy/bin/python ./docs/reference/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${PYTHON:-.venv/bin/python}
bpy=${BPY:-/tmp/bpy/bin/python}
if [[ -n "${KEEP:-}" ]]; then tmp=$KEEP; mkdir -p "$tmp"; else tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT; fi  # KEEP=DIR keeps the frames

frame() {  # NAME CONFIG FRAME [--set key=value ...]
  local name=$1 config=$2 f=$3
  shift 3
  "$py" docs/reference/export_scene.py "$config" "$f" "$tmp/$name" "$@"
  "$bpy" docs/reference/cycles_render.py "$tmp/$name" --samples 128 > "$tmp/$name.log" 2>&1
}

sheet() {  # OUT DIR...
  local out=$1
  shift
  "$py" docs/reference/compare.py "$@" --sheet "$tmp/sheet.png"
  "$py" -c "from PIL import Image; im = Image.open('$tmp/sheet.png'); im.resize((im.width * 3 // 4, im.height * 3 // 4), Image.LANCZOS).convert('RGB').save('$out', quality=88)"
}

for f in 0 3 5; do frame "q$f" configs/quickstart.yaml "$f"; done
sheet docs/images/cycles_reference.jpg "$tmp/q0" "$tmp/q3" "$tmp/q5"

frame bin configs/bin_picking.yaml 0
frame weld configs/weld_seam_inspection.yaml 1 --set defects.defect_free_fraction=1
frame bar configs/inspection_bar.yaml 0
sheet docs/images/cycles_reference_more.jpg "$tmp/bin" "$tmp/weld" "$tmp/bar"
