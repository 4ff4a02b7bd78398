// Client registration rules, on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { client, department } from '../helpers/fixtures.ts';
import { setClientStatus, listClients, loadClientMetadata } from '../../src/clients/service.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await department(s, 'SJ', '市场监管局');
});
afterAll(() => s?.close());

describe('client registration', () => {
  it('rejects redirect URIs with fragments, other schemes or garbage', async () => {
    for (const uri of ['https://a.gov.cn/cb#frag', 'javascript:alert(1)', 'ftp://a.gov.cn/cb', 'not a url']) {
      await expect(client(s, { redirectUris: [uri] })).rejects.toMatchObject({ code: 'client.redirect_uri_invalid' });
    }
  });

  it('rejects unknown departments, grant types and a public client with client_credentials', async () => {
    await expect(client(s, { redirectUris: ['https://a.gov.cn/cb'], department: 'NOPE' })).rejects.toMatchObject({ code: 'department.unknown' });
    await expect(client(s, { redirectUris: ['https://a.gov.cn/cb'], grantTypes: ['password'] })).rejects.toMatchObject({ code: 'client.invalid' });
    await expect(client(s, { redirectUris: ['https://a.gov.cn/cb'], grantTypes: ['implicit'] })).rejects.toMatchObject({ code: 'client.invalid' });
    await expect(client(s, { redirectUris: [], public: true, grantTypes: ['client_credentials'] })).rejects.toMatchObject({ code: 'client.invalid' });
  });

  it('stores the secret sealed and marks departmental apps first-party', async () => {
    const c = await client(s, { redirectUris: ['https://sj.gov.cn/cb'], department: 'SJ' });
    const row = await s.app.db.selectFrom('clients').selectAll().where('client_id', '=', c.client_id).executeTakeFirstOrThrow();
    expect(row.secret_enc).not.toContain(c.client_secret!);
    expect(row.first_party).toBe(true);
    const meta = await loadClientMetadata(s.app, c.client_id);
    expect(meta?.client_secret).toBe(c.client_secret);
    expect((await listClients(s.app)).map((x) => x.client_id)).toContain(c.client_id);
  });

  it('a disabled client can no longer obtain tokens', async () => {
    const c = await client(s, { redirectUris: [], grantTypes: ['client_credentials'], department: 'SJ' });
    const rp = await oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    expect((await oidc.clientCredentialsGrant(rp, {})).access_token).toBeTruthy();
    await setClientStatus(s.app, c.client_id, 'disabled', 'test');
    await new Promise((r) => setTimeout(r, 5100)); // the per-node client cache
    await expect(oidc.clientCredentialsGrant(rp, {})).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it("lets a client introspect its own tokens and its department's, nobody else's", async () => {
    await department(s, 'WJ', '卫健委');
    const discover = async (c: { client_id: string; client_secret?: string }) =>
      oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const issuer = await discover(await client(s, { redirectUris: [], grantTypes: ['client_credentials'], department: 'SJ' }));
    const sameDept = await discover(await client(s, { redirectUris: [], grantTypes: ['client_credentials'], department: 'SJ' }));
    const otherDept = await discover(await client(s, { redirectUris: [], grantTypes: ['client_credentials'], department: 'WJ' }));
    const noDept = await discover(await client(s, { redirectUris: [], grantTypes: ['client_credentials'] }));
    const token = (await oidc.clientCredentialsGrant(issuer, {})).access_token;
    expect((await oidc.tokenIntrospection(issuer, token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(sameDept, token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(otherDept, token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(noDept, token)).active).toBe(false);
    await expect(oidc.tokenRevocation(otherDept, token)).rejects.toMatchObject({ error: 'invalid_request' });
    expect((await oidc.tokenIntrospection(issuer, token)).active).toBe(true);
  });
});
