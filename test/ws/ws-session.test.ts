import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecFor } from '../../src/primitive/codecs.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { WsSession } from '../../src/ws/ws-session.js';
import type { SessionHandler, WebSocketLike } from '../../src/ws/ws-session.js';
import { waitUntil } from '../support/wait.js';

class FakeSocket implements WebSocketLike {
  sent: Array<{ data: Buffer | string; binary: boolean }> = [];
  bufferedAmount = 0;
  closedWith: [number | undefined, string | undefined] | undefined;
  send(data: Buffer | string, options: { binary: boolean }, cb?: (err?: Error) => void): void {
    this.sent.push({ data, binary: options.binary });
    cb?.();
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
  }
  terminate(): void {}
}

function session(subprotocol: 'json' | 'xml' | 'cbor', handler: SessionHandler): { s: WsSession; socket: FakeSocket } {
  const socket = new FakeSocket();
  const s = new WsSession(socket, { subprotocol: `oneM2M.${subprotocol}`, serialization: subprotocol, remoteAddress: '127.0.0.1' }, codecFor(subprotocol), handler);
  return { s, socket };
}

const echo: SessionHandler = { onRequest: async (_s, req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }) };

function decodeSent(socket: FakeSocket, i: number, codec = codecFor('json')): ResponsePrimitive | RequestPrimitive {
  const d = socket.sent[i].data;
  return codec.decode(typeof d === 'string' ? d : d).primitive;
}

test('a request gets its response on the same session, text frames for JSON', async () => {
  const { s, socket } = session('json', echo);
  s.handleMessage(Buffer.from('{"op":2,"to":"cse-in","fr":"C1","rqi":"a","rvi":"3"}'), false);
  await waitUntil(() => socket.sent.length > 0, 5000, 'the answer');
  assert.equal(socket.sent.length, 1);
  assert.equal(socket.sent[0].binary, false);
  assert.deepEqual(decodeSent(socket, 0), { rsc: 2000, rqi: 'a', rvi: '3' });
});

test('a malformed message is answered with 4000 carrying its rqi, and the session stays open', async () => {
  const { s, socket } = session('json', echo);
  s.handleMessage(Buffer.from('{"rqi":"bad","op":'), false);
  assert.equal(socket.closedWith, undefined);
  const rsp = decodeSent(socket, 0) as ResponsePrimitive;
  assert.equal(rsp.rsc, 4000);
  assert.equal(rsp.rqi, 'bad');
});

test('a broken response is not answered, so a peer that answers errors with errors cannot start a loop', () => {
  const malformed: string[] = [];
  const { s, socket } = session('json', { ...echo, onMalformed: (_s, err) => void malformed.push(err.message) });
  s.handleMessage(Buffer.from('{"rsc":4000,"pc":{"m2m:dbg":"request identifier parameter is mandatory"}}'), false);
  s.handleMessage(Buffer.from('{"rsc":"not a number","rqi":"x"}'), false);
  assert.equal(socket.sent.length, 0);
  assert.equal(malformed.length, 2, 'still reported');
  assert.equal(socket.closedWith, undefined);
});

test('a text frame on a CBOR session closes it with 1003 (TS-0020 6.2.2.9)', () => {
  const { s, socket } = session('cbor', echo);
  s.handleMessage(Buffer.from('{"op":2}'), false);
  assert.equal(socket.closedWith?.[0], 1003);
  assert.equal(socket.sent.length, 0);
});

test('a response the subprotocol cannot carry still answers, in XML, with 5207 and the reason', async () => {
  const { s, socket } = session('xml', { onRequest: async (_s, req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3', pc: { 'm2m:cnt': { 'not an element': 1 } } }) });
  s.handleMessage(Buffer.from('<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols"><op>2</op><to>cse-in</to><fr>C1</fr><rqi>x</rqi><rvi>3</rvi></m2m:rqp>'), false);
  await waitUntil(() => socket.sent.length === 1, 5000, 'the answer');
  assert.equal(socket.sent[0].binary, false);
  const text = String(socket.sent[0].data);
  assert.match(text, /^<\?xml[^>]*>\s*<m2m:rsp |^<m2m:rsp /);
  const rsp = decodeSent(socket, 0, codecFor('xml')) as ResponsePrimitive;
  assert.equal(rsp.rqi, 'x');
  // 5207 NOT_ACCEPTABLE (ONEM2M-REFERENCE: the answer cannot be given in the requested serialization), saying why
  assert.equal(rsp.rsc, 5207);
  assert.match(String(rsp.pc?.['m2m:dbg']), /could not be encoded as xml: member "not an element"/);
});

test('two requests sent down with the same rqi get distinct wire rqis and their own answers', async () => {
  const { s, socket } = session('json', echo);
  const a = s.request({ op: 5, to: 'C1', fr: '/id-in', rqi: 'dup', rvi: '3' }, 1000);
  const b = s.request({ op: 5, to: 'C1', fr: '/id-in', rqi: 'dup', rvi: '3' }, 1000);
  const wire = [decodeSent(socket, 0).rqi, decodeSent(socket, 1).rqi];
  assert.equal(wire[0], 'dup');
  assert.notEqual(wire[1], 'dup');
  // Answer the second first.
  s.handleMessage(Buffer.from(JSON.stringify({ rsc: 4103, rqi: wire[1], rvi: '3' })), false);
  s.handleMessage(Buffer.from(JSON.stringify({ rsc: 2000, rqi: wire[0], rvi: '3' })), false);
  assert.deepEqual(await a, { rsc: 2000, rqi: 'dup', rvi: '3' });
  assert.deepEqual(await b, { rsc: 4103, rqi: 'dup', rvi: '3' });
});

test('requests still waiting when the connection goes fail with 5103, and a late answer is ignored', async () => {
  const unmatched: string[] = [];
  const { s } = session('json', { ...echo, onUnmatchedResponse: (_s, rsp) => unmatched.push(rsp.rqi) });
  const pending = s.request({ op: 5, to: 'C1', fr: '/id-in', rqi: 'p', rvi: '3' }, 1000);
  let outcome: unknown;
  pending.then((rsp) => (outcome = rsp), (err: unknown) => (outcome = err));
  s.handleClose();
  await assert.rejects(pending, (err: { rsc?: number }) => err.rsc === 5103);
  // the answer to that very request (same rqi) arrives late: it matches nothing and changes nothing
  s.handleMessage(Buffer.from('{"rsc":2000,"rqi":"p","rvi":"3"}'), false);
  assert.deepEqual(unmatched, ['p']);
  assert.equal((outcome as { rsc?: number }).rsc, 5103);
});

test('a registree that does not answer in time makes the request fail with 4008; its late answer (same rqi) is ignored', async () => {
  const unmatched: string[] = [];
  const { s } = session('json', { ...echo, onUnmatchedResponse: (_s, rsp) => unmatched.push(rsp.rqi) });
  await assert.rejects(s.request({ op: 5, to: 'C1', fr: '/id-in', rqi: 't', rvi: '3' }, 10), (err: { rsc?: number }) => err.rsc === 4008);
  assert.equal(s.inFlightDownlink, 0);
  s.handleMessage(Buffer.from('{"rsc":2000,"rqi":"t","rvi":"3"}'), false);
  assert.deepEqual(unmatched, ['t']);
});

test('a large message is decoded and acted on in turns of its own; what arrives behind it keeps its order', async () => {
  const seen: string[] = [];
  const { s, socket } = session('json', { onRequest: async (_s, req) => (seen.push(req.rqi), { rsc: 2000, rqi: req.rqi, rvi: '3' }) });
  const large = JSON.stringify({ op: 1, to: 'cse-in/ae', fr: 'C1', rqi: 'large', rvi: '3', ty: 4, pc: { 'm2m:cin': { con: 'x'.repeat(300 * 1024) } } });
  s.handleMessage(Buffer.from(large), false);
  s.handleMessage(Buffer.from('{"op":2,"to":"cse-in","fr":"C1","rqi":"small-1","rvi":"3"}'), false);
  s.handleMessage(Buffer.from('{"op":2,"to":"cse-in","fr":"C1","rqi":"small-2","rvi":"3"}'), false);
  assert.deepEqual(seen, [], 'nothing is decoded in the turn the large message arrived in');
  await waitUntil(() => socket.sent.length === 3, 5000, 'three answers');
  assert.deepEqual(seen, ['large', 'small-1', 'small-2']);
  assert.deepEqual(socket.sent.map((_, i) => decodeSent(socket, i).rqi), ['large', 'small-1', 'small-2']);
});

test('keepalive: a ping is missed when nothing came since it; where bytes are counted any byte clears it, elsewhere only a pong', () => {
  class CountingSocket extends FakeSocket {
    bytesRead = 0;
    pings = 0;
    ping(): void {
      this.pings++;
    }
  }
  const counting = new CountingSocket();
  const s = new WsSession(counting, { subprotocol: 'oneM2M.json', serialization: 'json', remoteAddress: '127.0.0.1' }, codecFor('json'), echo);
  assert.equal(s.needsPongEvents, false);
  assert.equal(s.missedPing(), false, 'no ping sent yet');
  s.ping();
  assert.equal(counting.pings, 1);
  assert.equal(s.missedPing(), true, 'nothing read since the ping');
  counting.bytesRead += 2; // a pong frame
  assert.equal(s.missedPing(), false);
  s.ping();
  assert.equal(s.missedPing(), true);
  // Past 2^30 bytes the mark wraps and still tells a change apart.
  counting.bytesRead = 3 * 2 ** 30 + 7;
  assert.equal(s.missedPing(), false);
  s.ping();
  assert.equal(s.missedPing(), true);

  const { s: plain } = session('json', echo);
  assert.equal(plain.needsPongEvents, true);
  plain.ping();
  assert.equal(plain.missedPing(), true);
  plain.handleMessage(Buffer.from('{"op":2,"to":"cse-in","fr":"C1","rqi":"k","rvi":"3"}'), false);
  assert.equal(plain.missedPing(), true, 'without a byte count only a pong clears it');
  plain.pong();
  assert.equal(plain.missedPing(), false);
});
