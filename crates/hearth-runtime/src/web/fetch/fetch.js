// Outbound fetch() and the bridges between native bodies and ReadableStreams.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  // A request or fetch-response body that the host streams in on demand.
  internal.nativeStream = function (id) {
    return new ReadableStream({
      type: 'bytes',
      pull(controller) {
        return native.bodyPull(id).then((chunk) => {
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        });
      },
      cancel() {
        native.bodyCancel(id);
      },
    });
  };

  // Copies a response stream into the host's channel for body `id`, waiting
  // whenever the client is slower than the stream.
  internal.pumpBody = async function (stream, id) {
    let reader;
    try {
      reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value))
          throw new TypeError('This ReadableStream did not return bytes: response body chunks must be ArrayBuffer or ArrayBufferView (use TextEncoderStream for strings).');
        const wait = native.sinkWrite(id, value);
        if (wait) await wait;
      }
      native.sinkClose(id, undefined);
    } catch (err) {
      native.sinkClose(id, String((err && err.message) || err));
      if (reader) reader.cancel(err).catch(() => {});
      console.error('Response body stream failed:', err);
    }
  };

  // Reads a whole byte stream into one Uint8Array (bodies hearth buffers).
  async function collect(stream) {
    const chunks = [];
    let size = 0;
    for await (const chunk of stream) {
      const bytes = internal.toU8(chunk);
      chunks.push(bytes);
      size += bytes.length;
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  internal.collectBytes = collect;

  const NULL_BODY_STATUS = [101, 204, 205, 304];

  // Waits for `pending`, or rejects as soon as `signal` aborts.
  function abortable(pending, signal) {
    if (!signal) return pending;
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      pending.then(resolve, reject);
    });
  }

  // fetch() with `Upgrade: websocket`: a 101 answer carries the socket in
  // `response.webSocket` (the worker must accept() it); any other answer is
  // an ordinary response.
  async function fetchWebSocket(request) {
    if (request.method !== 'GET') throw new TypeError(`A WebSocket upgrade request must use GET, not ${request.method}.`);
    const parts = await abortable(native.wsConnect(request.url, internal.headersList(request.headers)), request.signal);
    const [status, statusText, headerList, id] = parts;
    if (status === 101) return internal.makeResponse(status, statusText, headerList, null, internal.wsWrap(id), request.url, false);
    const empty = NULL_BODY_STATUS.includes(status);
    if (empty) native.bodyCancel(id);
    return internal.makeResponse(status, statusText, headerList, empty ? null : internal.nativeStream(id), null, request.url, false);
  }

  // fetch() of a `data:` URL, as workerd answers it: the decoded body (none
  // unless GET) with its MIME type, in a response of its own (mutable
  // headers, empty `url`).
  function fetchDataUrl(request) {
    const parsed = native.dataUrl(request.url);
    if (parsed === undefined) throw new TypeError(`Fetch API cannot load: ${request.url}`);
    const [mimeType, bytes] = parsed;
    return new Response(request.method === 'GET' ? bytes : null, {
      status: 200,
      statusText: 'OK',
      headers: [['content-type', mimeType]],
    });
  }

  async function fetch(input, init) {
    const request = new Request(input, init);
    const signal = request.signal;
    if (signal && signal.aborted) throw signal.reason;
    if (request.url.startsWith('data:')) return fetchDataUrl(request);
    const upgrade = request.headers.get('upgrade');
    if (upgrade !== null && upgrade.toLowerCase() === 'websocket') return fetchWebSocket(request);
    let body = internal.bodySource(request);
    if (body instanceof ReadableStream) body = await collect(body);
    const pending = native.fetch(request.url, request.method, internal.headersList(request.headers), body, request.redirect || 'follow');
    const [status, statusText, headerList, bodyId, url, redirected] = await abortable(pending, signal);
    const empty = request.method === 'HEAD' || NULL_BODY_STATUS.includes(status);
    if (empty) native.bodyCancel(bodyId);
    return internal.makeResponse(status, statusText, headerList, empty ? null : internal.nativeStream(bodyId), null, url, redirected);
  }
  Object.defineProperty(globalThis, 'fetch', { value: fetch, writable: true, configurable: true });
})();
