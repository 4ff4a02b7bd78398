// Admin API helpers: automation clients with an admin role and their client_credentials tokens,
// a person's console sign-in (its access token is the console's session cookie), and calls.
import { expect } from 'vitest';
import { addClient } from '../../src/clients/service.ts';
import { grantClientRole } from '../../src/admin/service.ts';
import type { Role } from '../../src/admin/roles.ts';
import { idCheckChar } from '../../src/identity/id-number.ts';
import { HttpUser, formAction, formFields } from './http-user.ts';
import { PASSWORD } from './fixtures.ts';
import type { TestServer } from './server.ts';

/** A valid resident ID number from 17 digits. */
export const idNumber = (first17: string) => first17 + idCheckChar(first17);

export async function automationClient(s: TestServer, role: Role | null, department: string | null = null) {
  const c = await addClient(s.app, { name: `automation ${role ?? 'none'}`, redirectUris: [], grantTypes: ['client_credentials'], department }, 'test', s.clientRules());
  if (role) await grantClientRole(s.app, c.client_id, role, 'test');
  return { clientId: c.client_id, secret: c.client_secret! };
}

export async function ccToken(s: TestServer, c: { clientId: string; secret: string }): Promise<string> {
  const res = await fetch(`${s.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

/** Signs a person in to the console over HTTP; returns the user (with the console cookie) and the final response. */
export async function consoleSignIn(s: TestServer, id: string, user = new HttpUser()) {
  const first = await user.follow(`${s.issuer}/admin`);
  let res = first.res;
  let url = first.url;
  if (url.includes('/interaction/')) {
    const html = await res.text();
    const done = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: id, password: PASSWORD });
    res = done.res;
    url = done.url;
  }
  return { user, res, url, token: user.jar.get('yt_admin') };
}

export interface ApiAnswer {
  status: number;
  body: any;
  headers: Headers;
}

export async function api(s: TestServer, token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const res = await fetch(`${s.issuer}/admin/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof FormData ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A multipart import request: the file, its department and a profile (JSON text) or an earlier job's. */
export function importForm(department: string, csv: string | Buffer, profile: unknown, extra: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.set('department', department);
  if (profile !== undefined) f.set('profile', typeof profile === 'string' ? profile : JSON.stringify(profile));
  for (const [k, v] of Object.entries(extra)) f.set(k, v);
  f.set('file', new Blob([csv], { type: 'text/csv' }), 'users.csv');
  return f;
}

/** The legacy profile of the fixtures (RuoYi md5 hashes, UTF-8 or GBK CSV). */
export const IMPORT_PROFILE = {
  source: { type: 'csv', encoding: 'auto' },
  columns: { legacy_uid: 'yhid', login_name: 'dlm', name: 'xm', id_number: 'sfzh', password_hash: 'mm', salt: 'salt' },
  password: { scheme: 'ruoyi-md5', params: {} },
  on_invalid_id: 'reject',
  on_error: 'skip',
  batch_size: 2,
};

/** A CSV for IMPORT_PROFILE: one row per [uid, name, ID number]. */
export const importCsv = (rows: [string, string, string][]) =>
  ['yhid,dlm,xm,sfzh,mm,salt', ...rows.map(([uid, name, id]) => `${uid},${uid},${name},${id},0123456789abcdef0123456789abcdef,s${uid}`)].join('\n') + '\n';
