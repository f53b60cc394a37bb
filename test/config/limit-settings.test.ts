// Issue 13 settings: defaults as documented, and values that cannot work are
// refused at start naming the setting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { problems } from '../support/config-problems.js';

test('defaults: 64 requests and 8 MiB waiting per registree, 64 KiB before registration', () => {
  const c = loadConfig([], {});
  assert.equal(c.maxDownlinkInflight, 64);
  assert.equal(c.maxDownlinkBufferedBytes, 8 * 1024 * 1024);
  assert.equal(c.maxUnboundMessageBytes, 64 * 1024);
  assert.equal(loadConfig([], { BRIDGE_MAX_UNBOUND_MESSAGE_SIZE: '16KiB' }).maxUnboundMessageBytes, 16 * 1024);
});

test('a --max-unbound-message-size no registration fits in is refused naming the setting', () => {
  assert.match(problems(['--max-unbound-message-size', '100']).join('\n'), /--max-unbound-message-size: 100 bytes cannot hold a registration/);
  assert.deepEqual(problems(['--max-unbound-message-size', '1KiB']), []);
  assert.match(problems(['--max-downlink-inflight', '0']).join('\n'), /--max-downlink-inflight/);
});
