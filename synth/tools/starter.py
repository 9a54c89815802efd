"""The commented starter config written by `synth init`."""

STARTER = """\
# synth starter config. Run:  synth generate synth.yaml
# Any randomized value is a constant or a distribution:
#   {uniform: [a, b]}  {loguniform: [a, b]}  {normal: {mean: m, std: s, min: lo, max: hi}}
#   {choice: [x, y], weights: [1, 3]}
# Scene units are metres and degrees; each mesh declares its own units.
name: my_dataset
seed: 0
num_images: 100
image: {width: 640, height: 480, format: png}   # format: png | jpg
splits: {train: 0.8, val: 0.2}

parts:   # mesh paths: absolute, relative to the working directory or to this file, or synth:meshes/... (bundled)
  - mesh: synth:meshes/hex_bolt.stl   # STL, OBJ, PLY, GLB/GLTF, OFF, 3MF, STEP (pip install 'synth[step]')
    category: bolt
    units: mm                          # mm | cm | m | in
    material: {choice: [steel, zinc_plated]}
    # materials: steel stainless aluminium brushed_aluminium cast_iron copper brass zinc_plated
    #            black_oxide black_plastic rubber
  - {mesh: synth:meshes/flange.stl, category: flange, units: mm, material: {choice: [aluminium, cast_iron]}}

scene:
  parts_per_image: {uniform: [2, 6]}
  region: [0.30, 0.20]        # x, y metres of support surface where parts may lie
  support: {material: {choice: [steel_table, conveyor_belt, wood, grey_mat]}}

camera:
  distance: {uniform: [0.4, 0.8]}   # metres
  elevation_deg: {uniform: [35, 85]}
  azimuth_deg: {uniform: [0, 360]}
  roll_deg: {uniform: [-10, 10]}
  fov_deg: 45                       # horizontal; or intrinsics: {fx: 800, fy: 800, cx: 319.5, cy: 239.5}

lighting:
  environment: {choice: [studio_soft, factory_hall]}   # or overcast, or a path to an equirectangular .hdr/.png
  key_lights: {count: {uniform: [1, 3]}, type: {choice: [spot, directional]}, intensity: {uniform: [2, 8]}}
  shadows: true

annotations: {mask_format: rle, min_visible_pixels: 50}   # mask_format: rle | polygon
"""
