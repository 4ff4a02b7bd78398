// The one kind of page that runs a script: passkeys need the browser's WebAuthn API. Such a page
// gets the site's policy with `script-src 'self'` instead of the nonce no element carries, and the
// script is a static file (/assets/mfa-passkey.js); nothing inline. Every other page keeps the
// site-wide policy (src/http/security-headers.ts), which allows no script at all.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'koa';

export const PASSKEY_SCRIPT_PATH = '/assets/mfa-passkey.js';
export const passkeyScript = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'mfa-passkey.js'));

const POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self' https: http:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "script-src 'self'",
].join('; ');

export function allowPasskeyScript(ctx: Context): void {
  ctx.set('content-security-policy', POLICY);
}
