// Running one admin operation for a caller, from the API or the console: the role check (403,
// audited), input validation (400 with the zod issues), the handler, output shaping through the
// response schema (fields the schema does not name never leave), and one audit record per call.
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { Locale } from '../../i18n/messages.ts';
import { AppError } from '../../errors.ts';
import type { ClientRules } from '../../clients/service.ts';
import { isDatabaseUnavailable, isUniqueViolation } from '../../db/errors.ts';
import { accessFor } from '../roles.ts';
import type { Principal } from '../auth.ts';
import type { UploadedFile } from '../../http/multipart.ts';
import { AdminError, type CsvAnswer, type Operation, type OpContext } from './op.ts';

export interface Call {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** an upload operation's file (multipart part `file`) */
  upload?: UploadedFile;
}

export interface CallMeta {
  locale: Locale;
  ip: string | null;
  via: 'api' | 'console';
  /** the request's path, for the audit record */
  path: string;
  rules(): ClientRules;
}

export type Outcome = { status: number; body: unknown } | { status: 200; csv: CsvAnswer };

const EMPTY = z.strictObject({});

export function issues(err: z.ZodError) {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new AdminError('admin.invalid_request', 'invalid_input', issues(r.error).map((i) => ({ ...i, path: i.path ? `${where}.${i.path}` : where })));
  return r.data;
}

/** Audits a call that never reached an operation (no token, a bad one, an unknown route). */
export async function auditRefusal(app: AppContext, e: { actor?: string | null; clientId?: string | null; ip: string | null; detail: Record<string, unknown> }) {
  await app.audit.append({ event: 'admin.api', outcome: 'denied', actor: e.actor ?? null, clientId: e.clientId ?? null, ip: e.ip, detail: e.detail });
}

export async function invoke(app: AppContext, provider: Provider, principal: Principal, op: Operation, call: Call, meta: CallMeta): Promise<Outcome> {
  const c: OpContext = { app, provider, principal, access: { all: false, departments: [] }, locale: meta.locale, ip: meta.ip, target: { type: op.tag, id: null }, rules: meta.rules };
  let status = 500;
  let error: string | undefined;
  try {
    const access = accessFor(principal.grants, op.roles);
    if (!access) throw new AdminError('admin.forbidden', 'forbidden');
    c.access = access;
    const input = {
      params: parse(op.params ?? EMPTY, call.params, 'params'),
      query: parse(op.query ?? EMPTY, call.query, 'query'),
      body: parse(op.body ?? EMPTY.optional(), call.body, 'body'),
      upload: call.upload,
    };
    if (op.upload && !call.upload) throw new AdminError('admin.upload_missing', 'invalid_input');
    const result = await op.run(c, input as never);
    status = op.status ?? 200;
    if (result && typeof result === 'object' && 'csv' in result && result.csv === true) return { status: 200, csv: result as CsvAnswer };
    return { status, body: op.response.parse(result) };
  } catch (err) {
    const e = toAdminError(err);
    status = e.status;
    error = e.code;
    throw e;
  } finally {
    const outcome = status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure';
    await app.audit.append({
      event: 'admin.api',
      outcome,
      actor: principal.actor,
      clientId: principal.clientId,
      ip: meta.ip,
      detail: {
        operation: op.id,
        method: op.method.toUpperCase(),
        path: meta.path.slice(0, 300),
        via: meta.via,
        status,
        target: c.target,
        roles: principal.grants.map((g) => (g.department ? `${g.role}:${g.department}` : g.role)),
        ...(error ? { error } : {}),
      },
    });
  }
}

/** Domain errors keep their code and status; anything unexpected is a 500 (logged by the caller). */
export function toAdminError(err: unknown): AdminError {
  if (err instanceof AdminError) return err;
  if (err instanceof AppError) return new AdminError(err.code, err.status >= 400 && err.status < 500 ? err.kind : 'invalid_input', err.detail ? [{ path: '', message: err.detail }] : undefined);
  if (isDatabaseUnavailable(err) || isDatabaseUnavailable((err as { cause?: unknown })?.cause)) return new AdminError('admin.unavailable', 'unavailable');
  if (isUniqueViolation(err)) return new AdminError('admin.conflict', 'conflict');
  return Object.assign(new AdminError('admin.server_error', 'internal'), { cause: err });
}
