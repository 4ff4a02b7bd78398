// The client address behind N trusted proxies, as createHttpApp configures koa (proxy, maxIpsCount)
// and requestEdge checks it; and the host check.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Koa from 'koa';
import { isValidHost, parseForwardedAddress, requestEdge } from '../../src/http/edge.ts';
import { AppError } from '../../src/errors.ts';

const servers: http.Server[] = [];
const urls = new Map<number, string>();

async function serve(hops: number): Promise<string> {
  const koa = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  koa.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = err instanceof AppError ? err.status : 500;
      ctx.body = err instanceof AppError ? err.code : 'boom';
    }
  });
  koa.use(requestEdge(hops));
  koa.use((ctx) => {
    ctx.body = ctx.ip;
  });
  const server = http.createServer(koa.callback());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function ip(hops: number, xff?: string): Promise<string> {
  const res = await fetch(urls.get(hops)!, { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });
  return `${res.status} ${await res.text()}`;
}

beforeAll(async () => {
  for (const hops of [0, 1, 2]) urls.set(hops, await serve(hops));
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

describe('client address', () => {
  it('without trusted proxies is the socket peer, whatever X-Forwarded-For says', async () => {
    expect(await ip(0, '203.0.113.1')).toMatch(/^200 (::ffff:)?127\.0\.0\.1$/);
  });

  it('behind one proxy is the entry it appended, the right-most', async () => {
    expect(await ip(1, '203.0.113.1')).toBe('200 203.0.113.1');
    expect(await ip(1, '10.0.0.1, 1.1.1.1, 203.0.113.1')).toBe('200 203.0.113.1');
    expect(await ip(1, 'garbage, 2001:db8::7')).toBe('200 2001:db8::7');
    expect(await ip(1, '10.0.0.1, 203.0.113.1:51234')).toBe('200 203.0.113.1');
    expect(await ip(1, '[2001:db8::7]:443')).toBe('200 2001:db8::7');
    expect(await ip(1)).toMatch(/^200 (::ffff:)?127\.0\.0\.1$/); // straight to the node (health checks)
  });

  it('behind two proxies is the second entry from the right (the outer proxy appended it, the inner one its peer)', async () => {
    expect(await ip(2, '6.6.6.6, 203.0.113.1, 10.0.0.2')).toBe('200 203.0.113.1');
    expect(await ip(2, '203.0.113.1, 10.0.0.2')).toBe('200 203.0.113.1');
  });

  it('that is not an IP address is refused with 400', async () => {
    for (const xff of ['x'.repeat(3000), '1.2.3.4, unknown', '1.2.3.4, 999.1.1.1', '1.2.3.4, 1.2.3.4:99999x']) {
      expect(await ip(1, xff), xff.slice(0, 30)).toBe('400 request.bad_forwarded');
    }
  });

  it('parses what proxies write', () => {
    expect(['1.2.3.4', ' ::1 ', '1.2.3.4:80', '[::1]:80', '[::1]', '1.2.3', '::1:80', '', 'a'].map(parseForwardedAddress)).toEqual([
      '1.2.3.4', '::1', '1.2.3.4', '::1', '::1', null, '::1:80', null, null,
    ]);
  });
});

describe('host', () => {
  it('accepts names, IPv4 and bracketed IPv6 with an optional port, nothing else', () => {
    const ok = ['localhost', 'idp.example.gov.cn', 'idp.example.gov.cn.', '127.0.0.1:3000', '[::1]:3000', '[2001:db8::1]', 'a', 'x-y_z.example:65535'];
    const bad = ['', 'a b', '[', '[::1', '[zz]', 'host:port', 'host:65536', 'user@host', 'a/b', '%', '-a', 'exa mple:80', 'é.example'];
    expect(ok.filter((h) => !isValidHost(h))).toEqual([]);
    expect(bad.filter((h) => isValidHost(h))).toEqual([]);
  });
});
