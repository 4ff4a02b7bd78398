// Unsalted and salted message digests: md5, sha1, sha256, sha512 and SM3 (GB/T 32905, via OpenSSL).
// digest = H(salt || password) or H(password || salt); `iterations` > 1 re-hashes the raw digest
// bytes, as Apache Shiro's SimpleHash does (the usual source of iterated digests in Java systems).
import crypto from 'node:crypto';
import { z } from 'zod';
import { bytesEqual, decodeDigest, decodeSalt, nonEmpty, outputEncoding, saltEncoding, storedParams, zodParams } from './bytes.ts';
import type { HashScheme, SchemeInput } from './types.ts';

export const digestParams = z.strictObject({
  salt_position: z.enum(['none', 'before', 'after']).default('none'),
  encoding: outputEncoding,
  salt_encoding: saltEncoding,
  // Capped so a profile cannot turn every login into a denial of service.
  iterations: z.int().min(1).max(100_000).default(1),
});
export type DigestParams = z.output<typeof digestParams>;

const ALGORITHMS = { md5: 16, sha1: 20, sha256: 32, sha512: 64, sm3: 32 } as const;
export type DigestAlgorithm = keyof typeof ALGORITHMS;

export function digestBytes(algorithm: DigestAlgorithm, data: Uint8Array, iterations = 1): Buffer {
  let out = crypto.createHash(algorithm).update(data).digest();
  for (let i = 1; i < iterations; i++) out = crypto.createHash(algorithm).update(out).digest();
  return out;
}

function digestScheme(algorithm: DigestAlgorithm): HashScheme<DigestParams> {
  const length = ALGORITHMS[algorithm];
  const scheme: HashScheme<DigestParams> = {
    name: algorithm,
    validateParams: (params) => zodParams(digestParams, params),
    shapeOk: (hash, params) => decodeDigest(hash, params.encoding, length) !== null,
    requires: (params): readonly SchemeInput[] => (params.salt_position === 'none' ? [] : ['salt']),
    async verify(password, stored) {
      const p = storedParams(scheme, stored);
      const expected = decodeDigest(stored.hash, p.encoding, length);
      if (!expected) return false;
      const pw = Buffer.from(password, 'utf8');
      let input: Buffer = pw;
      if (p.salt_position !== 'none') {
        if (!nonEmpty(stored.salt)) return false;
        const salt = decodeSalt(stored.salt, p.salt_encoding);
        if (!salt) return false;
        input = p.salt_position === 'before' ? Buffer.concat([salt, pw]) : Buffer.concat([pw, salt]);
      }
      return bytesEqual(digestBytes(algorithm, input, p.iterations), expected);
    },
  };
  return scheme;
}

export const md5 = digestScheme('md5');
export const sha1 = digestScheme('sha1');
export const sha256 = digestScheme('sha256');
export const sha512 = digestScheme('sha512');
export const sm3 = digestScheme('sm3');
