// node:url — WHATWG URL plus the legacy parse/format/resolve and file URL helpers.
export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;

export function fileURLToPath(url) {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
  return decodeURIComponent(u.pathname);
}

export function pathToFileURL(path) {
  return new URL('file://' + encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23'));
}

export function urlToHttpOptions(url) {
  return {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ''}${url.search || ''}`,
    href: url.href,
    port: url.port !== '' ? Number(url.port) : undefined,
    auth: url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
  };
}

export function domainToASCII(domain) {
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return '';
  }
}
export const domainToUnicode = (d) => d;

export function Url() {}

// The legacy API, parsed by hand so relative and protocol-less URLs work too.
export function parse(str, parseQueryString = false, slashesDenoteHost = false) {
  const out = new Url();
  let rest = String(str).trim();
  out.href = rest;
  const hashAt = rest.indexOf('#');
  out.hash = hashAt >= 0 ? rest.slice(hashAt) : null;
  if (hashAt >= 0) rest = rest.slice(0, hashAt);
  const qAt = rest.indexOf('?');
  out.search = qAt >= 0 ? rest.slice(qAt) : null;
  out.query = qAt >= 0 ? rest.slice(qAt + 1) : null;
  if (qAt >= 0) rest = rest.slice(0, qAt);
  const proto = /^([a-z][a-z0-9.+-]*:)/i.exec(rest);
  out.protocol = proto ? proto[1].toLowerCase() : null;
  if (proto) rest = rest.slice(proto[1].length);
  out.slashes = rest.startsWith('//') ? true : null;
  out.auth = out.host = out.hostname = out.port = null;
  if (out.slashes || (slashesDenoteHost && rest.startsWith('//'))) {
    rest = rest.slice(2);
    const end = rest.search(/[/]/);
    let host = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? '' : rest.slice(end);
    const at = host.lastIndexOf('@');
    if (at >= 0) {
      out.auth = decodeURIComponent(host.slice(0, at));
      host = host.slice(at + 1);
    }
    out.host = host.toLowerCase();
    const portMatch = /:(\d*)$/.exec(host);
    out.port = portMatch ? portMatch[1] : null;
    out.hostname = (portMatch ? host.slice(0, -portMatch[0].length) : host).toLowerCase();
    if (!rest && out.protocol && /^(https?|ftp|file|wss?):$/.test(out.protocol)) rest = '/';
  }
  out.pathname = rest || null;
  out.path = (out.pathname || '') + (out.search || '') || null;
  if (parseQueryString) {
    const q = {};
    for (const [k, v] of new URLSearchParams(out.query || '')) {
      if (k in q) q[k] = [].concat(q[k], v);
      else q[k] = v;
    }
    out.query = q;
  }
  out.href = format(out);
  return out;
}

export function format(obj) {
  if (typeof obj === 'string') obj = parse(obj);
  if (obj instanceof URL) return obj.href;
  const protocol = obj.protocol ? (obj.protocol.endsWith(':') ? obj.protocol : obj.protocol + ':') : '';
  let host = '';
  if (obj.host) host = obj.host;
  else if (obj.hostname) host = obj.hostname + (obj.port ? ':' + obj.port : '');
  const auth = obj.auth ? encodeURIComponent(obj.auth).replace(/%3A/i, ':') + '@' : '';
  const slashes = obj.slashes || /^(https?|ftp|file|wss?):$/.test(protocol) ? '//' : '';
  let search = obj.search || '';
  if (!search && obj.query && typeof obj.query === 'object') {
    const qs = new URLSearchParams(obj.query).toString();
    if (qs) search = '?' + qs;
  }
  if (search && search[0] !== '?') search = '?' + search;
  let hash = obj.hash || '';
  if (hash && hash[0] !== '#') hash = '#' + hash;
  return `${protocol}${host || auth ? slashes : ''}${auth}${host}${obj.pathname || ''}${search}${hash}`;
}

export function resolve(from, to) {
  const base = new URL(from, 'resolve://');
  const resolved = new URL(to, base);
  if (resolved.protocol === 'resolve:') {
    const { pathname, search, hash } = resolved;
    return pathname + search + hash;
  }
  return resolved.toString();
}

export default { URL, URLSearchParams, fileURLToPath, pathToFileURL, urlToHttpOptions, domainToASCII, domainToUnicode, parse, format, resolve, Url };
