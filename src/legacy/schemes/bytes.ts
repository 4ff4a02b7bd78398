// Byte helpers shared by the schemes: decoding stored values strictly and comparing in constant time.
import crypto from 'node:crypto';
import { z } from 'zod';
import { validate } from '../config-issues.ts';
import { SchemeParamsError, type ParamsResult, type StoredLegacyHash } from './types.ts';

/** How the legacy system wrote digest bytes. Hex case is presentation only: both cases are read. */
export const outputEncoding = z.enum(['hex', 'HEX', 'base64']).default('hex');
export type OutputEncoding = z.output<typeof outputEncoding>;

/** How the salt column holds the salt bytes (Java systems often store random salt bytes as hex). */
export const saltEncoding = z.enum(['utf8', 'hex', 'base64']).default('utf8');
export type SaltEncoding = z.output<typeof saltEncoding>;

const HEX = /^[0-9a-fA-F]*$/;
// Standard and URL-safe alphabets, padding optional: exports differ, the bytes do not.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Strictly decode a stored digest of a known length; null when it is not that shape. */
export function decodeDigest(value: string, encoding: OutputEncoding, length: number): Buffer | null {
  if (encoding === 'base64') {
    if (!BASE64.test(value)) return null;
    const bytes = Buffer.from(value, 'base64');
    return bytes.length === length && canonicalBase64(value, bytes) ? bytes : null;
  }
  return value.length === length * 2 && HEX.test(value) ? Buffer.from(value, 'hex') : null;
}

// Buffer's base64 decoder skips junk; insist the text is exactly the encoding of the bytes.
function canonicalBase64(value: string, bytes: Buffer): boolean {
  const unpadded = value.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  return bytes.toString('base64').replace(/=+$/, '') === unpadded;
}

export function decodeSalt(salt: string, encoding: SaltEncoding): Buffer | null {
  if (encoding === 'utf8') return Buffer.from(salt, 'utf8');
  if (encoding === 'hex') return salt.length % 2 === 0 && HEX.test(salt) ? Buffer.from(salt, 'hex') : null;
  return BASE64.test(salt) && canonicalBase64(salt, Buffer.from(salt, 'base64')) ? Buffer.from(salt, 'base64') : null;
}

/** Constant-time equality. Lengths are fixed by the scheme, so a length mismatch leaks nothing. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function nonEmpty(v: string | null | undefined): v is string {
  return typeof v === 'string' && v.length > 0;
}

export function zodParams<S extends z.ZodType>(schema: S, input: unknown): ParamsResult<z.output<S>> {
  const r = validate(schema, input ?? {});
  return r.ok ? { ok: true, params: r.value } : { ok: false, issues: r.issues };
}

/** Parameters as stored with a hash; invalid ones are a configuration fault, not a wrong password. */
export function storedParams<P>(scheme: { name: string; validateParams(p: unknown): ParamsResult<P> }, stored: StoredLegacyHash): P {
  const r = scheme.validateParams(stored.params ?? {});
  if (!r.ok) throw new SchemeParamsError(scheme.name, r.issues);
  return r.params;
}
