// argon2i / argon2d / argon2id PHC strings, kept as they are and verified by the argon2 package
// (through the shared concurrency gate, like our own hashes). Rows with argon2id at our parameters
// need no upgrade; the login path decides that with needsRehash.
import { z } from 'zod';
import { verifyArgon2 } from '../../crypto/password.ts';
import { storedParams, zodParams } from './bytes.ts';
import type { HashScheme } from './types.ts';

const argon2Params = z.strictObject({});

// Parameters in any order: the reference implementation writes m,t,p; the argon2 npm package
// (our own hashes) writes them sorted, m,p,t.
const PHC = /^\$argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?([mtp]=\d{1,10},[mtp]=\d{1,10},[mtp]=\d{1,10})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;

// Bounds on foreign cost parameters: a hash asking for 4 GiB per login would take the node down.
const MAX_MEMORY_KIB = 1 << 20;
const MAX_TIME = 64;
const MAX_LANES = 16;

function shapeOk(hash: string): boolean {
  const m = PHC.exec(hash);
  if (!m) return false;
  const params = new Map(m[1].split(',').map((kv) => [kv[0], Number(kv.slice(2))] as const));
  if (params.size !== 3) return false;
  const [memory, time, lanes] = [params.get('m')!, params.get('t')!, params.get('p')!];
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
