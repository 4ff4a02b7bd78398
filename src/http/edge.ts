// What the HTTP layer must make sense of before any route runs, oidc-provider's included: the host
// and protocol every URL is built from, the client address throttling and audit rely on, and the
// body's coding. A malformed value is the client's mistake (4xx), never a 500 deeper down.
import net from 'node:net';
import type { Middleware } from 'koa';
import { AppError } from '../errors.ts';

// RFC 3986 host: a registered name or a bracketed IPv6 literal, with an optional port. No userinfo.
const REG_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._~-]{0,252})$/;
const HOST_PORT = /^(?<host>\[[^\]]*\]|[^:]*)(?::(?<port>\d{1,5}))?$/;

export function isValidHost(value: string): boolean {
  const m = HOST_PORT.exec(value);
  if (!m?.groups) return false;
  const { host, port } = m.groups;
  if (port !== undefined && Number(port) > 65535) return false;
  if (host.startsWith('[')) return net.isIPv6(host.slice(1, -1));
  return REG_NAME.test(host);
}

/**
 * An address as a proxy wrote it into X-Forwarded-For: a bare IPv4 or IPv6 address, or one with a
 * port (`203.0.113.7:51234`, `[2001:db8::1]:443`), which some load balancers add. Null if neither.
 */
export function parseForwardedAddress(entry: string): string | null {
  const value = entry.trim();
  if (net.isIP(value)) return value;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed && net.isIPv6(bracketed[1])) return bracketed[1];
  const v4port = /^([\d.]+):\d{1,5}$/.exec(value);
  if (v4port && net.isIPv4(v4port[1])) return v4port[1];
  return null;
}

const first = (header: string) => header.split(',', 1)[0].trim();

/**
 * `proxyHops`: TRUST_PROXY. Koa (and oidc-provider, a koa app with the same settings) then read
 * X-Forwarded-Host/-Proto and take the client address from X-Forwarded-For (see createHttpApp).
 */
/** Methods some route here serves; any other (PROPFIND, TRACE, made-up ones) is 405, not the routers' 501. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function requestEdge(proxyHops: number): Middleware {
  return async (ctx, next) => {
    if (!METHODS.has(ctx.method)) {
      ctx.set('allow', 'GET, HEAD, POST, OPTIONS');
      throw new AppError('request.method_not_allowed', 'method_not_allowed');
    }
    // Compressed bodies are not accepted: oidc-provider would read them as garbage and the form
    // parser fails on a bad stream; unknown codings cannot be read at all (RFC 7694: 415).
    const coding = ctx.get('content-encoding').trim().toLowerCase();
    const hasBody = ctx.get('transfer-encoding') !== '' || (ctx.request.length ?? 0) > 0;
    if (coding && coding !== 'identity' && hasBody) {
      ctx.set('accept-encoding', 'identity');
      throw new AppError('request.unsupported_encoding', 'unsupported');
    }

    // Koa takes the first value of X-Forwarded-Host (when trusted) or Host; every absolute URL
    // (discovery, redirects) is built from it. An absent Host (HTTP/1.0) is left to the defaults.
    const host = (proxyHops > 0 && ctx.get('x-forwarded-host')) || ctx.get('host');
    if (host && !isValidHost(first(host))) throw new AppError('request.bad_host', 'invalid_input');

    if (proxyHops > 0) {
      const proto = ctx.get('x-forwarded-proto');
      if (proto && !['http', 'https'].includes(first(proto).toLowerCase())) throw new AppError('request.bad_forwarded', 'invalid_input');
      // koa's maxIpsCount = proxyHops: ctx.ip is the entry the outermost trusted proxy appended
      // (or the socket's address when there is no header). Anything else is not an address.
      const ip = parseForwardedAddress(ctx.ip);
      if (!ip) throw new AppError('request.bad_forwarded', 'invalid_input');
      ctx.request.ip = ip;
    }
    await next();
  };
}
