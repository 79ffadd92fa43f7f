#!/bin/sh
# Copies @cf-wasm/photon's wasm-bindgen glue and its 1.5 MB module next to
# index.js (workerd's generated config lists the scenario's own files only,
# not node_modules). The package comes from examples/image-resize's lock file.
set -eu
example=../../../examples/image-resize
lib="$example/node_modules/@cf-wasm/photon/dist/lib"
if [ ! -f "$lib/photon_rs_bg.wasm" ]; then
  npm ci --silent --no-audit --no-fund --prefix "$example"
fi
mkdir -p photon
cp "$lib/photon_rs.js" photon/photon_rs.js
cp "$lib/photon_rs_bg.wasm" photon/photon_rs_bg.wasm
