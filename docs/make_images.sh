#!/usr/bin/env bash
# Renders the README's images from the bundled configs: ./docs/make_images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
syn=${SYNTH:-synth}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$syn" generate configs/quickstart.yaml -o "$tmp/qs" -n 12 --seed 7 -q
"$syn" generate configs/bolts_and_nuts.yaml -o "$tmp/bn" -n 2 --seed 3 -q
train=("$tmp"/qs/images/train/*.png)
cp "${train[0]}" docs/images/quickstart_rgb.png   # the frame the label sheet below shows
cp "${train[5]}" docs/images/quickstart_rgb_2.png
"$syn" preview "$tmp/qs" -o docs/images/quickstart_labels.png -n 1
"$syn" preview "$tmp/bn" -o docs/images/bolts_and_nuts_labels.png -n 1
# defect gallery: the largest visible instance of each kind, raw pixels beside the exact mask outline
"$syn" generate configs/surface_defects.yaml -o "$tmp/sd" -n 40 --seed 5 -q
"$syn" generate configs/weld_seam_inspection.yaml -o "$tmp/wd" -n 40 --seed 5 -q
"$syn" preview "$tmp/sd" --defects -o docs/images/defects_surface.png -n 16
"$syn" preview "$tmp/wd" --defects -o docs/images/defects_weld.png -n 16
# light rigs: the first frame of each inspection config, side by side
for r in ring coaxial dome dark_field bar back; do
  "$syn" generate "configs/inspection_$r.yaml" -o "$tmp/rig_$r" -n 1 --seed 4 -q
done
python3 - "$tmp" <<'PY'
import glob, sys
from PIL import Image, ImageDraw
tmp, sheet = sys.argv[1], Image.new("RGB", (1200, 600))
for k, r in enumerate(["ring", "coaxial", "dome", "dark_field", "bar", "back"]):
    im = Image.open(sorted(glob.glob(f"{tmp}/rig_{r}/images/*/*.png"))[0]).convert("RGB").resize((400, 300))
    ImageDraw.Draw(im).text((6, 4), r, fill=(255, 60, 200))
    sheet.paste(im, ((k % 3) * 400, (k // 3) * 300))
sheet.save("docs/images/light_rigs.png")
PY
python3 docs/make_sheets.py
"$syn" generate configs/bin_picking.yaml -o "$tmp/bin" -n 1 --seed 0 -q
cp "$tmp"/bin/images/*/000000.png docs/images/bin_picking.png
