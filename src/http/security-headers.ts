import crypto from 'node:crypto';
import type { Middleware } from 'koa';

// Pages carry no inline script or style. form-action allows http(s) because the login form's
// redirect chain ends at the app's registered redirect URI, and browsers apply form-action to it.
//
// script-src names only a fresh nonce that no element carries, so it allows no script. It is there
// because oidc-provider appends the sha256 of its own inline auto-submit script to an existing
// script-src (response_mode=form_post, logout of a browser without a session): that one script runs,
// nothing else does. ('none' cannot be used: a hash beside it makes browsers ignore it and complain.)
const DIRECTIVES = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self' https: http:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function contentSecurityPolicy(): string {
  return `${DIRECTIVES}; script-src 'nonce-${crypto.randomBytes(16).toString('base64')}'`;
}

export function securityHeaders(https: boolean): Middleware {
  return async (ctx, next) => {
    ctx.set('content-security-policy', contentSecurityPolicy());
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('x-frame-options', 'DENY');
    ctx.set('referrer-policy', 'no-referrer');
    ctx.set('cross-origin-opener-policy', 'same-origin');
    ctx.set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
    if (https) ctx.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
    await next();
  };
}
