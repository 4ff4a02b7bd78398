// CPU accounting from /proc: utime + stime of given processes (all threads), sampled periodically so
// that short-lived PostgreSQL backends are counted up to their last sample.
//
// A "meter" accumulates CPU only while a window is open (start()/stop() may be called repeatedly),
// so a case can be measured in several timed windows (e.g. rounds of code exchanges separated by
// untimed code collection).
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticks = 100;
try {
  ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // getconf missing: Linux's USER_HZ is 100 everywhere that matters
}
export const CLK_TCK = ticks;

/**
 * utime + stime in seconds of a process (the whole thread group), or null when gone. With `tid`,
 * of that one thread (the main thread of a Node process has tid = pid).
 */
export function procCpuSeconds(pid: number, tid?: number): number | null {
  try {
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: fields are counted after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

const AUX = [
  'checkpointer',
  'background writer',
  'walwriter',
  'autovacuum launcher',
  'logical replication launcher',
  'archiver',
  'stats collector',
  'walsender',
  'walreceiver',
  'startup',
];

export type PgRole = 'postmaster' | 'aux' | 'bench' | 'other';

/**
 * Every `postgres` process on the machine, classified: the postmaster and its auxiliary processes
 * (shared by every database), backends (and autovacuum workers) of `benchDb`, and everything else
 * (other databases: other people's tests on the same server, excluded from the bench figures).
 */
export function listPostgres(benchDb: string): Map<number, PgRole> {
  const out = new Map<number, PgRole>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let comm: string;
    let cmdline: string;
    try {
      comm = fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      if (comm !== 'postgres') continue;
      cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    const pid = Number(name);
    const m = /^postgres: (?:[^:]+: )?(.*)$/.exec(cmdline);
    if (!m) {
      out.set(pid, 'postmaster');
      continue;
    }
    const title = m[1];
    if (AUX.some((a) => title.startsWith(a))) out.set(pid, 'aux');
    else if (title.startsWith('autovacuum worker')) out.set(pid, title.includes(benchDb) ? 'bench' : 'other');
    else {
      // "<user> <database> <host(port)> <state>"
      const db = title.split(' ')[1];
      out.set(pid, db === benchDb ? 'bench' : 'other');
    }
  }
  return out;
}

/** Machine-wide busy CPU seconds (all cores) and the part spent in interrupts, from /proc/stat. */
function machineCpu(): { busy: number; irq: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  // user nice system idle iowait irq softirq steal
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, irq: ((v[5] ?? 0) + (v[6] ?? 0)) / CLK_TCK };
}

export interface CpuReport {
  /** the measured child process (provider, in-memory provider, ceiling child), all threads */
  child: number;
  /** of which its main (JavaScript) thread; the rest is libuv's pool (argon2, async crypto) and V8's helpers (GC) */
  childMain: number;
  /** PostgreSQL work attributable to the bench: its backends + postmaster + auxiliary processes */
  pg: number;
  /** every postgres process, including other databases' backends (for reference) */
  pgAll: number;
  /** the bench client itself (excluded from the figures) */
  bench: number;
  /** interrupt and softirq time (loopback networking is largely here), attributed to no process */
  irq: number;
  /** everything else on the machine (other people's work): a noise indicator */
  other: number;
  /** wall seconds the windows were open */
  wall: number;
}

type Role = 'child' | 'childMain' | PgRole;
interface Track {
  last: number;
  role: Role;
}

/**
 * Measures one child process and (optionally) the PostgreSQL server. Call start() and stop()
 * around each timed window; report() sums the windows.
 */
export class CpuMeter {
  #childPid: number;
  #benchDb: string | null;
  #tracks = new Map<number, Track>();
  #acc = { child: 0, childMain: 0, postmaster: 0, aux: 0, bench: 0, other: 0, self: 0, machine: 0, irq: 0, wall: 0 };
  #timer: NodeJS.Timeout | undefined;
  #open = false;
  #selfStart = 0;
  #machineStart = { busy: 0, irq: 0 };
  #wallStart = 0;

  constructor(childPid: number, benchDb: string | null) {
    this.#childPid = childPid;
    this.#benchDb = benchDb;
  }

  #selfCpu(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }

  /** Reads every tracked process; new processes start from their current total only at start(). */
  #sample(fresh: boolean) {
    const seen = new Set<number>();
    // the child's main thread is tracked under the negated pid
    const roles = new Map<number, Role>([
      [this.#childPid, 'child'],
      [-this.#childPid, 'childMain'],
    ]);
    if (this.#benchDb) for (const [pid, role] of listPostgres(this.#benchDb)) roles.set(pid, role);
    for (const [pid, role] of roles) {
      const now = pid < 0 ? procCpuSeconds(-pid, -pid) : procCpuSeconds(pid);
      if (now === null) continue;
      seen.add(pid);
      const t = this.#tracks.get(pid);
      if (!t) {
        // A process that appeared while the window is open did all its work inside it.
        this.#tracks.set(pid, { last: fresh ? now : 0, role });
        if (!fresh) this.#acc[role] += now;
        continue;
      }
      const delta = now - t.last;
      t.last = now;
      if (!fresh) this.#acc[role] += delta;
    }
    // gone since the last sample: their CPU after that sample is lost (sampling keeps this small)
    for (const pid of [...this.#tracks.keys()]) if (!seen.has(pid)) this.#tracks.delete(pid);
  }

  start(): void {
    if (this.#open) return;
    this.#open = true;
    this.#tracks.clear();
    this.#sample(true);
    this.#selfStart = this.#selfCpu();
    this.#machineStart = machineCpu();
    this.#wallStart = performance.now();
    this.#timer = setInterval(() => this.#sample(false), 200);
  }

  stop(): void {
    if (!this.#open) return;
    clearInterval(this.#timer);
    this.#sample(false);
    this.#acc.self += this.#selfCpu() - this.#selfStart;
    const m = machineCpu();
    this.#acc.machine += m.busy - this.#machineStart.busy;
    this.#acc.irq += m.irq - this.#machineStart.irq;
    this.#acc.wall += (performance.now() - this.#wallStart) / 1000;
    this.#open = false;
  }

  report(): CpuReport {
    const a = this.#acc;
    const pg = a.postmaster + a.aux + a.bench;
    const pgAll = pg + a.other;
    return {
      child: a.child,
      childMain: a.childMain,
      pg,
      pgAll,
      bench: a.self,
      irq: a.irq,
      other: Math.max(0, a.machine - a.irq - a.child - pgAll - a.self),
      wall: a.wall,
    };
  }
}
