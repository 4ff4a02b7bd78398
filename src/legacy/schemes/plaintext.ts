// Plaintext passwords (it happens). The importer hashes them with argon2id before anything is
// stored; verify exists so the registry is uniform. Comparing SHA-256 digests keeps the comparison
// constant-time without revealing the stored length.
import crypto from 'node:crypto';
import { z } from 'zod';
import { storedParams, zodParams } from './bytes.ts';
import type { HashScheme } from './types.ts';

const plaintextParams = z.strictObject({});

const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

export const plaintext: HashScheme<z.output<typeof plaintextParams>> = {
  name: 'plaintext',
  verbatim: true,
  rehashAtImport: true,
  validateParams: (params) => zodParams(plaintextParams, params),
  shapeOk: (hash) => hash.length > 0 && hash.length <= 1024,
  requires: () => [],
  async verify(password, stored) {
    storedParams(plaintext, stored);
    if (stored.hash.length === 0) return false;
    return crypto.timingSafeEqual(sha256(password), sha256(stored.hash));
  },
};
