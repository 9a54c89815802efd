#!/usr/bin/env bash
# Renders quickstart frames with synth and with Blender Cycles, and writes the comparison sheet
# docs/images/cycles_reference.jpg. Needs bpy in its own venv (never a synth dependency):
#   python3 -m venv /tmp/bpy && /tmp/bpy/bin/pip install bpy
#   BPY=/tmp/bpy/bin/python ./docs/reference/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${PYTHON:-.venv/bin/python}
bpy=${BPY:-/tmp/bpy/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dirs=()
for f in 0 3 5; do
  "$py" docs/reference/export_scene.py configs/quickstart.yaml "$f" "$tmp/f$f"
  "$bpy" docs/reference/cycles_render.py "$tmp/f$f" --samples 128 > "$tmp/f$f.log" 2>&1
  dirs+=("$tmp/f$f")
done
"$py" docs/reference/compare.py "${dirs[@]}" --sheet "$tmp/sheet.png"
"$py" -c "from PIL import Image; im = Image.open('$tmp/sheet.png'); im.resize((im.width * 3 // 4, im.height * 3 // 4), Image.LANCZOS).convert('RGB').save('docs/images/cycles_reference.jpg', quality=88)"
