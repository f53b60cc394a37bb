// The JSON lines a bridge's logger writes, parsed, for tests that assert log output.
import { Writable } from 'node:stream';

export type LogLine = Record<string, unknown>;

export function logSink(): { lines: LogLine[]; stream: Writable } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.length > 0) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { lines, stream };
}
