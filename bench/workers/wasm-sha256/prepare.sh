#!/bin/sh
# Builds sha256.c with Debian's clang and lld (the .wasm is not committed);
# bulk memory turns the copies clang emits into memory.copy (no libc here).
set -eu
clang --target=wasm32 -nostdlib -O2 -mbulk-memory -Wl,--no-entry -o sha256.wasm sha256.c
