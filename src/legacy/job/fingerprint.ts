// A file's identity for resume: a job restarted on a different or edited file would mix two sources.
// Size, modification time and SHA-256 digests of the first and last MiB: cheap on any size, and a
// replaced or appended file changes at least one of them.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';

export interface FileFingerprint {
  size: number;
  mtime_ms: number;
  head_sha256: string;
  tail_sha256: string;
}

const SPAN = 1 << 20;

async function digest(handle: fs.FileHandle, position: number, length: number): Promise<string> {
  const buf = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const r = await handle.read(buf, read, length - read, position + read);
    if (r.bytesRead === 0) break;
    read += r.bytesRead;
  }
  return crypto.createHash('sha256').update(buf.subarray(0, read)).digest('hex');
}

export async function fingerprintFile(file: string): Promise<FileFingerprint> {
  const handle = await fs.open(file, 'r');
  try {
    const stat = await handle.stat();
    const span = Math.min(SPAN, stat.size);
    return {
      size: stat.size,
      mtime_ms: Math.trunc(stat.mtimeMs),
      head_sha256: await digest(handle, 0, span),
      tail_sha256: await digest(handle, stat.size - span, span),
    };
  } finally {
    await handle.close();
  }
}

export function sameFingerprint(a: FileFingerprint, b: FileFingerprint): boolean {
  return a.size === b.size && a.mtime_ms === b.mtime_ms && a.head_sha256 === b.head_sha256 && a.tail_sha256 === b.tail_sha256;
}

/**
 * The bytes of a file before its physical line `line` (1-based), with their SHA-256: what a failed
 * job read before the row that stopped it. A file fixed from that row on (a truncated one completed,
 * a bad row corrected) still matches it, so the job can resume. Null when the file has fewer lines.
 */
export interface FilePrefix {
  bytes: number;
  sha256: string;
}

export async function prefixBeforeLine(file: string, line: number): Promise<FilePrefix | null> {
  const handle = await fs.open(file, 'r');
  try {
    const hash = crypto.createHash('sha256');
    let newlines = 0;
    let offset = 0;
    if (line <= 1) return { bytes: 0, sha256: hash.digest('hex') };
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      const r = await handle.read(buf, 0, buf.length, offset);
      if (r.bytesRead === 0) return null;
      const chunk = buf.subarray(0, r.bytesRead);
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
        if (++newlines === line - 1) {
          hash.update(chunk.subarray(0, i + 1));
          return { bytes: offset + i + 1, sha256: hash.digest('hex') };
        }
      }
      hash.update(chunk);
      offset += r.bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** Whether the file still starts with the recorded prefix. */
export async function samePrefix(file: string, prefix: FilePrefix): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const stat = await handle.stat();
    if (stat.size < prefix.bytes) return false;
    const hash = crypto.createHash('sha256');
    const buf = Buffer.alloc(1 << 16);
    for (let offset = 0; offset < prefix.bytes; ) {
      const r = await handle.read(buf, 0, Math.min(buf.length, prefix.bytes - offset), offset);
      if (r.bytesRead === 0) return false;
      hash.update(buf.subarray(0, r.bytesRead));
      offset += r.bytesRead;
    }
    return crypto.timingSafeEqual(hash.digest(), Buffer.from(prefix.sha256, 'hex'));
  } finally {
    await handle.close();
  }
}
