// An AE over WebSocket in a dozen lines: registers, subscribes to its own
// container and prints every notification. Run a bridge (npm start), then:
//   npx tsx examples/sensor-ae.ts ws://127.0.0.1:8180/
// In your own project the import is: from 'onem2m-ws-bridge/client'.
import { Onem2mWsClient } from '../src/client/index.js';

const ae = new Onem2mWsClient({ url: process.argv[2] ?? 'ws://127.0.0.1:8180/', origin: 'Csensor' });
ae.onRequest((req) => {
  console.log('notification', JSON.stringify(req.pc));
  return { rsc: 2000 };
});
await ae.connect();
const reg = await ae.request({ op: 1, to: 'cse-in', ty: 2, pc: { 'm2m:ae': { rn: 'sensor', api: 'Nsensor', rr: true, srv: ['3'] } } });
console.log('registered', reg.rsc); // 2001, or 4117/4105 when it registered before
await ae.request({ op: 1, to: 'cse-in/sensor', ty: 3, pc: { 'm2m:cnt': { rn: 'data' } } });
await ae.request({ op: 1, to: 'cse-in/sensor/data', ty: 23, pc: { 'm2m:sub': { rn: 'sub', nu: ['Csensor'], enc: { net: [3] } } } });
console.log('subscribed; waiting for notifications (Ctrl-C ends)');
