// Records nobody is accountable for (a failure with neither an actor nor a client: server errors,
// token requests from unauthenticated clients) are what an anonymous flood produces. They are capped
// per event per minute per process; what the cap drops is counted in one `audit.suppressed` record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog } from '../../src/audit/service.ts';

const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));

async function counts(t: TestDb): Promise<Record<string, number>> {
  const r = await sql<{ event: string; outcome: string; n: string }>`select event, outcome, count(*) as n from audit_log group by event, outcome`.execute(t.db);
  return Object.fromEntries(r.rows.map((x) => [`${x.event} ${x.outcome}`, Number(x.n)]));
}

describe('audit rate cap for anonymous failures', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('writes at most the cap per minute, then one record with the number dropped', async () => {
    let now = Date.parse('2026-03-01T10:00:10Z');
    const audit = new AuditLog(t.db, keyring, { anonymousFailuresPerMinute: 5, now: () => now });
    const flood = () => Array.from({ length: 40 }, () => audit.append({ event: 'server.error', outcome: 'failure', detail: { error: 'server_error' } }));
    await Promise.all(flood());
    // accountable records are never capped
    await Promise.all(Array.from({ length: 8 }, (_, i) => audit.append({ event: 'token.issue', outcome: 'failure', clientId: `app-${i}`, detail: {} })));
    await Promise.all(Array.from({ length: 8 }, () => audit.append({ event: 'login.failure', outcome: 'failure', actor: 'sub-1', detail: {} })));
    // anonymous token failures have their own allowance
    await Promise.all(Array.from({ length: 7 }, () => audit.append({ event: 'token.issue', outcome: 'failure', detail: {} })));
    // the next minute starts afresh, after the previous one's drops are recorded
    now += 60_000;
    await Promise.all(flood());
    await audit.drain();
    expect(await counts(t)).toEqual({
      'server.error failure': 10,
      'token.issue failure': 8 + 5,
      'login.failure failure': 8,
      'audit.suppressed info': 3,
    });
    const suppressed = await sql<{ detail: { event: string; suppressed: number } }>`select detail from audit_log where event = 'audit.suppressed' order by seq`.execute(t.db);
    expect(suppressed.rows.map((r) => [r.detail.event, r.detail.suppressed]).sort()).toEqual([['server.error', 35], ['server.error', 35], ['token.issue', 2]]);
    expect(await audit.verify()).toEqual({ ok: true, records: 10 + 13 + 8 + 3 });
  });
});
