// The oidc-provider adapter on a real database: storage contract, expiry, indexes, atomic consume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { createAdapterFactory } from '../../src/oidc/adapter.ts';
import { payloadStore } from '../../src/oidc/payload-store.ts';
import { inRequestScope, requestCache } from '../../src/http/request-scope.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { loadConfig } from '../../src/config/env.ts';
import type { AppContext } from '../../src/context.ts';

let t: TestDb;
let adapter: ReturnType<typeof createAdapterFactory>;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 10 });
  const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));
  const app: AppContext = { config: loadConfig({ NODE_ENV: 'test' }), db: t.db, keyring, audit: new AuditLog(t.db, keyring) };
  adapter = createAdapterFactory(app);
});
afterAll(() => t?.drop());

describe('payload models', () => {
  it('upserts, finds, overwrites and destroys', async () => {
    const a = adapter('AccessToken');
    await a.upsert('at1', { jti: 'at1', grantId: 'g1', accountId: 'sub1', kind: 'AccessToken' }, 60);
    expect(await a.find('at1')).toMatchObject({ jti: 'at1', accountId: 'sub1' });
    await a.upsert('at1', { jti: 'at1', grantId: 'g1', accountId: 'sub2', kind: 'AccessToken' }, 60);
    expect((await a.find('at1'))?.accountId).toBe('sub2');
    expect(await adapter('RefreshToken').find('at1')).toBeUndefined(); // models are separate
    await a.destroy('at1');
    expect(await a.find('at1')).toBeUndefined();
  });

  it('hides expired rows and purges them', async () => {
    const a = adapter('AuthorizationCode');
    await a.upsert('old', { jti: 'old', kind: 'AuthorizationCode' }, 1);
    await a.upsert('new', { jti: 'new', kind: 'AuthorizationCode' }, 600);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await a.find('old')).toBeUndefined();
    expect(await a.find('new')).toBeDefined();
    expect(await payloadStore.purgeExpired(t.db)).toBeGreaterThanOrEqual(1);
    expect(await payloadStore.find(t.db, 'AuthorizationCode', 'old')).toBeUndefined();
  });

  it('finds sessions by uid and device codes by user code', async () => {
    await adapter('Session').upsert('s1', { uid: 'u-1', accountId: 'x', kind: 'Session' }, 60);
    expect((await adapter('Session').findByUid!('u-1'))?.accountId).toBe('x');
    await adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH', kind: 'DeviceCode' }, 60);
    expect(await adapter('DeviceCode').findByUserCode!('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });
  });

  it('revokes by grant id, one model at a time', async () => {
    await adapter('AccessToken').upsert('a2', { grantId: 'g2', kind: 'AccessToken' }, 60);
    await adapter('RefreshToken').upsert('r2', { grantId: 'g2', kind: 'RefreshToken' }, 60);
    await adapter('AccessToken').revokeByGrantId!('g2');
    expect(await adapter('AccessToken').find('a2')).toBeUndefined();
    expect(await adapter('RefreshToken').find('r2')).toBeDefined();
  });
});

describe('consume', () => {
  it('marks a code consumed and reports it on find', async () => {
    const a = adapter('AuthorizationCode');
    await a.upsert('c1', { grantId: 'g3', kind: 'AuthorizationCode' }, 60);
    await a.consume('c1');
    const found = await a.find('c1');
    expect(typeof found?.consumed).toBe('number');
  });

  it('lets exactly one of many parallel consumers win and revokes the grant for the others', async () => {
    const a = adapter('RefreshToken');
    await a.upsert('rt', { grantId: 'g4', kind: 'RefreshToken' }, 60);
    await adapter('AccessToken').upsert('at-of-g4', { grantId: 'g4', kind: 'AccessToken' }, 60);
    await adapter('Grant').upsert('g4', { jti: 'g4', kind: 'Grant' }, 60);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => a.consume('rt')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(11);
    for (const r of rejected) expect(r.reason).toMatchObject({ error: 'invalid_grant' });
    expect(await adapter('AccessToken').find('at-of-g4')).toBeUndefined();
    expect(await adapter('Grant').find('g4')).toBeUndefined();
  });
});

describe('clients', () => {
  it('reads nothing for an unknown client and refuses protocol writes', async () => {
    const c = adapter('Client');
    expect(await c.find('nope')).toBeUndefined();
    await expect(c.upsert('x', {}, 0)).rejects.toThrow(/yitong client/);
  });
});

describe('the per-request read cache (http/request-scope.ts)', () => {
  it('reads a token and its grant in one statement, answers the grant and the other models from it, and never outlives the request', async () => {
    await adapter('Grant').upsert('gq', { jti: 'gq', accountId: 'subq', clientId: 'c', kind: 'Grant' }, 600);
    await adapter('AccessToken').upsert('atq', { jti: 'atq', grantId: 'gq', accountId: 'subq', kind: 'AccessToken' }, 60);
    await inRequestScope(async () => {
      expect(await adapter('AccessToken').find('atq')).toMatchObject({ jti: 'atq', grantId: 'gq' });
      const cache = requestCache()!;
      expect([...cache.keys()].sort()).toEqual(['Grant:gq', 'token:atq']);
      expect(await adapter('Grant').find('gq')).toMatchObject({ jti: 'gq', accountId: 'subq' });
      // introspection tries the other models too: no row, and no further statement needed
      expect(await adapter('RefreshToken').find('atq')).toBeUndefined();
      expect(cache.size).toBe(2);
      // a write in this request (here: the grant revoked, as logout does) forgets the cache
      await payloadStore.revokeGrant(t.db, 'gq');
      expect(cache.size).toBe(0);
      expect(await adapter('Grant').find('gq')).toBeUndefined();
      expect(await adapter('AccessToken').find('atq')).toBeUndefined();
    });
    // outside any request nothing is cached
    expect(requestCache()).toBeUndefined();
  });

  it('parallel lookups of one id (introspection tries three models at once) share one read', async () => {
    await adapter('RefreshToken').upsert('rtp', { jti: 'rtp', grantId: 'gp', kind: 'RefreshToken' }, 60);
    await inRequestScope(async () => {
      const found = await Promise.all(['AccessToken', 'ClientCredentials', 'RefreshToken'].map((m) => adapter(m).find('rtp')));
      expect(found.map((f) => f?.jti)).toEqual([undefined, undefined, 'rtp']);
      // its grant gp does not exist: the same read said so, and the request remembers it
      expect([...requestCache()!.keys()]).toEqual(['token:rtp', 'Grant:gp']);
      expect(await adapter('Grant').find('gp')).toBeUndefined();
    });
  });

  it('a copy per lookup: changing what one lookup returned never changes the next', async () => {
    await adapter('ClientCredentials').upsert('ccq', { jti: 'ccq', clientId: 'c', kind: 'ClientCredentials' }, 60);
    await inRequestScope(async () => {
      const first = (await adapter('ClientCredentials').find('ccq'))!;
      first.clientId = 'changed';
      expect((await adapter('ClientCredentials').find('ccq'))!.clientId).toBe('c');
    });
  });

  it('a request sees its own writes', async () => {
    await inRequestScope(async () => {
      expect(await adapter('RefreshToken').find('rtq')).toBeUndefined();
      await adapter('RefreshToken').upsert('rtq', { jti: 'rtq', grantId: 'g', kind: 'RefreshToken' }, 60);
      expect(await adapter('RefreshToken').find('rtq')).toMatchObject({ jti: 'rtq' });
      await adapter('RefreshToken').consume('rtq');
      expect((await adapter('RefreshToken').find('rtq'))!.consumed).toBeTypeOf('number');
    });
  });
});
