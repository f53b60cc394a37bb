// The closing-upstream detector on its own (src/http/closing-upstream.ts):
// which patterns of answers and new connections make it speak.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClosingUpstreamDetector } from '../../src/http/closing-upstream.js';
import type { ClosingUpstreamEvidence } from '../../src/http/closing-upstream.js';

function detector(): { d: ClosingUpstreamDetector; said: ClosingUpstreamEvidence[] } {
  const said: ClosingUpstreamEvidence[] = [];
  return { d: new ClosingUpstreamDetector((e) => said.push(e)), said };
}

test('51 of 100 answers with Connection: close warn at the 100th answer; 50 do not', () => {
  const { d, said } = detector();
  for (let i = 0; i < 100; i++) d.response(i < 50 ? 'close' : 'keep-alive');
  assert.equal(said.length, 0);
  for (let i = 0; i < 99; i++) d.response(i < 51 ? 'Close' : undefined);
  assert.equal(said.length, 0);
  d.response(undefined);
  assert.deepEqual(said, [{ responses: 100, connectionClose: 51, connectionsOpened: 0 }]);
});

test('it warns once, however long the CSE keeps closing', () => {
  const { d, said } = detector();
  for (let i = 0; i < 1000; i++) d.response('close');
  assert.equal(said.length, 1);
});

test('a new connection for every answer warns after two blocks of 100, not after one (a pool warming up)', () => {
  const { d, said } = detector();
  for (let i = 0; i < 100; i++) {
    d.connectionOpened();
    d.response(undefined);
  }
  assert.equal(said.length, 0);
  for (let i = 0; i < 100; i++) {
    d.connectionOpened();
    d.response(undefined);
  }
  assert.deepEqual(said, [{ responses: 100, connectionClose: 0, connectionsOpened: 100 }]);
});

test('64 connections opened at once and then reused: nothing said', () => {
  const { d, said } = detector();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 64; i++) d.connectionOpened();
    for (let i = 0; i < 100; i++) d.response('keep-alive');
    for (let i = 0; i < 100; i++) d.response('keep-alive');
  }
  assert.equal(said.length, 0);
});
