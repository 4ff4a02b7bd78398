// Every vector below was produced by an independent implementation of the original algorithm and
// pasted here, never computed by the code under test:
//   digests, PBKDF2, Django, RuoYi: python3 hashlib (OpenSSL), e.g.
//     python3 -c "import hashlib;print(hashlib.new('sm3',b'Passw0rd!').hexdigest())"
//   SM3 cross-checked with `printf 'Passw0rd!' | openssl dgst -sm3`;
//   RuoYi admin/admin123/111111 is also the seed row of RuoYi's own ruoyi.sql;
//   bcrypt: libxcrypt (python3 crypt.crypt), incl. the jBCrypt/OpenBSD suite vectors and the
//     RuoYi-Vue seed hash of admin123;
//   argon2: the reference implementation's test suite (P-H-C/phc-winner-argon2 src/test.c).
import { describe, expect, it } from 'vitest';
import { getScheme, SCHEME_NAMES, SchemeParamsError, verifyLegacyHash, type StoredLegacyHash } from '../../../src/legacy/schemes/index.ts';

const PW = 'Passw0rd!';
const ZH = '密码Mima123';

interface Vector {
  label: string;
  password: string;
  stored: StoredLegacyHash;
}

const vectors: Vector[] = [
  { label: 'md5 hex', password: PW, stored: { scheme: 'md5', hash: '47b7bfb65fa83ac9a71dcb0f6296bb6e' } },
  { label: 'md5 HEX', password: PW, stored: { scheme: 'md5', hash: '47B7BFB65FA83AC9A71DCB0F6296BB6E', params: { encoding: 'HEX' } } },
  { label: 'md5 base64', password: PW, stored: { scheme: 'md5', hash: 'R7e/tl+oOsmnHcsPYpa7bg==', params: { encoding: 'base64' } } },
  { label: 'md5 salt before', password: PW, stored: { scheme: 'md5', hash: '43c96db6776785b2fc3cf2b4a3597e26', salt: 'a1b2c3', params: { salt_position: 'before' } } },
  { label: 'md5 salt after', password: PW, stored: { scheme: 'md5', hash: '31564f3b3d09a8ffadeea50a4ecc77b5', salt: 'a1b2c3', params: { salt_position: 'after' } } },
  { label: 'md5 UTF-8 password', password: ZH, stored: { scheme: 'md5', hash: '336e19df3040c8ce2512def72d82a040' } },
  {
    label: 'md5 Shiro-style: hex salt bytes, 2 iterations',
    password: PW,
    stored: { scheme: 'md5', hash: '00f4e030487b92b7b068221453913e0b', salt: '0f1e2d3c4b5a6978', params: { salt_position: 'before', salt_encoding: 'hex', iterations: 2 } },
  },
  { label: 'sha1 hex', password: PW, stored: { scheme: 'sha1', hash: 'f4a69973e7b0bf9d160f9f60e3c3acd2494beb0d' } },
  { label: 'sha1 salt before', password: PW, stored: { scheme: 'sha1', hash: '4e1ec9698f91096302b51ee2786a718d084415c7', salt: 'a1b2c3', params: { salt_position: 'before' } } },
  { label: 'sha256 hex', password: PW, stored: { scheme: 'sha256', hash: 'e66860546f18cdbbcd86b35e18b525bffc67f772c650cedfe3ff7a0026fa1dee' } },
  {
    label: 'sha256 salt after, base64',
    password: PW,
    stored: { scheme: 'sha256', hash: 'y6cu2itr2ltOc7eW53mCTYcVmygkMjf7BqPwrMA02v8=', salt: 'a1b2c3', params: { salt_position: 'after', encoding: 'base64' } },
  },
  {
    label: 'sha256 salt before, 1024 iterations, base64',
    password: PW,
    stored: { scheme: 'sha256', hash: 'd1MJ241Y+7WyPLGB9ckW54Dcmtw2YEx8GsC8YJb8/h8=', salt: 'a1b2c3', params: { salt_position: 'before', encoding: 'base64', iterations: 1024 } },
  },
  {
    label: 'sha512 hex',
    password: PW,
    stored: { scheme: 'sha512', hash: 'a1d9a9e99e70ece06f6ef5782627cac869db9754ac6dfab01ff47900def77f581b562e6f82be47887ff9c0d58e2f0a622d396a472f07caea2ddaf83c77bff689' },
  },
  {
    label: 'sha512 salt before, HEX',
    password: PW,
    stored: {
      scheme: 'sha512',
      hash: '6B1FA83A8D62F3299BBE7C9DDC18DF1E3E1E3A835A3B0D21AF4EEB6B75A8AD2D5EE76BFC2BDA57003E9B9EF23A146902463971A153665C0FFD8BCC48C74EB511',
      salt: 'a1b2c3',
      params: { salt_position: 'before', encoding: 'HEX' },
    },
  },
  { label: 'sm3 "abc" (GB/T 32905 example)', password: 'abc', stored: { scheme: 'sm3', hash: '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0' } },
  { label: 'sm3 hex', password: PW, stored: { scheme: 'sm3', hash: 'cff51b4899cb0a57e4218e8efc605d47aa07c81836957168e3477f7d32325867' } },
  { label: 'sm3 salt after', password: PW, stored: { scheme: 'sm3', hash: '007b5a8de307c0054b1c1b782400faa47cb4f9db9c45eb550733744747cf6563', salt: 'a1b2c3', params: { salt_position: 'after' } } },
  {
    label: 'sm3 salt before, HEX, UTF-8 password',
    password: ZH,
    stored: { scheme: 'sm3', hash: '0EB898FC3B58DA9AAA17D7A9967DFBE05FFCDFF76E220E6B17C8A7D5105E4DC4', salt: 'a1b2c3', params: { salt_position: 'before', encoding: 'HEX' } },
  },
  { label: 'RuoYi seed admin/admin123', password: 'admin123', stored: { scheme: 'ruoyi-md5', hash: '29c67a30398638269fe600f73a054934', salt: '111111', loginName: 'admin' } },
  { label: 'RuoYi UTF-8 password', password: ZH, stored: { scheme: 'ruoyi-md5', hash: 'da4a03a1101c32ad609885a9105f4b66', salt: 'x7Kp9q', loginName: 'zhangsan' } },
  { label: 'bcrypt $2a$ (OpenBSD suite)', password: 'abc', stored: { scheme: 'bcrypt', hash: '$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i' } },
  { label: 'bcrypt $2a$ empty password', password: '', stored: { scheme: 'bcrypt', hash: '$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.' } },
  { label: 'bcrypt $2b$', password: PW, stored: { scheme: 'bcrypt', hash: '$2b$05$CCCCCCCCCCCCCCCCCCCCC.ATiz8rQyi0.MmuQlBz9WmtzCAY8/cvS' } },
  { label: 'bcrypt $2y$', password: PW, stored: { scheme: 'bcrypt', hash: '$2y$05$CCCCCCCCCCCCCCCCCCCCC.ATiz8rQyi0.MmuQlBz9WmtzCAY8/cvS' } },
  { label: 'bcrypt UTF-8 password', password: ZH, stored: { scheme: 'bcrypt', hash: '$2a$04$abcdefghijklmnopqrstuu2f9jWVh3vkqWq7oOSA0ofKDecnxN2G2' } },
  { label: 'bcrypt RuoYi-Vue seed admin123', password: 'admin123', stored: { scheme: 'bcrypt', hash: '$2a$10$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2' } },
  {
    label: 'pbkdf2 sha256 hex',
    password: PW,
    stored: { scheme: 'pbkdf2', hash: 'aa841fec427c51e0c1bba19ee5b64a0d7f3cf0fc7c7f42a8394e5128c61ff9cb', salt: 'a1b2c3', params: { digest: 'sha256', iterations: 1000 } },
  },
  {
    label: 'pbkdf2 sha1, 32-byte key, hex salt, HEX',
    password: PW,
    stored: {
      scheme: 'pbkdf2',
      hash: 'A4683771AFDE94DE64334104D5F54527C66A122FB8C72ACD7963ACB7A9DB7239',
      salt: '0f1e2d3c4b5a6978',
      params: { digest: 'sha1', iterations: 1000, key_length: 32, encoding: 'HEX', salt_encoding: 'hex' },
    },
  },
  {
    label: 'pbkdf2 sha512 base64',
    password: ZH,
    stored: {
      scheme: 'pbkdf2',
      hash: 'krxemhymIQyom53SuoFKJYxz3IuahRkbTMcLeUzI3Vb3K22C5CevBWbDoLU9QCv2KSv8s5/SCRytoWqe1hgB2Q==',
      salt: 'a1b2c3',
      params: { digest: 'sha512', iterations: 2000, encoding: 'base64' },
    },
  },
  { label: 'Django pbkdf2_sha256', password: 'lètmein', stored: { scheme: 'pbkdf2-django', hash: 'pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=' } },
  { label: 'Django pbkdf2_sha1', password: PW, stored: { scheme: 'pbkdf2-django', hash: 'pbkdf2_sha1$1200$salt123$zYsqxOZvoON2zGKLwPOmeEDtlGQ=' } },
  { label: 'argon2id v19', password: 'password', stored: { scheme: 'argon2', hash: '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4' } },
  { label: 'argon2id v19, 2 lanes', password: 'password', stored: { scheme: 'argon2', hash: '$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc' } },
  { label: 'argon2i v19', password: 'password', stored: { scheme: 'argon2', hash: '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8' } },
  { label: 'argon2i v1.0 (no v= field)', password: 'password', stored: { scheme: 'argon2', hash: '$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY' } },
  { label: 'plaintext', password: PW, stored: { scheme: 'plaintext', hash: PW } },
];

describe('legacy hash schemes: known-answer vectors', () => {
  it.each(vectors)('$label verifies the right password', async ({ password, stored }) => {
    const scheme = getScheme(stored.scheme)!;
    const params = scheme.validateParams(stored.params ?? {});
    expect(params.ok).toBe(true);
    if (params.ok) expect(scheme.shapeOk(stored.hash, params.params)).toBe(true);
    await expect(verifyLegacyHash(password, stored)).resolves.toBe(true);
  });

  it.each(vectors)('$label rejects a wrong password', async ({ password, stored }) => {
    await expect(verifyLegacyHash(password + 'x', stored)).resolves.toBe(false);
    await expect(verifyLegacyHash(password.toUpperCase() === password ? password.toLowerCase() + '!' : password.toUpperCase(), stored)).resolves.toBe(false);
  });

  it.each(vectors.filter((v) => v.stored.salt))('$label rejects a wrong or missing salt', async ({ password, stored }) => {
    await expect(verifyLegacyHash(password, { ...stored, salt: stored.salt!.slice(0, -1) + (stored.salt!.endsWith('0') ? '1' : '0') })).resolves.toBe(false);
    await expect(verifyLegacyHash(password, { ...stored, salt: null })).resolves.toBe(false);
  });
});

describe('legacy hash schemes: negative cases', () => {
  it('salt position matters', async () => {
    const before = vectors.find((v) => v.label === 'md5 salt before')!.stored;
    await expect(verifyLegacyHash(PW, { ...before, params: { salt_position: 'after' } })).resolves.toBe(false);
    await expect(verifyLegacyHash(PW, { ...before, params: { salt_position: 'none' } })).resolves.toBe(false);
  });

  it('RuoYi needs the exact login name', async () => {
    const stored: StoredLegacyHash = { scheme: 'ruoyi-md5', hash: '29c67a30398638269fe600f73a054934', salt: '111111', loginName: 'Admin' };
    await expect(verifyLegacyHash('admin123', stored)).resolves.toBe(false);
    await expect(verifyLegacyHash('admin123', { ...stored, loginName: null })).resolves.toBe(false);
  });

  it('a hash of another algorithm does not verify', async () => {
    // sha256("Passw0rd!") presented as SM3 output: same length, different algorithm.
    await expect(verifyLegacyHash(PW, { scheme: 'sm3', hash: 'e66860546f18cdbbcd86b35e18b525bffc67f772c650cedfe3ff7a0026fa1dee' })).resolves.toBe(false);
  });

  // (The last base64 character of a 32-byte tag carries 4 unused bits, so the tag is altered earlier.)
  it('argon2 with a wrong salt and a corrupted tag fails', async () => {
    await expect(
      verifyLegacyHash('password', { scheme: 'argon2', hash: '$argon2id$v=19$m=256,t=2,p=1$ZGlmZnNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4' }),
    ).resolves.toBe(false);
    await expect(
      verifyLegacyHash('password', { scheme: 'argon2', hash: '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGj/4' }),
    ).resolves.toBe(false);
  });

  it('plaintext is compared exactly (no trimming, no case folding)', async () => {
    await expect(verifyLegacyHash(PW, { scheme: 'plaintext', hash: PW + ' ' })).resolves.toBe(false);
    await expect(verifyLegacyHash(PW.toLowerCase(), { scheme: 'plaintext', hash: PW })).resolves.toBe(false);
  });

  it('an unknown scheme and invalid stored parameters throw instead of answering', async () => {
    await expect(verifyLegacyHash(PW, { scheme: 'md4', hash: '00' })).rejects.toThrow(/unknown legacy hash scheme "md4"/);
    await expect(verifyLegacyHash(PW, { scheme: 'constructor', hash: '00' })).rejects.toThrow(/unknown/);
    await expect(verifyLegacyHash(PW, { scheme: 'md5', hash: '47b7bfb65fa83ac9a71dcb0f6296bb6e', params: { salt_position: 'middle' } })).rejects.toBeInstanceOf(SchemeParamsError);
  });
});

describe('shapeOk', () => {
  const shape = (name: string, hash: string, params: Record<string, unknown> = {}) => {
    const s = getScheme(name)!;
    const p = s.validateParams(params);
    if (!p.ok) throw new Error(JSON.stringify(p.issues));
    return s.shapeOk(hash, p.params);
  };

  it.each([
    ['md5', '47b7bfb65fa83ac9a71dcb0f6296bb6', {}, 'one hex digit short'],
    ['md5', '47b7bfb65fa83ac9a71dcb0f6296bb6eg', {}, 'too long'],
    ['md5', 'z7b7bfb65fa83ac9a71dcb0f6296bb6e', {}, 'not hex'],
    ['md5', 'R7e/tl+oOsmnHcsPYpa7bg==', {}, 'base64 where hex was declared'],
    ['md5', '47b7bfb65fa83ac9a71dcb0f6296bb6e', { encoding: 'base64' }, 'hex where base64 was declared'],
    ['md5', 'R7e/tl+oOsmnHcsPYpa7bh==', { encoding: 'base64' }, 'non-canonical base64 (stray bits)'],
    ['sha1', '47b7bfb65fa83ac9a71dcb0f6296bb6e', {}, 'an md5 where sha1 was declared'],
    ['sha256', 'f4a69973e7b0bf9d160f9f60e3c3acd2494beb0d', {}, 'a sha1 where sha256 was declared'],
    ['sha512', 'e66860546f18cdbbcd86b35e18b525bffc67f772c650cedfe3ff7a0026fa1dee', {}, 'a sha256 where sha512 was declared'],
    ['bcrypt', '$2x$05$CCCCCCCCCCCCCCCCCCCCC.ATiz8rQyi0.MmuQlBz9WmtzCAY8/cvS', {}, 'the buggy $2x$ variant'],
    ['bcrypt', '$2b$05$CCCCCCCCCCCCCCCCCCCCC.ATiz8rQyi0.MmuQlBz9WmtzCAY8/cv', {}, 'truncated'],
    ['bcrypt', '$2b$31$CCCCCCCCCCCCCCCCCCCCC.ATiz8rQyi0.MmuQlBz9WmtzCAY8/cvS', {}, 'an unaffordable cost'],
    ['bcrypt', '47b7bfb65fa83ac9a71dcb0f6296bb6e', {}, 'an md5'],
    ['pbkdf2', 'aa841fec427c51e0c1bba19ee5b64a0d7f3cf0fc7c7f42a8394e5128c61ff9cb', { digest: 'sha512', iterations: 1000 }, 'a 32-byte key where sha512 implies 64'],
    ['pbkdf2-django', 'pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4', {}, 'a truncated key'],
    ['pbkdf2-django', 'pbkdf2_md5$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=', {}, 'an unknown digest'],
    ['pbkdf2-django', 'pbkdf2_sha256$0$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=', {}, 'zero iterations'],
    ['argon2', '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4', {}, '4 GiB of memory per login'],
    ['argon2', '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ', {}, 'no tag'],
    ['argon2', '$2b$05$CCCCCCCCCCCCCCCCCCCCC.ATiz8rQyi0.MmuQlBz9WmtzCAY8/cvS', {}, 'a bcrypt hash'],
    ['ruoyi-md5', '29C67A30398638269FE600F73A05493', {}, 'one digit short'],
    ['plaintext', '', {}, 'empty'],
  ])('%s rejects %s (%s)', (name, hash, params, _why) => {
    expect(shape(name, hash, params)).toBe(false);
  });

  it('hex case is presentation only', () => {
    expect(shape('md5', '47B7BFB65FA83AC9A71DCB0F6296BB6E')).toBe(true);
    expect(shape('md5', '47b7bfb65fa83ac9a71dcb0f6296bb6e', { encoding: 'HEX' })).toBe(true);
  });
});

describe('scheme registry and parameters', () => {
  it('lists every scheme the issue names', () => {
    expect([...SCHEME_NAMES].sort()).toEqual(
      ['argon2', 'bcrypt', 'md5', 'pbkdf2', 'pbkdf2-django', 'plaintext', 'ruoyi-md5', 'sha1', 'sha256', 'sha512', 'sm3'].sort(),
    );
    expect(getScheme('nope')).toBeUndefined();
    expect(getScheme('toString')).toBeUndefined();
  });

  it('fills in defaults so stored parameters are explicit', () => {
    expect(getScheme('sha256')!.validateParams({})).toEqual({
      ok: true,
      params: { salt_position: 'none', encoding: 'hex', salt_encoding: 'utf8', iterations: 1 },
    });
    expect(getScheme('pbkdf2')!.validateParams({ digest: 'sha512', iterations: 10 })).toMatchObject({ ok: true, params: { key_length: 64 } });
  });

  it('reports bad parameters with a path, in zh-CN and en', () => {
    const r = getScheme('pbkdf2')!.validateParams({ digest: 'md5', iterations: 0, colour: 'red' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path.join('.') || '(root)', i]));
    expect(Object.keys(byPath).sort()).toEqual(['(root)', 'digest', 'iterations']);
    expect(byPath.digest.en).toMatch(/sha1/);
    expect(byPath.digest.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(byPath['(root)'].en).toMatch(/colour/);
  });

  it('declares the row inputs each scheme needs', () => {
    const req = (name: string, params: Record<string, unknown> = {}) => {
      const s = getScheme(name)!;
      const p = s.validateParams(params);
      return p.ok ? s.requires(p.params) : null;
    };
    expect(req('md5')).toEqual([]);
    expect(req('md5', { salt_position: 'after' })).toEqual(['salt']);
    expect(req('ruoyi-md5')).toEqual(['loginName', 'salt']);
    expect(req('pbkdf2', { digest: 'sha1', iterations: 1 })).toEqual(['salt']);
    expect(req('bcrypt')).toEqual([]);
    expect(getScheme('plaintext')!.rehashAtImport).toBe(true);
  });
});
