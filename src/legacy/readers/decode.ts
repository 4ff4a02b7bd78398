// Incremental, strict byte-to-text decoding for UTF-8 and GB18030 (a superset of GBK). We validate
// the byte structure ourselves rather than let a decoder substitute U+FFFD, so a bad byte is
// reported at its exact offset instead of silently turning a name into "張�".
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

export type TextEncoding = 'utf-8' | 'gb18030';

export interface ScanResult {
  /** Length of the prefix made of complete, valid sequences. */
  complete: number;
  /** Offset of the first invalid byte, or -1 (a trailing incomplete sequence is not invalid yet). */
  invalidAt: number;
}

export function scanUtf8(buf: Uint8Array): ScanResult {
  // Fast path: everything up to a possibly cut-off last sequence is valid (simdutf underneath).
  const cut = utf8Cut(buf);
  if (isUtf8(buf.subarray(0, cut))) return { complete: cut, invalidAt: -1 };
  return scanUtf8Slow(buf);
}

// Start of a trailing multi-byte sequence that the buffer ends before completing.
function utf8Cut(buf: Uint8Array): number {
  for (let k = 1; k <= Math.min(3, buf.length); k++) {
    const b = buf[buf.length - k];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > k ? buf.length - k : buf.length;
  }
  return buf.length;
}

function scanUtf8Slow(buf: Uint8Array): ScanResult {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    // Ranges from RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return { complete: i, invalidAt: i };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { complete: i, invalidAt: -1 };
      const c = buf[i + k];
      if (k === 1 ? c < lo || c > hi : (c & 0xc0) !== 0x80) return { complete: i, invalidAt: i };
    }
    i += need + 1;
  }
  return { complete: n, invalidAt: -1 };
}

/** GB18030 structure: ASCII, lead 81-FE + trail 40-7E/80-FE, or lead + 30-39 + 81-FE + 30-39. */
export function scanGb18030(buf: Uint8Array): ScanResult {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b === 0x80 || b === 0xff) return { complete: i, invalidAt: i };
    if (i + 1 >= n) return { complete: i, invalidAt: -1 };
    const b2 = buf[i + 1];
    if ((b2 >= 0x40 && b2 <= 0x7e) || (b2 >= 0x80 && b2 <= 0xfe)) {
      i += 2;
      continue;
    }
    if (b2 < 0x30 || b2 > 0x39) return { complete: i, invalidAt: i };
    if (i + 2 >= n) return { complete: i, invalidAt: -1 };
    const b3 = buf[i + 2];
    if (b3 < 0x81 || b3 > 0xfe) return { complete: i, invalidAt: i };
    if (i + 3 >= n) return { complete: i, invalidAt: -1 };
    const b4 = buf[i + 3];
    if (b4 < 0x30 || b4 > 0x39) return { complete: i, invalidAt: i };
    i += 4;
  }
  return { complete: n, invalidAt: -1 };
}

export interface DecodeStep {
  text: string;
  /** Absolute offset of an invalid (or, at the end, incomplete) byte sequence; text holds what came before it. */
  errorAt?: number;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Feed chunks, get text. At most three bytes of an unfinished sequence are carried between
 * chunks. A UTF-8 byte order mark at the very start is dropped.
 */
export class StrictDecoder {
  readonly encoding: TextEncoding;
  #carry: Buffer = Buffer.alloc(0);
  /** Absolute offset of the first byte of #carry. */
  #offset = 0;
  #started = false;
  #failed = false;

  constructor(encoding: TextEncoding) {
    this.encoding = encoding;
  }

  write(chunk: Buffer): DecodeStep {
    if (this.#failed) throw new Error('decoder already failed');
    let buf = this.#carry.length ? Buffer.concat([this.#carry, chunk]) : chunk;
    if (!this.#started) {
      if (this.encoding === 'utf-8' && buf.length < 3 && buf.every((b, i) => b === UTF8_BOM[i])) {
        this.#carry = buf; // may still become a BOM
        return { text: '' };
      }
      this.#started = true;
      if (this.encoding === 'utf-8' && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        this.#offset = 3;
      }
    }
    const scan = this.encoding === 'utf-8' ? scanUtf8(buf) : scanGb18030(buf);
    const complete = buf.subarray(0, scan.complete);
    const text = this.encoding === 'utf-8' ? complete.toString('utf8') : iconv.decode(complete, 'gb18030');
    if (scan.invalidAt >= 0) {
      this.#failed = true;
      return { text, errorAt: this.#offset + scan.invalidAt };
    }
    this.#offset += scan.complete;
    // Copy: the carried bytes must not pin the whole chunk in memory.
    this.#carry = Buffer.from(buf.subarray(scan.complete));
    return { text };
  }

  /** End of input: leftover bytes are a sequence the file ends in the middle of. */
  end(): DecodeStep {
    if (this.#failed || this.#carry.length === 0) return { text: '' };
    this.#failed = true;
    return { text: '', errorAt: this.#offset };
  }
}
