// argon2i / argon2d / argon2id PHC strings, kept as they are and verified by the argon2 package
// (through the shared concurrency gate, like our own hashes). Rows with argon2id at our parameters
// need no upgrade; the login path decides that with needsRehash.
import { z } from 'zod';
import { verifyArgon2 } from '../../crypto/password.ts';
import { storedParams, zodParams } from './bytes.ts';
import type { HashScheme } from './types.ts';

const argon2Params = z.strictObject({});

const PHC = /^\$argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?m=(\d{1,10}),t=(\d{1,4}),p=(\d{1,3})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;

// Bounds on foreign cost parameters: a hash asking for 4 GiB per login would take the node down.
const MAX_MEMORY_KIB = 1 << 20;
const MAX_TIME = 64;
const MAX_LANES = 16;

function shapeOk(hash: string): boolean {
  const m = PHC.exec(hash);
  if (!m) return false;
  const [memory, time, lanes] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return memory >= 8 * lanes && memory <= MAX_MEMORY_KIB && time >= 1 && time <= MAX_TIME && lanes >= 1 && lanes <= MAX_LANES;
}

export const argon2: HashScheme<z.output<typeof argon2Params>> = {
  name: 'argon2',
  validateParams: (params) => zodParams(argon2Params, params),
  shapeOk,
  requires: () => [],
  async verify(password, stored) {
    storedParams(argon2, stored);
    if (!shapeOk(stored.hash)) return false;
    // argon2.verify compares the tags in constant time inside the native binding.
    return verifyArgon2(stored.hash, password);
  },
};
