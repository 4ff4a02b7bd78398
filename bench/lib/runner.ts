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

export interface OpenLoopResult {
  ops: number;
  errors: number;
  /** starts that could not happen because `maxInFlight` operations were still running */
  dropped: number;
  rate: number;
  seconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  firstError?: string;
}

/**
 * Open loop: starts `op` at a fixed `rate` per second for `seconds`, whether or not earlier ones
 * have finished, as independent relying parties do. Latency counts from the scheduled start, so a
 * stalled server shows up in the percentiles instead of slowing the load down (no coordinated
 * omission). At most `maxInFlight` run at once; a start beyond that is dropped and counted.
 */
export async function runOpenLoop(opts: { rate: number; seconds: number; maxInFlight?: number }, op: (i: number) => Promise<void>): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(opts.rate * opts.seconds));
  const interval = 1000 / opts.rate;
  const maxInFlight = opts.maxInFlight ?? 256;
  const latencies: number[] = [];
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  let firstError: string | undefined;
  const running: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= maxInFlight) {
      dropped++;
      continue;
    }
    inFlight++;
    running.push(
      op(i).then(
        () => void latencies.push(performance.now() - due),
        (err: unknown) => {
          errors++;
          firstError ??= (err as Error).message ?? String(err);
        },
      ).finally(() => void inFlight--),
    );
  }
  await Promise.all(running);
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0);
  return { ops: latencies.length, errors, dropped, rate: opts.rate, seconds, latencyMs: { p50: pick(0.5), p90: pick(0.9), p99: pick(0.99), max: latencies.at(-1) ?? 0 }, ...(firstError ? { firstError } : {}) };
}
