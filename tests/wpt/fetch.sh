#!/bin/sh
# Fetch the Web Platform Tests directories tests/wpt/run.py runs, at a pinned
# commit, into DEST (default .tools/wpt, git-ignored). WPT is never committed
# here: it is fetched at test time.
#
#   tests/wpt/fetch.sh [DEST] [GIT_DIR]
#
# Without GIT_DIR: a shallow, sparse clone from GitHub (a few MB).
# With GIT_DIR: `git archive` from a local clone of web-platform-tests/wpt
# (any clone containing WPT_COMMIT), for machines without GitHub access.
set -eu

# Bump deliberately: docs/compatibility.md's numbers were measured at this commit.
WPT_COMMIT=03e451749159807f3fce3debb5f5f6ba7b787b4a
DIRS="resources common interfaces url encoding streams fetch/api FileAPI dom/abort dom/events
html/webappapis/structured-clone WebCryptoAPI compression"

dest=${1:-.tools/wpt}
rm -rf "$dest"
mkdir -p "$dest"
if [ $# -ge 2 ]; then
    # shellcheck disable=SC2086
    git --git-dir="$2" archive "$WPT_COMMIT" $DIRS | tar -x -C "$dest"
else
    git -C "$dest" init -q
    git -C "$dest" remote add origin https://github.com/web-platform-tests/wpt.git
    # shellcheck disable=SC2086
    git -C "$dest" sparse-checkout set $DIRS
    git -C "$dest" fetch -q --depth 1 --filter=blob:none origin "$WPT_COMMIT"
    git -C "$dest" checkout -q FETCH_HEAD
fi
echo "$WPT_COMMIT" > "$dest/.wpt-commit"
echo "WPT $WPT_COMMIT in $dest"
