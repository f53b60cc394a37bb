// Issue 15: no request changes meaning on its way through the bridge. Real
// bridge, fake CSE that judges like ACME, and a plain `ws` client sending exact
// text (the lexemes `5.0` must reach the bridge as written).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

/** A WebSocket client that sends raw text and keeps every answer as text. */
class RawJsonClient {
  readonly received: string[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.received.push(String(data)));
  }

  static async open(url: string): Promise<RawJsonClient> {
    const ws = new WebSocket(url, ['oneM2M.json']);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawJsonClient(ws);
  }

  /** Sends one primitive as written and returns the raw text of the answer with that rqi. */
  async request(text: string, rqi: string): Promise<{ text: string; rsc: number; dbg: string }> {
    this.ws.send(text);
    let found: string | undefined;
    await waitUntil(() => (found = this.received.find((m) => (JSON.parse(m) as { rqi?: string }).rqi === rqi)) !== undefined, 5000, `answer ${rqi}`);
    const rsp = JSON.parse(found!) as { rsc: number; pc?: { 'm2m:dbg'?: string } };
    return { text: found!, rsc: rsp.rsc, dbg: String(rsp.pc?.['m2m:dbg'] ?? '') };
  }

  close(): void {
    this.ws.close();
  }
}

/** Registers an AE as `C<name>` (rr and poa as given, written into the JSON as is). */
async function register(c: RawJsonClient, name: string, aeMembers = '"rr":true'): Promise<string> {
  const rqi = `reg-${name}`;
  const rsp = await c.request(`{"op":1,"to":"cse-in","fr":"C${name}","rqi":"${rqi}","rvi":"3","ty":2,"pc":{"m2m:ae":{"rn":"${name}","api":"N${name}","srv":["3"],${aeMembers}}}}`, rqi);
  assert.equal(rsp.rsc, 2001, rsp.text);
  return `C${name}`;
}

function cseRequest(run: Running, rqi: string) {
  return run.cse.requests.find((r) => r.headers['x-m2m-ri'] === rqi);
}

describe('issue 15: faithful translation through the bridge', () => {
  let run: Running;
  let c: RawJsonClient;
  let aei: string;
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'] });
    c = await RawJsonClient.open(run.wsUrl);
    aei = await register(c, 'fidelity');
    const cnt = await c.request(`{"op":1,"to":"cse-in/fidelity","fr":"${aei}","rqi":"cnt","rvi":"3","ty":3,"pc":{"m2m:cnt":{"rn":"box","lbl":["a"]}}}`, 'cnt');
    assert.equal(cnt.rsc, 2001, cnt.text);
  });
  after(async () => {
    c.close();
    await run.stop();
  });

  test('a partial DELETE (pc m2m:atrl) reaches the CSE as DELETE ?atrl=…, is answered 4000, and the container is still there', async () => {
    const rsp = await c.request(`{"op":4,"to":"cse-in/fidelity/box","fr":"${aei}","rqi":"pdel","rvi":"3","pc":{"m2m:atrl":["lbl"]}}`, 'pdel');
    assert.equal(rsp.rsc, 4000, rsp.text);
    assert.match(rsp.dbg, /Partial retrieve is only valid for RETRIEVE/);
    const sent = cseRequest(run, 'pdel');
    assert.equal(sent?.method, 'DELETE');
    assert.equal(sent?.path, '/cse-in/fidelity/box?atrl=lbl');
    assert.notEqual(run.cse.resources.get('cse-in/fidelity/box'), undefined, 'nothing deleted');
  });

  test('a float written 5.0 stays a float: stored as written and read back as 6.0 after an UPDATE', async () => {
    const create = await c.request(`{"op":1,"to":"cse-in/fidelity","fr":"${aei}","rqi":"fc1","rvi":"3","ty":28,"pc":{"m2m:fcnt":{"rn":"tempe","cnd":"org.onem2m.common.moduleclass.temperature","tarTe":5.0}}}`, 'fc1');
    assert.equal(create.rsc, 2001, create.text);
    assert.match(cseRequest(run, 'fc1')!.body.toString('utf8'), /"tarTe":5\.0[,}]/);
    const update = await c.request(`{"op":3,"to":"cse-in/fidelity/tempe","fr":"${aei}","rqi":"fc2","rvi":"3","pc":{"m2m:fcnt":{"tarTe":6.0}}}`, 'fc2');
    assert.equal(update.rsc, 2004, update.text);
    assert.match(cseRequest(run, 'fc2')!.body.toString('utf8'), /"tarTe":6\.0[,}]/);
    const read = await c.request(`{"op":2,"to":"cse-in/fidelity/tempe","fr":"${aei}","rqi":"fc3","rvi":"3"}`, 'fc3');
    assert.equal(read.rsc, 2000, read.text);
    assert.match(read.text, /"tarTe":6\.0[,}]/, 'the answer keeps the float as the CSE wrote it');
  });

  test('an UPDATE with "mni": 5.0 is refused by the CSE (4000 invalid type: float); "mni": 5 is accepted', async () => {
    const float = await c.request(`{"op":3,"to":"cse-in/fidelity/box","fr":"${aei}","rqi":"mni1","rvi":"3","pc":{"m2m:cnt":{"mni":5.0}}}`, 'mni1');
    assert.equal(float.rsc, 4000, float.text);
    assert.match(float.dbg, /invalid type: float/);
    const int = await c.request(`{"op":3,"to":"cse-in/fidelity/box","fr":"${aei}","rqi":"mni2","rvi":"3","pc":{"m2m:cnt":{"mni":5}}}`, 'mni2');
    assert.equal(int.rsc, 2004, int.text);
  });

  test('sqi "true" (a string where a boolean is due) is carried as sqi=true and left to the CSE', async () => {
    const rsp = await c.request(`{"op":2,"to":"cse-in","fr":"${aei}","rqi":"sqi1","rvi":"3","sqi":"true","rcn":"1"}`, 'sqi1');
    const sent = cseRequest(run, 'sqi1');
    assert.notEqual(sent, undefined, `forwarded to the CSE (bridge answered ${rsp.text})`);
    assert.match(sent!.path, /[?&]sqi=true(&|$)/);
    assert.match(sent!.path, /[?&]rcn=1(&|$)/);
  });

  test('a registration with rr false reaches the CSE with rr false and the poa the registree gave; the connection is still bound', async () => {
    const poller = await RawJsonClient.open(run.wsUrl);
    try {
      const id = await register(poller, 'poller', '"rr":false,"poa":["ws://default"]');
      const sent = cseRequest(run, 'reg-poller');
      const ae = (JSON.parse(sent!.body.toString('utf8')) as { 'm2m:ae': { rr: boolean; poa?: string[] } })['m2m:ae'];
      assert.equal(ae.rr, false);
      assert.deepEqual(ae.poa, ['ws://default']);
      // Bound: its own requests pass the gate without fr.
      const own = await poller.request(`{"op":2,"to":"cse-in/poller","rqi":"own","rvi":"3"}`, 'own');
      assert.equal(own.rsc, 2000, own.text);
      assert.equal(cseRequest(run, 'own')?.headers['x-m2m-origin'], id);
    } finally {
      poller.close();
    }
  });
});

describe('issue 15: --poa-mode always keeps the old override', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ poaMode: 'always' });
  });
  after(async () => {
    await run.stop();
  });

  test('rr false becomes rr true with the downlink URL as the only poa', async () => {
    const c = await RawJsonClient.open(run.wsUrl);
    try {
      await register(c, 'overridden', '"rr":false,"poa":["ws://default"]');
      const ae = (JSON.parse(cseRequest(run, 'reg-overridden')!.body.toString('utf8')) as { 'm2m:ae': { rr: boolean; poa: string[] } })['m2m:ae'];
      assert.equal(ae.rr, true);
      assert.equal(ae.poa.length, 1);
      assert.match(ae.poa[0], /^http:\/\/127\.0\.0\.1:\d+\/r\/[A-Za-z0-9_-]+$/);
    } finally {
      c.close();
    }
  });
});

describe('issue 15: --allow-originator takes trailing-* patterns', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ allowOriginator: ['Ctest*'] });
  });
  after(async () => {
    await run.stop();
  });

  test("'Ctest*' lets Ctest42 pass the gate unregistered, not Cother", async () => {
    const c = await RawJsonClient.open(run.wsUrl);
    try {
      await c.request('{"op":2,"to":"cse-in","fr":"Ctest42","rqi":"pat1","rvi":"3"}', 'pat1');
      assert.equal(cseRequest(run, 'pat1')?.headers['x-m2m-origin'], 'Ctest42', 'forwarded to the CSE');
      const other = await c.request('{"op":2,"to":"cse-in","fr":"Cother","rqi":"pat2","rvi":"3"}', 'pat2');
      assert.equal(other.rsc, 4103, other.text);
      assert.equal(cseRequest(run, 'pat2'), undefined, 'not forwarded');
    } finally {
      c.close();
    }
  });
});

describe('issue 15: a float in a stored NOTIFY stays a float (lmdb store)', () => {
  let run: Running;
  const dir = mkdtempSync(join(tmpdir(), 'bridge-fidelity-'));
  before(async () => {
    run = await startBridge({ store: `lmdb:${dir}` });
  });
  after(async () => {
    await run.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('NOTIFY with "con": 5.0 for an offline registree is stored and delivered on reconnect as 5.0', async () => {
    const first = await RawJsonClient.open(run.wsUrl);
    const aei = await register(first, 'sleeper');
    const key = run.bridge.registry.sessionForId(aei)?.registration?.key;
    assert.ok(key);
    first.close();
    await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 5000, 'registree offline');
    const res = await fetch(`${run.downlinkUrl}/r/${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-ri': 'ntf-float', 'x-m2m-origin': '/id-in', 'x-m2m-rvi': '3' },
      body: '{"m2m:sgn":{"nev":{"net":3,"rep":{"m2m:cin":{"con":5.0,"st":1e3}}},"sur":"/id-in/sub1"}}',
    });
    assert.equal(res.headers.get('x-m2m-rsc'), '1000', 'stored');
    const again = await RawJsonClient.open(run.wsUrl);
    try {
      await again.request(`{"op":2,"to":"cse-in/sleeper","fr":"${aei}","rqi":"wake","rvi":"3"}`, 'wake');
      let notify: string | undefined;
      await waitUntil(() => (notify = again.received.find((m) => (JSON.parse(m) as { op?: number }).op === 5)) !== undefined, 5000, 'stored NOTIFY');
      assert.match(notify!, /"con":5\.0[,}]/);
      assert.match(notify!, /"st":1e3[,}]/);
    } finally {
      again.close();
    }
  });
});
