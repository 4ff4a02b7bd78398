// RuoYi (Shiro edition): md5(loginName + password + salt) as lower-case hex, the string concatenated
// before encoding as UTF-8, exactly as SysPasswordService.encryptPassword does. The newer RuoYi-Vue
// uses BCrypt instead: import those rows with the bcrypt scheme.
import { z } from 'zod';
import { bytesEqual, decodeDigest, nonEmpty, storedParams, zodParams } from './bytes.ts';
import { digestBytes } from './digest.ts';
import type { HashScheme } from './types.ts';

const ruoyiParams = z.strictObject({});

export const ruoyiMd5: HashScheme<z.output<typeof ruoyiParams>> = {
  name: 'ruoyi-md5',
  validateParams: (params) => zodParams(ruoyiParams, params),
  shapeOk: (hash) => decodeDigest(hash, 'hex', 16) !== null,
  requires: () => ['loginName', 'salt'],
  async verify(password, stored) {
    storedParams(ruoyiMd5, stored);
    const expected = decodeDigest(stored.hash, 'hex', 16);
    if (!expected || !nonEmpty(stored.loginName) || !nonEmpty(stored.salt)) return false;
    const actual = digestBytes('md5', Buffer.from(stored.loginName + password + stored.salt, 'utf8'));
    return bytesEqual(actual, expected);
  },
};
