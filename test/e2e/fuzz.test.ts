// A bounded, seeded fuzz over loopback (issue 8): random methods, paths from discovery and the
// app's routes, malformed parameters, headers, codings and bodies, some carrying a real browser's
// cookies and CSRF token. The bar: no 5xx and no connection dropped without an answer. FUZZ_SEED
// and FUZZ_REQUESTS widen it by hand (e.g. FUZZ_REQUESTS=5000).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fuzz, prepareFuzz, type FuzzContext } from '../helpers/fuzz.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20260801);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1500);

let s: TestServer;
let ctx: FuzzContext;

beforeAll(async () => {
  // one trusted proxy, so that forwarded headers are read (and can be malformed); lockouts high
  // enough that the fuzz does not lock the person its pages sign in
  s = await startTestServer({ TRUST_PROXY: '1', LOGIN_LOCK_AFTER: '100000', LOGIN_IP_LOCK_AFTER: '100000', LOGIN_DELAY_AFTER: '100000' });
  ctx = await prepareFuzz(s);
});

afterAll(async () => {
  await s?.close();
});

describe('fuzzed requests', () => {
  it(`${REQUESTS} requests (seed ${SEED}): every one answered, none with a 5xx`, async () => {
    const result = await fuzz(ctx, { seed: SEED, requests: REQUESTS });
    expect(result.sent).toBe(REQUESTS);
    expect(result.failures, JSON.stringify(result.byStatus)).toEqual([]);
    // and nothing was recorded as a server error
    await s.app.audit.drain();
    const errors = await sql<{ n: string }>`select count(*) as n from audit_log where event = 'server.error'`.execute(s.app.db);
    expect(Number(errors.rows[0].n)).toBe(0);
  });
});
