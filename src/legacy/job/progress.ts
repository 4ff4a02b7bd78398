// Import progress on stderr: a redrawn bar with rows/s and ETA on a terminal, plain lines every few
// seconds otherwise (logs, CI, pipes). ETA comes from bytes read against the file size, so it is
// known from the first batch without counting rows first; SQL sources show rows and rate only.

export interface ProgressState {
  /** source rows handled and committed (the checkpoint) */
  rows: number;
  /** rows handled by this process (a resumed job starts from its checkpoint) */
  rowsThisRun: number;
  bytesRead?: number;
  totalBytes?: number;
}

export interface ProgressSink {
  update(state: ProgressState): void;
  done(state: ProgressState): void;
}

interface Stream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function createProgress(stream: Stream, opts: { label: string; now?: () => number; plainEveryMs?: number } = { label: 'import' }): ProgressSink {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const tty = Boolean(stream.isTTY);
  const every = tty ? 100 : (opts.plainEveryMs ?? 5000);
  // A terminal redraws at once; plain lines start after the first interval (short imports print one).
  let last = tty ? -Infinity : started;
  let drawn = false;

  const describe = (st: ProgressState) => {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? st.rowsThisRun / elapsed : 0;
    const fraction = st.totalBytes && st.bytesRead !== undefined ? Math.min(1, st.bytesRead / st.totalBytes) : undefined;
    const eta = fraction !== undefined && fraction > 0 ? (elapsed * (1 - fraction)) / fraction : undefined;
    return { rate, fraction, eta, elapsed };
  };

  const line = (st: ProgressState, final: boolean) => {
    const { rate, fraction, eta, elapsed } = describe(st);
    const parts = [`${fmtInt(st.rows)} rows`, `${fmtInt(rate)} rows/s`];
    if (final) parts.push(`${fmtDuration(elapsed)} elapsed`);
    else if (eta !== undefined) parts.push(`ETA ${fmtDuration(eta)}`);
    if (!tty) return `${opts.label}: ${fraction !== undefined ? `${(fraction * 100).toFixed(1)}% ` : ''}${parts.join(', ')}`;
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
    const f = final ? 1 : (fraction ?? 0);
    const filled = Math.round(f * width);
    const bar = fraction !== undefined || final ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ` : '';
    return `${opts.label} ${bar}${parts.join('  ')}`;
  };

  return {
    update(st) {
      const t = now();
      if (t - last < every) return;
      last = t;
      if (tty) {
        stream.write(`\r\u001b[2K${line(st, false)}`);
        drawn = true;
      } else stream.write(`${line(st, false)}\n`);
    },
    done(st) {
      if (tty) stream.write(`\r\u001b[2K${line(st, true)}\n`);
      else if (drawn || st.rowsThisRun > 0) stream.write(`${line(st, true)}\n`);
    },
  };
}

export const silentProgress: ProgressSink = { update() {}, done() {} };
