// A bounded closed-loop load generator: `concurrency` workers, each running `op` back to back,
// until `maxOps` operations have been started or `maxSeconds` have passed (whichever first).

export interface RunLimits {
  concurrency: number;
  maxOps: number;
  maxSeconds: number;
}

export interface RunResult {
  ops: number;
  errors: number;
  /** wall seconds from the first start to the last completion */
  seconds: number;
  latencyMs: { p50: number; p95: number; max: number };
  firstError?: string;
}

/** `op(i, worker)` returns normally for success; a throw counts as an error (the run goes on). */
export async function runLoad(limits: RunLimits, op: (i: number, worker: number) => Promise<void>): Promise<RunResult> {
  let started = 0;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + limits.maxSeconds * 1000;
  // Too many consecutive errors means something is broken: stop rather than spin.
  let consecutiveErrors = 0;

  const worker = async (w: number) => {
    while (started < limits.maxOps && performance.now() < deadline && consecutiveErrors < 50) {
      const i = started++;
      const s = performance.now();
      try {
        await op(i, w);
        ops++;
        consecutiveErrors = 0;
        latencies.push(performance.now() - s);
      } catch (err) {
        errors++;
        consecutiveErrors++;
        firstError ??= (err as Error).message ?? String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0);
  return { ops, errors, seconds, latencyMs: { p50: pick(0.5), p95: pick(0.95), max: latencies.at(-1) ?? 0 }, ...(firstError ? { firstError } : {}) };
}
