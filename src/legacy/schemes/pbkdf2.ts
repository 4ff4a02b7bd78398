// PBKDF2-HMAC in two forms: 'pbkdf2' with the derived key and the salt in separate columns and the
// parameters in the profile (typical of Java PBKDF2WithHmacSHA*), and 'pbkdf2-django', the
// self-describing pbkdf2_sha256$iterations$salt$base64 strings of Django.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { bytesEqual, decodeDigest, decodeSalt, nonEmpty, outputEncoding, saltEncoding, storedParams, zodParams } from './bytes.ts';
import type { HashScheme } from './types.ts';

const pbkdf2Async = promisify(crypto.pbkdf2);

const DIGEST_LENGTH = { sha1: 20, sha256: 32, sha512: 64 } as const;

// Legacy systems used far fewer; the cap keeps a login from costing minutes of CPU.
const MAX_ITERATIONS = 10_000_000;

export const pbkdf2Params = z
  .strictObject({
    digest: z.enum(['sha1', 'sha256', 'sha512']),
    iterations: z.int().min(1).max(MAX_ITERATIONS),
    key_length: z.int().min(8).max(512).optional(),
    encoding: outputEncoding,
    salt_encoding: saltEncoding,
  })
  // An explicit key length is stored with every hash, so a later default change cannot alter it.
  .transform((p) => ({ ...p, key_length: p.key_length ?? DIGEST_LENGTH[p.digest] }));
export type Pbkdf2Params = z.output<typeof pbkdf2Params>;

export const pbkdf2: HashScheme<Pbkdf2Params> = {
  name: 'pbkdf2',
  validateParams: (params) => zodParams(pbkdf2Params, params),
  shapeOk: (hash, params) => decodeDigest(hash, params.encoding, params.key_length) !== null,
  requires: () => ['salt'],
  async verify(password, stored) {
    const p = storedParams(pbkdf2, stored);
    const expected = decodeDigest(stored.hash, p.encoding, p.key_length);
    const salt = nonEmpty(stored.salt) ? decodeSalt(stored.salt, p.salt_encoding) : null;
    if (!expected || !salt) return false;
    const actual = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, p.iterations, p.key_length, p.digest);
    return bytesEqual(actual, expected);
  },
};

const djangoParams = z.strictObject({});
const DJANGO = /^pbkdf2_(sha1|sha256)\$([1-9]\d{0,7})\$([^$]+)\$([A-Za-z0-9+/]+={0,2})$/;

function parseDjango(hash: string): { digest: 'sha1' | 'sha256'; iterations: number; salt: string; key: Buffer } | null {
  const m = DJANGO.exec(hash);
  if (!m) return null;
  const digest = m[1] as 'sha1' | 'sha256';
  const iterations = Number(m[2]);
  // Django derives a key as long as the digest (dklen=None).
  const key = decodeDigest(m[4], 'base64', DIGEST_LENGTH[digest]);
  return key && iterations <= MAX_ITERATIONS ? { digest, iterations, salt: m[3], key } : null;
}

export const pbkdf2Django: HashScheme<z.output<typeof djangoParams>> = {
  name: 'pbkdf2-django',
  validateParams: (params) => zodParams(djangoParams, params),
  shapeOk: (hash) => parseDjango(hash) !== null,
  requires: () => [],
  async verify(password, stored) {
    storedParams(pbkdf2Django, stored);
    const d = parseDjango(stored.hash);
    if (!d) return false;
    const actual = await pbkdf2Async(Buffer.from(password, 'utf8'), Buffer.from(d.salt, 'utf8'), d.iterations, d.key.length, d.digest);
    return bytesEqual(actual, d.key);
  },
};
