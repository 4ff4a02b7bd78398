// One-time code rules on a real database, with the real Aliyun sender and a gateway that checks its
// signature: 6 digits; 5 minutes; 5 attempts; single use (also under concurrency); stored as a keyed
// hash; newest code only; one send per phone per 60 s; daily caps per phone and per client address;
// SMS pumping (many numbers from one IP, one number from many IPs) capped and audited once per
// window; concealed sends answer alike whether or not anybody receives the code; a gateway failure
// is a clear outcome (and, for a visible send, costs the person no wait).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { loadConfig } from '../../src/config/env.ts';
import type { AppContext } from '../../src/context.ts';
import { createSmsSender } from '../../src/sms/index.ts';
import { OneTimeCodes, CODE_MAX_ATTEMPTS } from '../../src/codes/service.ts';
import { startAliyunGateway, type SmsGateway } from '../helpers/sms-gateways.ts';

let t: TestDb;
let app: AppContext;
let gw: SmsGateway;
let codes: OneTimeCodes;

const LIMITS = { SMS_PHONE_DAILY_LIMIT: '3', SMS_IP_DAILY_LIMIT: '8', SMS_IP_PHONES_DAILY_LIMIT: '4', SMS_PHONE_IPS_DAILY_LIMIT: '2' };
let ipSeq = 0;
const freshIp = () => `198.51.100.${++ipSeq}`;
let phoneSeq = 0;
const freshPhone = () => `1390000${String(++phoneSeq).padStart(4, '0')}`;

async function audits(event: string) {
  await app.audit.drain(); // limit and no-recipient records are appended without waiting
  return app.db.selectFrom('audit_log').selectAll().where('event', '=', event).orderBy('seq').execute();
}

/** Lets the 60 s resend wait of every number lapse (the database clock cannot be moved). */
async function endCooldowns() {
  await sql`update code_counters set expires_at = now() where key like 'cool:%'`.execute(app.db);
}

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  gw = await startAliyunGateway();
  const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));
  app = { config: loadConfig({ NODE_ENV: 'test', ...gw.env, ...LIMITS }), db: t.db, keyring, audit: new AuditLog(t.db, keyring) };
  codes = new OneTimeCodes(app, createSmsSender(app.config.sms));
});
afterAll(async () => {
  await codes?.settled();
  await app?.audit.drain();
  await gw?.close();
  await t?.drop();
});
beforeEach(() => {
  gw.mode = 'ok';
});

const to = (phone: string) => ({ phone, personId: null, sub: null });

describe('one-time codes', () => {
  it('sends 6 digits through the signed gateway, stores only a keyed hash, accepts the code once', async () => {
    const phone = freshPhone();
    const sent = await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    expect(sent).toEqual({ status: 'sent', to: `${phone.slice(0, 3)}****${phone.slice(-4)}` });
    const code = await gw.codeFor(phone);
    expect(code).toMatch(/^\d{6}$/);
    const rows = await app.db.selectFrom('one_time_codes').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(JSON.stringify(rows)).not.toContain(phone);
    const row = rows.at(-1)!;
    const ttl = (row.expires_at.getTime() - row.created_at.getTime()) / 1000;
    expect(ttl).toBe(300);

    expect(await codes.check('register', phone, code, { consume: true })).toMatchObject({ ok: true });
    expect(await codes.check('register', phone, code, { consume: true })).toEqual({ ok: false, reason: 'expired' });
    // another purpose or subject never accepts it
    await endCooldowns();
    await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    const again = await gw.codeFor(phone, gw.messages.length - 1);
    expect(await codes.check('login', phone, again, { consume: true })).toMatchObject({ ok: false });
    expect(await codes.check('register', freshPhone(), again, { consume: true })).toMatchObject({ ok: false });
    expect(await codes.check('register', phone, again, { consume: true })).toMatchObject({ ok: true });
  });

  it('five attempts per code, then it is spent even for the right code; only the newest code counts', async () => {
    const phone = freshPhone();
    await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    const code = await gw.codeFor(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 1; i < CODE_MAX_ATTEMPTS; i++) {
      expect(await codes.check('register', phone, wrong, { consume: true })).toEqual({ ok: false, reason: 'invalid', attemptsLeft: CODE_MAX_ATTEMPTS - i });
    }
    expect(await codes.check('register', phone, wrong, { consume: true })).toEqual({ ok: false, reason: 'exhausted', attemptsLeft: 0 });
    expect(await codes.check('register', phone, code, { consume: true })).toEqual({ ok: false, reason: 'exhausted' });
    // malformed input costs no attempt and never matches
    expect(await codes.check('register', phone, '12345', { consume: true })).toEqual({ ok: false, reason: 'invalid' });

    await endCooldowns();
    await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    const first = await gw.codeFor(phone, gw.messages.length - 1);
    await endCooldowns();
    await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    const second = await gw.codeFor(phone, gw.messages.length - 1);
    if (first !== second) expect(await codes.check('register', phone, first, { consume: false })).toMatchObject({ ok: false });
    expect(await codes.check('register', phone, second, { consume: true })).toMatchObject({ ok: true });
  });

  it('expires after 5 minutes', async () => {
    const phone = freshPhone();
    await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    const code = await gw.codeFor(phone);
    await sql`update one_time_codes set expires_at = now() - interval '1 second', created_at = created_at - interval '301 seconds'`.execute(app.db);
    expect(await codes.check('register', phone, code, { consume: true })).toEqual({ ok: false, reason: 'expired' });
  });

  it('single use under concurrency: of ten parallel checks of the right code, one succeeds', async () => {
    const phone = freshPhone();
    await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    const code = await gw.codeFor(phone);
    const results = await Promise.all(Array.from({ length: 10 }, () => codes.check('register', phone, code, { consume: true })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    // check without consume leaves the code for `use`, which succeeds once
    await endCooldowns();
    await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false });
    const next = await gw.codeFor(phone, gw.messages.length - 1);
    const r = await codes.check('register', phone, next, { consume: false });
    expect(r.ok).toBe(true);
    const uses = await Promise.all([codes.use((r as { id: string }).id), codes.use((r as { id: string }).id)]);
    expect(uses.sort()).toEqual([false, true]);
  });

  it('one send per phone per 60 s, across purposes and client addresses', async () => {
    const phone = freshPhone();
    expect((await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false })).status).toBe('sent');
    const w = await codes.send({ purpose: 'login', subject: phone, to: to(phone), ip: freshIp(), conceal: true });
    expect(w.status).toBe('wait');
    expect((w as { retryAfter: number }).retryAfter).toBeGreaterThan(50);
    expect((w as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(60);
  });

  it('daily cap per phone (3 here), whatever the client address', async () => {
    const phone = freshPhone();
    for (let i = 0; i < 2; i++) {
      expect((await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: '203.0.113.1', conceal: false })).status).toBe('sent');
      await endCooldowns();
    }
    expect((await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: '203.0.113.2', conceal: false })).status).toBe('sent');
    await endCooldowns();
    expect(await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: '203.0.113.1', conceal: false })).toEqual({ status: 'limited', scope: 'phone' });
  });

  it('SMS pumping from one address: many numbers are capped (4 distinct here) and audited once', async () => {
    const ip = freshIp();
    const before = (await audits('sms.limit')).length;
    const outcomes = [];
    for (let i = 0; i < 7; i++) {
      const phone = freshPhone();
      outcomes.push((await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip, conceal: false })).status);
    }
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'limited', 'limited', 'limited']);
    await app.audit.drain();
    const records = (await audits('sms.limit')).slice(before);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'denied', ip, detail: { limit: 'ip_phones', cap: 4, purpose: 'register' } });
    expect(JSON.stringify(records[0].detail)).not.toMatch(/1390000\d{4}/); // masked
  });

  it('one number from many addresses is capped (2 distinct here); the daily cap per address too', async () => {
    const phone = freshPhone();
    expect((await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false })).status).toBe('sent');
    await endCooldowns();
    expect((await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false })).status).toBe('sent');
    await endCooldowns();
    expect(await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false })).toEqual({ status: 'limited', scope: 'phone' });
    await app.audit.drain();
    expect((await audits('sms.limit')).some((r) => (r.detail as { limit?: string }).limit === 'phone_ips')).toBe(true);

    // 8 sends per address per day (numbers cycled within the distinct cap of 4)
    const ip = freshIp();
    const phones = [freshPhone(), freshPhone(), freshPhone(), freshPhone()];
    let sent = 0;
    for (let i = 0; i < 10; i++) {
      await endCooldowns();
      const p = phones[i % 4];
      const r = await codes.send({ purpose: 'login', subject: p, to: to(p), ip, conceal: true });
      if (r.status === 'sent') sent++;
      else expect(r).toEqual({ status: 'limited', scope: 'ip' });
    }
    expect(sent).toBe(8);
  });

  it('concealed: the same answer whether or not anybody receives the code; a silent limit on the real recipient', async () => {
    await codes.settled(); // the previous test's background sends
    const known = freshPhone();
    const unknown = freshPhone();
    const sentBefore = gw.messages.length;
    const a = await codes.send({ purpose: 'login', subject: known, to: { phone: known, personId: null, sub: 'someone' }, ip: freshIp(), conceal: true });
    const b = await codes.send({ purpose: 'login', subject: unknown, to: null, ip: freshIp(), conceal: true });
    expect(a).toEqual({ status: 'sent', to: null });
    expect(b).toEqual({ status: 'sent', to: null });
    await codes.settled();
    expect(gw.messages.slice(sentBefore).map((m) => m.phone)).toEqual([known]);
    // the code row written for nobody answers like any other: wrong, then spent
    for (let i = 1; i < CODE_MAX_ATTEMPTS; i++) expect((await codes.check('login', unknown, '123456', { consume: true })).ok).toBe(false);
    expect(await codes.check('login', unknown, '123456', { consume: true })).toEqual({ ok: false, reason: 'exhausted', attemptsLeft: 0 });

    // recovery by identifier: the number's own 60 s wait applies silently
    const id = '11010519491231002X';
    const sentNow = gw.messages.length;
    const r1 = await codes.send({ purpose: 'recover', subject: id, to: { phone: known, personId: null, sub: 'someone' }, ip: freshIp(), conceal: true });
    expect(r1).toEqual({ status: 'sent', to: null });
    await codes.settled();
    expect(gw.messages.length).toBe(sentNow); // `known` got a login code seconds ago
    await app.audit.drain();
    expect((await audits('sms.send')).at(-1)).toMatchObject({ outcome: 'info', detail: { sent: false, reason: 'recipient_limited', purpose: 'recover' } });
  });

  it('gateway failures: a clear outcome, no wait after a visible failure, the breaker says unavailable to everyone for a while', async () => {
    const phone = freshPhone();
    gw.mode = 'limit';
    expect(await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false })).toEqual({ status: 'rejected', reason: 'rate' });
    gw.mode = 'ok';
    // no 60 s wait was charged for a code that never arrived
    expect((await codes.send({ purpose: 'register', subject: phone, to: to(phone), ip: freshIp(), conceal: false })).status).toBe('sent');

    const other = freshPhone();
    gw.mode = 'down';
    expect(await codes.send({ purpose: 'register', subject: other, to: to(other), ip: freshIp(), conceal: false })).toEqual({ status: 'unavailable' });
    expect(codes.available).toBe(false);
    gw.mode = 'ok';
    const third = freshPhone();
    expect(await codes.send({ purpose: 'login', subject: third, to: null, ip: freshIp(), conceal: true })).toEqual({ status: 'unavailable' });
    await app.audit.drain();
    expect((await audits('sms.send')).some((r) => r.outcome === 'failure' && (r.detail as { error?: string }).error === 'http_503')).toBe(true);
  });

  it('with no sender configured every send is unavailable', async () => {
    const off = new OneTimeCodes(app, null);
    expect(off.configured).toBe(false);
    expect(await off.send({ purpose: 'register', subject: '13700000000', to: to('13700000000'), ip: freshIp(), conceal: false })).toEqual({ status: 'unavailable' });
  });

  it('purges spent codes and lapsed counters', async () => {
    await sql`update one_time_codes set expires_at = now() - interval '2 days'`.execute(app.db);
    await sql`update code_counters set expires_at = now() - interval '1 second'`.execute(app.db);
    expect(await codes.purgeExpired()).toBeGreaterThan(0);
    expect(await app.db.selectFrom('one_time_codes').select('id').execute()).toEqual([]);
    expect(await app.db.selectFrom('code_counters').select('key').execute()).toEqual([]);
  });
});
