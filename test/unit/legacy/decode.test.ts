import { describe, expect, it } from 'vitest';
import { scanGb18030, scanUtf8, StrictDecoder } from '../../../src/legacy/readers/decode.ts';

const b = (...bytes: number[]) => Uint8Array.from(bytes);

describe('scanUtf8', () => {
  it.each([
    ['overlong NUL', b(0x41, 0xc0, 0x80), 1],
    ['overlong 3-byte', b(0xe0, 0x80, 0xaf), 0],
    ['UTF-16 surrogate', b(0x41, 0x42, 0xed, 0xa0, 0x80), 2],
    ['above U+10FFFF', b(0xf4, 0x90, 0x80, 0x80), 0],
    ['lone continuation byte', b(0x41, 0x80), 1],
    ['GBK 中 (D6 D0)', b(0x41, 0xd6, 0xd0), 1],
    ['lead byte followed by ASCII', b(0xe4, 0x41, 0x41), 0],
  ])('finds %s', (_label, bytes, at) => {
    expect(scanUtf8(bytes).invalidAt).toBe(at);
  });

  it('leaves an unfinished trailing sequence for the next chunk', () => {
    expect(scanUtf8(b(0x41, 0xe4, 0xb8))).toEqual({ complete: 1, invalidAt: -1 });
    expect(scanUtf8(b(0x41, 0xe4, 0xb8, 0xad))).toEqual({ complete: 4, invalidAt: -1 });
  });
});

describe('scanGb18030', () => {
  it('accepts 1-, 2- and 4-byte sequences', () => {
    expect(scanGb18030(b(0x41, 0xd6, 0xd0, 0x81, 0x39, 0xee, 0x39))).toEqual({ complete: 7, invalidAt: -1 });
  });
  it('finds invalid lead and trail bytes', () => {
    expect(scanGb18030(b(0x41, 0x80)).invalidAt).toBe(1);
    expect(scanGb18030(b(0x41, 0xff, 0x41)).invalidAt).toBe(1);
    expect(scanGb18030(b(0xd6, 0x20)).invalidAt).toBe(0);
    expect(scanGb18030(b(0x81, 0x39, 0x20, 0x39)).invalidAt).toBe(0);
  });
  it('leaves an unfinished trailing sequence for the next chunk', () => {
    expect(scanGb18030(b(0x41, 0x81, 0x39, 0xee))).toEqual({ complete: 1, invalidAt: -1 });
  });
});

describe('StrictDecoder', () => {
  it('decodes multi-byte characters split across every possible chunk boundary', () => {
    for (const [encoding, bytes, text] of [
      ['utf-8', Buffer.from('\uFEFF张三,𠮷\n', 'utf8'), '张三,𠮷\n'],
      // python3 -c 'print("张三,𠮷\\n".encode("gb18030").hex())'
      ['gb18030', Buffer.from('d5c5c8fd2c9534b2350a', 'hex'), '张三,𠮷\n'],
    ] as const) {
      for (let size = 1; size <= bytes.length; size++) {
        const d = new StrictDecoder(encoding);
        let out = '';
        for (let i = 0; i < bytes.length; i += size) {
          const step = d.write(bytes.subarray(i, i + size));
          expect(step.errorAt).toBeUndefined();
          out += step.text;
        }
        expect(d.end()).toEqual({ text: '' });
        expect(out).toBe(text);
      }
    }
  });

  it('reports the absolute offset of a bad byte and the text before it', () => {
    const d = new StrictDecoder('utf-8');
    expect(d.write(Buffer.from('\uFEFFab', 'utf8'))).toEqual({ text: 'ab' });
    expect(d.write(Buffer.from([0x63, 0xe4, 0xb8, 0xad, 0xff, 0x64]))).toEqual({ text: 'c中', errorAt: 9 });
  });

  it('reports a sequence cut off by the end of input', () => {
    const d = new StrictDecoder('utf-8');
    expect(d.write(Buffer.from([0x61, 0x62, 0xe4, 0xb8]))).toEqual({ text: 'ab' });
    expect(d.end()).toEqual({ text: '', errorAt: 2 });
  });
});
