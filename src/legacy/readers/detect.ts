// Encoding detection for files declared "auto": a UTF-8 BOM means UTF-8; otherwise the file is
// scanned once (streaming, stopping at the first invalid byte) and is UTF-8 when every byte sequence
// is, else GB18030, which decodes GBK too. Departments' exports are one or the other; UTF-16
// (Excel's "Unicode text") is refused with a clear message rather than decoded as garbage.
import fs from 'node:fs';
import { scanUtf8, type TextEncoding } from './decode.ts';
import { asReaderError, ReaderError } from './types.ts';

// A UTF-8 file damaged deep inside must fail loudly at the bad byte, not be re-read as GB18030
// mojibake. GBK text rarely passes for UTF-8 beyond a few characters ("联通"), so once this many
// multi-byte sequences have been valid UTF-8, the file is taken as UTF-8.
const UTF8_EVIDENCE = 16;

export async function detectEncoding(file: string): Promise<TextEncoding> {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });
  let carry: Buffer = Buffer.alloc(0);
  let first = true;
  let evidence = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      if (first && buf.length >= 2) {
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8';
        if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
          throw new ReaderError('encoding.utf16_unsupported', { file });
        }
      }
      const scan = scanUtf8(buf);
      if (evidence < UTF8_EVIDENCE) evidence += countLeadBytes(buf, scan.complete, UTF8_EVIDENCE - evidence);
      if (scan.invalidAt >= 0) return evidence >= UTF8_EVIDENCE ? 'utf-8' : 'gb18030';
      carry = Buffer.from(buf.subarray(scan.complete));
    }
  } catch (err) {
    throw asReaderError(err, file);
  } finally {
    stream.destroy();
  }
  // Ending inside a multi-byte sequence: a truncated UTF-8 file, or GBK.
  return carry.length === 0 || evidence >= UTF8_EVIDENCE ? 'utf-8' : 'gb18030';
}

function countLeadBytes(buf: Uint8Array, end: number, enough: number): number {
  let n = 0;
  for (let i = 0; i < end && n < enough; i++) if (buf[i] >= 0xc2) n++;
  return n;
}
