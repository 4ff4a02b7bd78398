// The composition root: a server runs exactly the features it is given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { orgsFeature } from '../../src/orgs/feature.ts';
import { legacyFeature } from '../../src/legacy/feature.ts';
import { accountFeature } from '../../src/account/feature.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

async function discovery(s: TestServer) {
  return (await (await fetch(`${s.url}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
}

describe('a server without the orgs feature', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({}, [legacyFeature]);
  });
  afterAll(() => s?.close());

  it('has no token exchange, no /orgs pages, and refuses to register a client for token exchange', async () => {
    expect((await discovery(s)).grant_types_supported).not.toContain(TOKEN_EXCHANGE);
    expect((await fetch(`${s.url}/orgs`, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(`${s.url}/account`, { redirect: 'manual' })).status).toBe(404);
    expect(s.clientRules().grantTypes).not.toContain(TOKEN_EXCHANGE);
  });
});

describe('a server with the orgs feature', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({}, [orgsFeature]);
  });
  afterAll(() => s?.close());

  it('serves token exchange and the /orgs pages', async () => {
    expect((await discovery(s)).grant_types_supported).toContain(TOKEN_EXCHANGE);
    const r = await fetch(`${s.url}/orgs`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/selfservice/login?next=%2Forgs');
    expect((await fetch(`${s.url}/account`, { redirect: 'manual' })).status).toBe(404); // no account feature
    expect(s.clientRules().grantTypes).toContain(TOKEN_EXCHANGE);
  });
});

describe('a server with the account feature', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({}, [accountFeature]);
  });
  afterAll(() => s?.close());

  it('serves /account through the shared self-service sign-in', async () => {
    const r = await fetch(`${s.url}/account/sessions`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/selfservice/login?next=%2Faccount%2Fsessions');
    expect((await fetch(`${s.url}/orgs`, { redirect: 'manual' })).status).toBe(404);
  });
});
