// node:dns — what database drivers need from it. hearth has no resolver API
// for workers (connect() resolves names itself), so `lookup` answers IP
// literals and `localhost` exactly, and hands any other name back unchanged
// (family 4): drivers that pass the result on to connect() then work as they
// would with the real address. The `Resolver` methods are unsupported, as
// raw DNS queries are outside what hearth provides.

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function family(host) {
  if (IPV4.test(host)) return 4;
  if (host.includes(':') && /^[0-9a-fA-F:.]+(%.+)?$/.test(host)) return 6;
  return 0;
}

function answer(hostname, options) {
  const wanted = typeof options === 'number' ? options : (options && options.family) || 0;
  let address = hostname;
  let fam = family(hostname);
  if (hostname === 'localhost' || hostname === '' || hostname == null) {
    address = wanted === 6 ? '::1' : '127.0.0.1';
    fam = wanted === 6 ? 6 : 4;
  } else if (fam === 0) {
    fam = wanted === 6 ? 6 : 4;
  }
  const all = options && typeof options === 'object' && options.all;
  return all ? [{ address, family: fam }] : { address, family: fam };
}

export function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (typeof callback !== 'function') throw new TypeError('dns.lookup needs a callback');
  const result = answer(hostname, options);
  queueMicrotask(() => {
    if (Array.isArray(result)) callback(null, result);
    else callback(null, result.address, result.family);
  });
}

function unsupported(name) {
  return function () {
    const err = new Error(`dns.${name} is not supported by hearth`);
    err.code = 'ERR_METHOD_NOT_IMPLEMENTED';
    throw err;
  };
}

const METHODS = ['resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveMx', 'resolveNs', 'resolveTxt', 'resolveSrv', 'resolvePtr', 'resolveNaptr', 'resolveSoa', 'reverse', 'lookupService'];

export class Resolver {
  cancel() {}
  getServers() {
    return [];
  }
  setServers() {}
}
for (const m of METHODS) Resolver.prototype[m] = unsupported(m);

export const resolve = unsupported('resolve');
export const resolve4 = unsupported('resolve4');
export const resolve6 = unsupported('resolve6');
export const resolveTxt = unsupported('resolveTxt');
export const resolveSrv = unsupported('resolveSrv');
export const reverse = unsupported('reverse');
export const lookupService = unsupported('lookupService');
export function getServers() {
  return [];
}
export function setServers() {}
export function setDefaultResultOrder() {}
export function getDefaultResultOrder() {
  return 'verbatim';
}

export const ADDRCONFIG = 1024;
export const V4MAPPED = 2048;
export const ALL = 256;

export const promises = {
  lookup: (hostname, options) => Promise.resolve(answer(hostname, options)),
  Resolver,
  getServers,
  setServers,
  setDefaultResultOrder,
  getDefaultResultOrder,
};

export default {
  lookup,
  Resolver,
  resolve,
  resolve4,
  resolve6,
  resolveTxt,
  resolveSrv,
  reverse,
  lookupService,
  getServers,
  setServers,
  setDefaultResultOrder,
  getDefaultResultOrder,
  ADDRCONFIG,
  V4MAPPED,
  ALL,
  promises,
};
