export const tests = [
  ['messages are cloned and delivered as tasks, in order', `
    const { port1, port2 } = new MessageChannel();
    const got = [];
    port2.onmessage = (e) => got.push(e.data);
    const original = { list: [1] };
    port1.postMessage(original);
    port1.postMessage('second');
    original.list.push(2);
    await Promise.resolve();
    assert.equal(got.length, 0, 'not delivered synchronously or as a microtask');
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(got, [{ list: [1] }, 'second']);
  `],
  ['a port queues messages until it is started', `
    const { port1, port2 } = new MessageChannel();
    const got = [];
    port2.addEventListener('message', (e) => got.push(e.data));
    port1.postMessage(1);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(got.length, 0);
    port2.start();
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, [1]);
  `],
  ['both directions, MessageEvent fields, close', `
    const { port1, port2 } = new MessageChannel();
    port2.onmessage = (e) => port2.postMessage(e.data * 2);
    const event = await new Promise((resolve) => { port1.onmessage = resolve; port1.postMessage(21); });
    assert.ok(event instanceof MessageEvent);
    assert.equal(event.data, 42); assert.equal(event.target, port1); assert.equal(event.origin, ''); assert.equal(event.ports.length, 0);
    let after = 0;
    port1.onmessage = () => after++;
    port2.close();
    port2.postMessage('dropped');
    port1.postMessage('dropped too');
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(after, 0);
  `],
  ['postMessage errors', `
    const { port1 } = new MessageChannel();
    assert.throws(() => port1.postMessage(() => 1), 'DataCloneError');
    assert.throws(() => port1.postMessage(), TypeError);
    assert.throws(() => new MessagePort(), TypeError);
    assert.equal(Object.prototype.toString.call(port1), '[object MessagePort]');
  `],
];
