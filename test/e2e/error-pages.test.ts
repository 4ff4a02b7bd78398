// Protocol errors that cannot go back to the app are explained to the person: what happened and what
// to do next (zh-CN, en on switch), naming the app when it is known; the protocol code and
// oidc-provider's English description stay in small print.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser } from '../helpers/http-user.ts';
import { client, department } from '../helpers/fixtures.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';

let s: TestServer;
let clientId: string;

beforeAll(async () => {
  s = await startTestServer();
  await department(s);
  clientId = (await client(s, { name: '公安网办', department: 'GA', redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://ga.example.gov.cn/bye'] })).client_id;
});

afterAll(async () => {
  await s?.close();
});

async function authUrl(params: Record<string, string>) {
  const u = new URL(`${s.issuer}/auth`);
  u.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return u.toString();
}

/** The parts of the error page: the explanation, the next step, the small print. */
async function errorPage(url: string) {
  const res = await new HttpUser().request(url);
  const html = await res.text();
  return {
    status: res.status,
    lang: html.match(/<html lang="([^"]+)"/)?.[1],
    message: html.match(/<p class="error" role="alert">([^<]*)<\/p>/)?.[1],
    next: html.match(/<p class="next">([^<]*)<\/p>/)?.[1]?.replaceAll('&#8220;', '“').replaceAll('&#8221;', '”'),
    smallPrint: html.match(/<small>([\s\S]*?)<\/small>/)?.[1]?.replaceAll('&#39;', "'") ?? '',
  };
}

describe('protocol error pages', () => {
  it('an unregistered redirect_uri: explained in zh-CN, the app named, the English detail in small print', async () => {
    const p = await errorPage(await authUrl({ redirect_uri: 'https://evil.example.com/cb' }));
    expect(p.status).toBe(400);
    expect(p.lang).toBe('zh-CN');
    expect(p.message).toBe('应用发来的回调地址与其登记的地址不一致。为保护您的信息，登录没有继续。');
    expect(p.next).toBe('请返回“公安网办”或联系该应用的提供方。');
    expect(p.smallPrint).toContain('<code>invalid_redirect_uri</code>');
    expect(p.smallPrint).toContain("redirect_uri did not match any of the client's registered redirect_uris");
    expect(p.message).not.toMatch(/[a-z]{4,}/);
  });

  it('switches to English', async () => {
    const p = await errorPage(`${await authUrl({ redirect_uri: 'https://evil.example.com/cb' })}&lang=en`);
    expect(p.lang).toBe('en');
    expect(p.message).toContain('return address that differs from the one it registered');
    expect(p.next).toBe('Go back to “公安网办” or contact its provider.');
    expect(p.smallPrint).toContain('invalid_redirect_uri');
  });

  it('an unknown app: no name to give, the general next step', async () => {
    const p = await errorPage(await authUrl({ client_id: 'yt_nobody' }));
    expect(p.message).toBe('发起请求的应用没有在统一身份认证平台登记，或已停用。');
    expect(p.next).toBe('请返回应用或联系应用提供方。');
    expect(p.smallPrint).toContain('invalid_client');
  });

  it('a malformed request: the request class', async () => {
    const p = await errorPage(`${s.issuer}/auth?response_type=code`);
    expect(p.status).toBe(400);
    expect(p.message).toBe('应用发来的请求不完整或无效，无法继续。');
    expect(p.next).toBe('请返回应用或联系应用提供方。');
    expect(p.smallPrint).toContain('invalid_request');
    expect(p.smallPrint).toContain('client_id');
  });

  it('a logout request with an unregistered post_logout_redirect_uri names the app', async () => {
    const p = await errorPage(`${s.issuer}/session/end?client_id=${clientId}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example.com/')}`);
    expect(p.status).toBe(400);
    expect(p.message).toBe('应用发来的请求不完整或无效，无法继续。');
    expect(p.next).toBe('请返回“公安网办”或联系该应用的提供方。');
    expect(p.smallPrint).toContain('post_logout_redirect_uri');
  });

  it('a sign-in that cannot be resumed (expired, other browser): start again at the app', async () => {
    const p = await errorPage(`${s.issuer}/auth/${'u'.repeat(21)}`);
    expect(p.status).toBe(400);
    expect(p.message).toBe('本次登录已过期，或已在其他窗口完成。');
    expect(p.next).toBe('请返回应用重新登录。');
  });
});
