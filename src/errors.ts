// The one typed error of the domain: a code that is also its message key (zh-CN and en in src/i18n),
// a kind that says what went wrong, and one table from kind to HTTP status. Pages, the command line,
// the admin API and import reports render it; no handler branches on code strings.
import { bilingual } from './i18n/messages.ts';
import type { MessageParams } from './i18n/format.ts';

export type ErrorKind =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'too_large'
  | 'unsupported'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  /** what exactly (a value, a path), shown after the message; never personal data in clear */
  readonly detail?: string;
  readonly params?: MessageParams;
  constructor(code: string, kind: ErrorKind = 'invalid_input', detail?: string, params?: MessageParams) {
    super(detail ? `${bilingual(code, params)} (${detail})` : bilingual(code, params));
    this.code = code;
    this.kind = kind;
    this.detail = detail;
    this.params = params;
  }

  get status(): number {
    return HTTP_STATUS[this.kind];
  }
}
