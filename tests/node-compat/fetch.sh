#!/bin/sh
# Extracts the Node.js test files the compatibility runner uses into
# .tools/node-tests (ignored by git; never commit them). Source: a git
# directory of Node's tests given as $1 (e.g. a local clone of nodejs/node
# or denoland/node_test), else a shallow sparse clone of denoland/node_test,
# which tracks Node's test/ folder.
set -eu
cd "$(dirname "$0")/../.."
dest=.tools/node-tests
patterns='test/parallel/test-stream*.js test/parallel/test-event-emitter-*.js test/parallel/test-events-*.js
test/parallel/test-string-decoder*.js test/parallel/test-zlib*.js test/fixtures/person.jpg* test/fixtures/pss-vectors.json
test/fixtures/pseudo-multimember-gzip.* test/fixtures/elipses.txt test/fixtures/file-to-read-without-bom.txt'
git_dir=${1:-}
if [ -z "$git_dir" ]; then
  git_dir=.tools/node-test-src
  if [ ! -d "$git_dir" ]; then
    git clone --quiet --depth 1 --filter=blob:none --no-checkout https://github.com/denoland/node_test "$git_dir"
  fi
  git_dir="$git_dir/.git"
fi
rm -rf "$dest"
mkdir -p "$dest"
# shellcheck disable=SC2086
git --git-dir="$git_dir" archive HEAD $patterns | tar -x -C "$dest"
echo "extracted $(find "$dest/test/parallel" -name '*.js' | wc -l) test files into $dest"
