'use strict';
// A scratch folder in the worker's in-memory /tmp.
const fs = require('fs');

const path = '/tmp/node-test';

function refresh() {
  fs.rmSync(path, { recursive: true, force: true });
  fs.mkdirSync(path, { recursive: true });
}

module.exports = { path, refresh, resolve: (...parts) => [path, ...parts].join('/'), hasEnoughSpace: () => true };
