'use strict';
// Node's test/fixtures, as the runner copies them into the worker's bundle.
const fs = require('fs');

const fixturesDir = '/bundle/fixtures';

function path(...args) {
  return [fixturesDir, ...args].join('/').replace(/\/+/g, '/');
}

function readSync(args, enc) {
  return fs.readFileSync(path(...(Array.isArray(args) ? args : [args])), enc);
}

module.exports = { fixturesDir, path, readSync, readKey: (name, enc) => readSync(['keys', name], enc) };
