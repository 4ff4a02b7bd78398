// Login throttling on a real database (PGlite, or PostgreSQL when DATABASE_URL is set): thresholds,
// progressive delay, lock expiry, window reset and exact counting under concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { openDatabase } from '../../src/db/connect.ts';
import type { ThrottleConfig } from '../../src/config/env.ts';
import { LoginThrottle, progressiveDelayMs } from '../../src/interactions/throttle.ts';

const base: ThrottleConfig = { accountDelayAfter: 3, accountLockAfter: 5, ipLockAfter: 50, lockSeconds: 900, windowSeconds: 900, maxDelayMs: 4000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// unique keys per test: one database serves the whole file
const fresh = () => ({ account: crypto.randomBytes(8).toString('base64url'), ip: `10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${crypto.randomInt(256)}` });

describe('progressive delay', () => {
  it('is 250 ms doubling from accountDelayAfter failures, capped at maxDelayMs', () => {
    const c = { accountDelayAfter: 3, maxDelayMs: 4000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 50, 5000].map((f) => progressiveDelayMs(f, c))).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000, 4000]);
    expect(progressiveDelayMs(10, { accountDelayAfter: 0, maxDelayMs: 4000 })).toBe(0);
  });
});

describe('login throttle', () => {
  let t: TestDb;

  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function row(key: string) {
    const r = await sql<{ failures: number; locked_until: Date | null }>`select failures, locked_until from login_throttle where key = ${key}`.execute(t.db);
    return r.rows[0] ? { failures: Number(r.rows[0].failures), locked: r.rows[0].locked_until !== null } : undefined;
  }

  it('lets a clean key through without delay', async () => {
    const th = new LoginThrottle(t.db, base);
    expect(await th.check(fresh())).toEqual({ locked: false, delayMs: 0, retryAfterSeconds: 0, counted: false });
    expect(await th.check({ account: null, ip: '192.0.2.1' })).toEqual({ locked: false, delayMs: 0, retryAfterSeconds: 0, counted: false });
  });

  it('stores prefixed keys: acct: for the account, ip: for the address', async () => {
    const th = new LoginThrottle(t.db, base);
    const k = fresh();
    await th.recordFailure(k);
    expect(await row('acct:' + k.account)).toEqual({ failures: 1, locked: false });
    expect(await row('ip:' + k.ip)).toEqual({ failures: 1, locked: false });
  });

  it('delays progressively, then locks the account at accountLockAfter failures', async () => {
    const th = new LoginThrottle(t.db, base);
    const k = fresh();
    const delays: number[] = [];
    const lockedNow: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      delays.push((await th.check(k)).delayMs);
      lockedNow.push((await th.recordFailure(k)).lockedNow);
    }
    expect(delays).toEqual([0, 0, 0, 250, 500]);
    expect(lockedNow).toEqual([false, false, false, false, true]);
    const state = await th.check(k);
    expect(state.locked).toBe(true);
    expect(state.retryAfterSeconds).toBeGreaterThan(895);
    expect(state.retryAfterSeconds).toBeLessThanOrEqual(900);
    // the lock is the account's: the same IP with another account is not locked
    expect((await th.check({ account: 'someone-else', ip: k.ip })).locked).toBe(false);
    // and follows the account to any IP
    expect((await th.check({ account: k.account, ip: '198.51.100.7' })).locked).toBe(true);
  });

  it('reports which lock was set', async () => {
    const th = new LoginThrottle(t.db, { ...base, accountLockAfter: 2, ipLockAfter: 2 });
    const k = fresh();
    expect(await th.recordFailure(k)).toEqual({ lockedNow: false, accountLockedNow: false, ipLockedNow: false });
    expect(await th.recordFailure(k)).toEqual({ lockedNow: true, accountLockedNow: true, ipLockedNow: true });
    // already locked: further failures do not report a new lock
    expect(await th.recordFailure(k)).toEqual({ lockedNow: false, accountLockedNow: false, ipLockedNow: false });
  });

  it('locks an IP at ipLockAfter failures across many accounts', async () => {
    const th = new LoginThrottle(t.db, { ...base, ipLockAfter: 4 });
    const ip = fresh().ip;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await th.recordFailure({ account: `acct-${i}-${ip}`, ip }));
    expect(results.map((r) => r.ipLockedNow)).toEqual([false, false, false, true]);
    expect(results.some((r) => r.accountLockedNow)).toBe(false);
    expect(await th.check({ account: 'a-new-one', ip })).toMatchObject({ locked: true, delayMs: 0 });
    expect(await th.check({ account: null, ip })).toMatchObject({ locked: true });
    expect(await th.check({ account: 'a-new-one', ip: '203.0.113.9' })).toMatchObject({ locked: false });
  });

  it('counts only the IP when there is no account', async () => {
    const th = new LoginThrottle(t.db, base);
    const { ip } = fresh();
    const accounts = async () => Number((await sql<{ n: number }>`select count(*) as n from login_throttle where key like 'acct:%'`.execute(t.db)).rows[0].n);
    const before = await accounts();
    await th.recordFailure({ account: null, ip });
    await th.recordFailure({ account: null, ip });
    expect(await row('ip:' + ip)).toEqual({ failures: 2, locked: false });
    expect(await accounts()).toBe(before);
    await th.recordSuccess({ account: null, ip });
    expect(await row('ip:' + ip)).toEqual({ failures: 2, locked: false });
  });

  it('a lock expires after lockSeconds, and the key then starts afresh', async () => {
    const th = new LoginThrottle(t.db, { ...base, accountLockAfter: 3, accountDelayAfter: 2, lockSeconds: 1 });
    const k = fresh();
    for (let i = 0; i < 3; i++) await th.recordFailure(k);
    expect(await th.check(k)).toEqual({ locked: true, delayMs: 500, retryAfterSeconds: 1, counted: true });
    await sleep(1100);
    expect(await th.check(k)).toEqual({ locked: false, delayMs: 0, retryAfterSeconds: 0, counted: true });
    expect(await th.recordFailure(k)).toMatchObject({ lockedNow: false });
    expect(await row('acct:' + k.account)).toEqual({ failures: 1, locked: false });
  });

  it('failures during a lock are counted but do not extend it', async () => {
    const th = new LoginThrottle(t.db, { ...base, accountLockAfter: 2, lockSeconds: 1 });
    const k = fresh();
    await th.recordFailure(k);
    await th.recordFailure(k);
    await sleep(600);
    await th.recordFailure(k);
    expect(await row('acct:' + k.account)).toEqual({ failures: 3, locked: true });
    await sleep(600);
    expect((await th.check(k)).locked).toBe(false);
  });

  it('resets the count when the window lapses', async () => {
    const th = new LoginThrottle(t.db, { ...base, windowSeconds: 1 });
    const k = fresh();
    for (let i = 0; i < 4; i++) await th.recordFailure(k);
    expect(await th.check(k)).toEqual({ locked: false, delayMs: 500, retryAfterSeconds: 0, counted: true });
    await sleep(1100);
    expect(await th.check(k)).toEqual({ locked: false, delayMs: 0, retryAfterSeconds: 0, counted: true });
    // the fifth failure falls in a new window: count 1, no lock
    expect(await th.recordFailure(k)).toMatchObject({ lockedNow: false });
    expect(await row('acct:' + k.account)).toEqual({ failures: 1, locked: false });
  });

  it('counts 20 parallel failures exactly and locks exactly once', async () => {
    const th = new LoginThrottle(t.db, { ...base, accountLockAfter: 10, ipLockAfter: 15 });
    const k = fresh();
    const results = await Promise.all(Array.from({ length: 20 }, () => th.recordFailure(k)));
    expect(await row('acct:' + k.account)).toEqual({ failures: 20, locked: true });
    expect(await row('ip:' + k.ip)).toEqual({ failures: 20, locked: true });
    expect(results.filter((r) => r.accountLockedNow)).toHaveLength(1);
    expect(results.filter((r) => r.ipLockedNow)).toHaveLength(1);
  });

  it('counts parallel failures from several server nodes (separate pools) exactly', async () => {
    if (!t.url) return; // PGlite is one process; PostgreSQL only
    const other = await openDatabase({ databaseUrl: t.url, dataDir: t.dataDir }, { poolSize: 5 });
    try {
      const cfg = { ...base, accountLockAfter: 1000, ipLockAfter: 1000 };
      const nodes = [new LoginThrottle(t.db, cfg), new LoginThrottle(other.db, cfg)];
      const k = fresh();
      // many accounts on one IP and one account on many IPs, at the same time
      await Promise.all(Array.from({ length: 40 }, (_, i) => nodes[i % 2].recordFailure(i % 4 === 0 ? { account: k.account, ip: `192.0.2.${i}` } : { account: `a${i}-${k.account}`, ip: k.ip })));
      expect(await row('acct:' + k.account)).toEqual({ failures: 10, locked: false });
      expect(await row('ip:' + k.ip)).toEqual({ failures: 30, locked: false });
    } finally {
      await other.close();
    }
  });

  it('success clears the account counter but not the IP counter', async () => {
    const th = new LoginThrottle(t.db, base);
    const k = fresh();
    for (let i = 0; i < 4; i++) await th.recordFailure(k);
    expect((await th.check(k)).delayMs).toBe(500);
    await th.recordSuccess(k);
    expect(await row('acct:' + k.account)).toBeUndefined();
    expect(await row('ip:' + k.ip)).toEqual({ failures: 4, locked: false });
    expect(await th.check(k)).toEqual({ locked: false, delayMs: 0, retryAfterSeconds: 0, counted: false });
    // counting restarts from zero
    await th.recordFailure(k);
    expect(await row('acct:' + k.account)).toEqual({ failures: 1, locked: false });
  });

  it('success after a clean check costs no statement; after one that saw failures it clears them', async () => {
    const th = new LoginThrottle(t.db, base);
    const k = fresh();
    const clean = await th.check(k);
    expect(clean.counted).toBe(false);
    // a failure lands between this attempt's check and its success (a parallel attempt)
    await th.recordFailure(k);
    await th.recordSuccess(k, clean);
    expect(await row('acct:' + k.account)).toEqual({ failures: 1, locked: false }); // stays counted: strict side
    const seen = await th.check(k);
    expect(seen.counted).toBe(true);
    await th.recordSuccess(k, seen);
    expect(await row('acct:' + k.account)).toBeUndefined();
  });

  it('success does not lift an active lock', async () => {
    const th = new LoginThrottle(t.db, { ...base, accountLockAfter: 2 });
    const k = fresh();
    await th.recordFailure(k);
    await th.recordFailure(k);
    await th.recordSuccess(k);
    expect((await th.check(k)).locked).toBe(true);
  });

  it('counts an alias beside its account: the account lock stops, only the alias lock (or the IP lock) is reportable', async () => {
    const th = new LoginThrottle(t.db, { ...base, accountDelayAfter: 2, accountLockAfter: 3 });
    const k = fresh();
    const byId = { ...k, alias: 'id-' + k.account };
    const byPhone = { ...k, alias: 'phone-' + k.account };
    await th.recordFailure(byId);
    await th.recordFailure(byId);
    expect(await row('acct:' + byId.alias)).toEqual({ failures: 2, locked: false });
    // the delay follows the identifier typed, not the account
    expect(await th.check(byId)).toMatchObject({ locked: false, delayMs: 250, reportableRetryAfterSeconds: 0 });
    expect(await th.check(byPhone)).toMatchObject({ locked: false, delayMs: 0, reportableRetryAfterSeconds: 0 });
    await th.recordFailure(byId);
    const viaId = await th.check(byId);
    expect(viaId.locked).toBe(true);
    expect(viaId.reportableRetryAfterSeconds).toBeGreaterThan(800);
    // through another alias: locked, but nothing to report
    expect(await th.check(byPhone)).toMatchObject({ locked: true, reportableRetryAfterSeconds: 0 });
    // an administrator's unlock clears the account and the aliases it is given
    expect(await th.unlock([k.account, byId.alias])).toBe(true);
    expect(await th.check(byId)).toMatchObject({ locked: false, reportableRetryAfterSeconds: 0 });
    expect(await th.unlock([k.account])).toBe(false);
    // success clears the alias's count with the account's
    await th.recordFailure(byPhone);
    await th.recordSuccess(byPhone);
    expect(await row('acct:' + byPhone.alias)).toBeUndefined();
    expect(await row('acct:' + k.account)).toBeUndefined();
  });

  it('rejects missing keys', async () => {
    const th = new LoginThrottle(t.db, base);
    await expect(th.check({ account: null, ip: '' })).rejects.toThrow(TypeError);
    await expect(th.recordFailure({ account: '', ip: '10.0.0.1' })).rejects.toThrow(TypeError);
  });

  it('purges lapsed windows and expired locks, keeping live state', async () => {
    const short = new LoginThrottle(t.db, { ...base, windowSeconds: 1, lockSeconds: 1, accountLockAfter: 2 });
    const long = new LoginThrottle(t.db, { ...base, accountLockAfter: 2 });
    const lapsed = fresh();
    const expiredLock = fresh();
    const liveLock = fresh();
    await short.recordFailure(lapsed);
    await short.recordFailure(expiredLock);
    await short.recordFailure(expiredLock);
    await long.recordFailure(liveLock);
    await long.recordFailure(liveLock);
    await sleep(1100);
    await short.purgeExpired();
    expect(await row('acct:' + lapsed.account)).toBeUndefined();
    expect(await row('acct:' + expiredLock.account)).toBeUndefined();
    expect(await row('acct:' + liveLock.account)).toEqual({ failures: 2, locked: true });
    // the long-window throttle keeps its counting rows
    const counting = fresh();
    await long.recordFailure(counting);
    expect(await long.purgeExpired()).toBeGreaterThanOrEqual(0);
    expect(await row('acct:' + counting.account)).toEqual({ failures: 1, locked: false });
  });
});
