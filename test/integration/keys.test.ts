import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { ensureSigningKeys, loadJwks, rotateSigningKeys, signingKeysVersion } from '../../src/oidc/keys.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { loadConfig } from '../../src/config/env.ts';
import type { AppContext } from '../../src/context.ts';

let t: TestDb;
let app: AppContext;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));
  app = { config: loadConfig({ NODE_ENV: 'test' }), db: t.db, keyring, audit: new AuditLog(t.db, keyring) };
});
afterAll(() => t?.drop());

describe('signing keys', () => {
  it('generates one ES256 + RS256 generation even when nodes start together', async () => {
    await Promise.all([ensureSigningKeys(app), ensureSigningKeys(app), ensureSigningKeys(app)]);
    const { keys } = await loadJwks(app);
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const stored = await t.db.selectFrom('signing_keys').select('jwk_enc').execute();
    for (const row of stored) expect(row.jwk_enc).not.toContain('"d"'); // sealed at rest
  });

  it('rotates: the new generation signs first, the previous stays for verification, older ones retire', async () => {
    const v1 = await signingKeysVersion(app);
    const first = await rotateSigningKeys(app, 'test');
    expect(await signingKeysVersion(app)).not.toBe(v1);
    let { keys } = await loadJwks(app);
    expect(keys).toHaveLength(4);
    expect(keys.slice(0, 2).map((k) => k.kid).sort()).toEqual([...first.added].sort());
    const second = await rotateSigningKeys(app, 'test');
    expect(second.retired).toHaveLength(2);
    ({ keys } = await loadJwks(app));
    expect(keys.map((k) => k.kid).sort()).toEqual([...first.added, ...second.added].sort());
    expect((await app.audit.verify()).ok).toBe(true);
  });
});
