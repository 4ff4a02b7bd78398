// bcrypt $2a$/$2b$/$2y$ (OpenBSD, crypt_blowfish, PHP, Spring's BCryptPasswordEncoder, RuoYi-Vue).
// $2y$ is PHP's name for the corrected algorithm that OpenBSD calls $2b$; $2x$ (the old buggy
// crypt_blowfish) is not accepted. Passwords beyond 72 bytes are truncated, as the original did.
import bcryptjs from 'bcryptjs';
import { z } from 'zod';
import { bytesEqual, storedParams, zodParams } from './bytes.ts';
import type { HashScheme } from './types.ts';

const bcryptParams = z.strictObject({});

// Costs above 16 take tens of seconds in pure-JS bcrypt on every login: refuse them at import.
const SHAPE = /^\$2[aby]\$(0[4-9]|1[0-6])\$[./A-Za-z0-9]{53}$/;

export const bcrypt: HashScheme<z.output<typeof bcryptParams>> = {
  name: 'bcrypt',
  validateParams: (params) => zodParams(bcryptParams, params),
  shapeOk: (hash) => SHAPE.test(hash),
  requires: () => [],
  async verify(password, stored) {
    storedParams(bcrypt, stored);
    if (!SHAPE.test(stored.hash)) return false;
    // Re-hash with the stored "$2?$cost$salt" prefix and compare the whole strings.
    const actual = await bcryptjs.hash(password, stored.hash.slice(0, 29));
    return bytesEqual(Buffer.from(actual, 'latin1'), Buffer.from(stored.hash, 'latin1'));
  },
};
