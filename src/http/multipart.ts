// A streaming multipart/form-data reader for uploads (the admin API's and console's import files):
// text fields are kept in memory (small, bounded), the one file part goes straight to a file on
// disk, never whole into memory, and every limit is checked while reading. Counts the file's line
// feeds on the way (an uploaded CSV's row count for progress). No dependency: the format is small
// (RFC 7578) and a parser we do not control would decide what reaches the disk.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface MultipartLimits {
  /** the file part's size */
  fileBytes: number;
  /** all text fields together */
  fieldBytes: number;
  /** number of parts */
  parts: number;
}

export interface UploadedFile {
  /** where it was written (a temporary name in the upload directory) */
  path: string;
  /** the client's file name, without any directory */
  name: string;
  size: number;
  /** line feeds in the file, and whether it ends without one (for a row count) */
  lineFeeds: number;
  endsWithNewline: boolean;
}

export interface Multipart {
  fields: Record<string, string>;
  file: UploadedFile | null;
}

export type MultipartProblem = 'too_large' | 'malformed' | 'unsupported' | 'duplicate_field' | 'file_field';

export class MultipartError extends Error {
  readonly problem: MultipartProblem;
  constructor(problem: MultipartProblem) {
    super(`multipart: ${problem}`);
    this.problem = problem;
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');
const HEADER_MAX = 8 * 1024;

export function boundaryOf(contentType: string): string | null {
  if (!/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : null;
}

function disposition(headers: string): { name: string; filename: string | null } {
  const line = headers.split('\r\n').find((h) => /^content-disposition\s*:/i.test(h));
  if (!line || !/:\s*form-data\s*(;|$)/i.test(line)) throw new MultipartError('malformed');
  const name = /;\s*name="([^"]*)"/i.exec(line)?.[1];
  const filename = /;\s*filename="([^"]*)"/i.exec(line)?.[1];
  if (!name) throw new MultipartError('malformed');
  return { name, filename: filename === undefined ? null : path.basename(filename.replace(/\\/g, '/')).slice(0, 200) };
}

/**
 * Reads `body` (the request) as multipart/form-data into `dir`. The file part must be named
 * `fileField`; on any error nothing is left on disk.
 */
export async function readMultipart(body: AsyncIterable<Buffer>, contentType: string, dir: string, limits: MultipartLimits, fileField = 'file'): Promise<Multipart> {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new MultipartError('unsupported');
  // a leading CRLF lets the first boundary match the same delimiter as the others
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const keep = delimiter.length - 1;
  const fields: Record<string, string> = {};
  let fieldBytes = 0;
  let parts = 0;
  let file: UploadedFile | null = null;
  let handle: fs.FileHandle | null = null;
  let current: { name: string; isFile: boolean; chunks: Buffer[] } | null = null;
  type State = 'preamble' | 'after' | 'headers' | 'body' | 'done';
  let state = 'preamble' as State;
  let buf: Buffer = Buffer.from('\r\n');

  async function emit(data: Buffer) {
    if (!current || !data.length) return;
    if (current.isFile) {
      file!.size += data.length;
      if (file!.size > limits.fileBytes) throw new MultipartError('too_large');
      for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) file!.lineFeeds++;
      file!.endsWithNewline = data[data.length - 1] === 10;
      await handle!.write(data);
    } else {
      fieldBytes += data.length;
      if (fieldBytes > limits.fieldBytes) throw new MultipartError('too_large');
      current.chunks.push(data);
    }
  }

  async function endPart() {
    if (!current) return;
    if (current.isFile) {
      await handle!.close();
      handle = null;
    } else fields[current.name] = Buffer.concat(current.chunks).toString('utf8');
    current = null;
  }

  async function startPart(headers: string) {
    if (++parts > limits.parts) throw new MultipartError('too_large');
    const d = disposition(headers);
    if (d.name in fields || (d.name === fileField && file)) throw new MultipartError('duplicate_field');
    if (d.filename !== null) {
      if (d.name !== fileField) throw new MultipartError('file_field');
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const p = path.join(dir, `.upload-${crypto.randomUUID()}`);
      handle = await fs.open(p, 'wx', 0o600);
      file = { path: p, name: d.filename, size: 0, lineFeeds: 0, endsWithNewline: false };
      current = { name: d.name, isFile: true, chunks: [] };
    } else {
      if (d.name === fileField) throw new MultipartError('file_field');
      current = { name: d.name, isFile: false, chunks: [] };
    }
  }

  async function drain() {
    for (;;) {
      if (state === 'done') return;
      if (state === 'preamble' || state === 'body') {
        const at = buf.indexOf(delimiter);
        if (at === -1) {
          if (buf.length > keep) {
            if (state === 'body') await emit(buf.subarray(0, buf.length - keep));
            buf = buf.subarray(buf.length - keep);
          }
          return;
        }
        if (state === 'body') {
          await emit(buf.subarray(0, at));
          await endPart();
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'after';
      } else if (state === 'after') {
        if (buf.length < 2) return;
        if (buf[0] === 0x2d && buf[1] === 0x2d) state = 'done';
        else if (buf[0] === 0x0d && buf[1] === 0x0a) {
          buf = buf.subarray(2);
          state = 'headers';
        } else throw new MultipartError('malformed');
      } else {
        const end = buf.indexOf(CRLF2);
        if (end === -1) {
          if (buf.length > HEADER_MAX) throw new MultipartError('malformed');
          return;
        }
        await startPart(buf.subarray(0, end).toString('utf8'));
        buf = buf.subarray(end + CRLF2.length);
        state = 'body';
      }
    }
  }

  try {
    for await (const chunk of body) {
      if (state === 'done') continue; // the epilogue is ignored
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      await drain();
    }
    if (state !== 'done') throw new MultipartError('malformed');
    return { fields, file };
  } catch (err) {
    await (handle as fs.FileHandle | null)?.close().catch(() => {});
    if (file) await fs.rm((file as UploadedFile).path, { force: true });
    throw err;
  }
}
