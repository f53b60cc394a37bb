// Preloaded into a bench bridge (`node --import ./bench/lib/loop-probe.mjs
// dist/cli/main.js`): the process measures itself, no flag in the shipped
// bridge. Event-loop delay through perf_hooks.monitorEventLoopDelay (10 ms
// resolution) and peak RSS (the kernel's VmHWM); over the IPC channel,
// 'reset' starts a new interval and 'read' answers with the interval's
// { p50Ms, p99Ms, maxMs, peakRssBytes }.
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
// Peak RSS from the kernel (VmHWM), reset by writing 5 to /proc/self/clear_refs:
// no sampling in the measured process (sampling process.memoryUsage.rss() every
// 50 ms cost the bridge a second of CPU per minute under load).
const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
const resetPeak = () => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux ≥ 4.0: the peak is the process's lifetime peak
  }
};

if (process.send !== undefined) {
  process.channel?.unref();
  process.on('message', (m) => {
    if (m === 'reset') {
      histogram.reset();
      resetPeak();
      process.send?.({ reset: true });
    } else if (m === 'read') {
      process.send?.({ p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6, peakRssBytes: peakRss() });
    }
  });
}
