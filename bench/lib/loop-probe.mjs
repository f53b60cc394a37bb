// Preloaded into a bench bridge (`node --import ./bench/lib/loop-probe.mjs
// dist/cli/main.js`): the process measures itself, no flag in the shipped
// bridge. Event-loop delay through perf_hooks.monitorEventLoopDelay (10 ms
// resolution) and peak RSS sampled every 50 ms; over the IPC channel,
// 'reset' starts a new interval and 'read' answers with the interval's
// { p50Ms, p99Ms, maxMs, peakRssBytes }.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
}, 50);
sampler.unref();

if (process.send !== undefined) {
  process.channel?.unref();
  process.on('message', (m) => {
    if (m === 'reset') {
      histogram.reset();
      peakRss = process.memoryUsage.rss();
      process.send?.({ reset: true });
    } else if (m === 'read') {
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) peakRss = rss;
      process.send?.({ p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6, peakRssBytes: peakRss });
    }
  });
}
