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
