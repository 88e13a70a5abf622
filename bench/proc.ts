// Linux /proc readings the benches print (CPU time, memory); null or 0 elsewhere.
import fs from 'node:fs';

/** utime + stime of one process in seconds, or null when it is gone (or not on Linux). */
export function cpuSeconds(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The ids of `pid`'s live children. */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** utime + stime + cutime + cstime: a process and the children it has reaped, or 0 when it is gone. */
function cpuWithReapedChildren(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of a process tree so far: its live processes and every child that exited and was reaped (PostgreSQL
 * backends come and go with the pools' connections; the postmaster reaps them).
 */
export function processTreeCpuSeconds(pid: number): number {
  let total = cpuWithReapedChildren(pid);
  for (const child of childrenOf(pid)) total += processTreeCpuSeconds(child);
  return total;
}

/** Resident memory (VmRSS) of a process and its children, in MiB. */
export function processTreeRssMiB(pid: number): number {
  let kib = 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    kib = match ? Number(match[1]) : 0;
  } catch {}
  return kib / 1024 + childrenOf(pid).reduce((sum, child) => sum + processTreeRssMiB(child), 0);
}

/** Busy CPU seconds of the whole machine so far (/proc/stat), or null elsewhere. */
export function machineBusySeconds(): number | null {
  try {
    const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    const idle = ticks[3]! + ticks[4]!;
    return (ticks.reduce((sum, t) => sum + t, 0) - idle) / 100;
  } catch {
    return null;
  }
}
