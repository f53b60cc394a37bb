// CPU time a bench process has used so far, read from outside: the user +
// system time of /proc/<pid>/stat, the same getrusage counters that
// process.cpuUsage() reads inside a process (all threads), in µs.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc (getconf CLK_TCK; 100 on Linux). */
const TICK_US = 10_000;

export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}
