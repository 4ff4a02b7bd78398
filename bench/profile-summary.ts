// Summarises a .cpuprofile written by `BENCH_PROFILE=DIR npm run bench`: self time by package (or
// src/ file), and the hottest functions.
//   node bench/profile-summary.ts DIR/yitong-code_exchange-0.cpuprofile [top] [--inclusive=name,name,...]
// The profile is sampled in wall time: on a busy machine a thread preempted inside a system call
// (writev to a socket, typically) is charged with the wait. Compare JavaScript frames, not syscalls.
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
const top = Number(process.argv.slice(3).find((a) => /^\d+$/.test(a)) ?? 25);
const inclusive = (process.argv.find((a) => a.startsWith('--inclusive='))?.slice('--inclusive='.length) ?? '').split(',').filter(Boolean);
if (!file) {
  console.error('usage: node bench/profile-summary.ts FILE.cpuprofile [top]');
  process.exit(2);
}
const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function bucket(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native/builtin)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url;
}

const byBucket = new Map<string, number>();
const byFn = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const b = bucket(n.callFrame.url, n.callFrame.functionName);
  byBucket.set(b, (byBucket.get(b) ?? 0) + us);
  const f = `${n.callFrame.functionName || '(anonymous)'} ${bucket(n.callFrame.url, '')}:${n.callFrame.lineNumber + 1}`;
  byFn.set(f, (byFn.get(f) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled on the main thread`);
console.log('\nself time by package / file:');
for (const [b, us] of [...byBucket].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${b}`);
console.log('\nhottest functions (self):');
for (const [f, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${f}`);

if (inclusive.length) {
  // time with the function anywhere on the stack (each sample counted once per name)
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inc = new Map<string, number>(inclusive.map((name) => [name, 0]));
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const hit = inclusive.find((name) => n.callFrame.functionName === name || bucket(n.callFrame.url, '').startsWith(name));
      if (hit && !seen.has(hit)) {
        seen.add(hit);
        inc.set(hit, inc.get(hit)! + us);
      }
    }
  }
  console.log('\ninclusive time (function name, or package / file prefix, anywhere on the stack):');
  for (const [name, us] of inc) console.log(`${pct(us)}  ${name}`);
}
