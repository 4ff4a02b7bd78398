// One admin operation: its route, who may call it, and the zod schemas that validate its input and
// describe its output. The API router, the OpenAPI document and the console all read the same
// list, so the document cannot drift from what is enforced.
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { Locale } from '../../i18n/messages.ts';
import type { Access, Role } from '../roles.ts';
import type { Principal } from '../auth.ts';
import type { ClientRules } from '../../clients/service.ts';
import { AppError, type ErrorKind } from '../../errors.ts';
import type { UploadedFile } from '../../http/multipart.ts';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** What a handler runs with. */
export interface OpContext {
  app: AppContext;
  provider: Provider;
  principal: Principal;
  /** how far the caller's roles reach for this operation */
  access: Access;
  locale: Locale;
  ip: string | null;
  /** what `addClient` checks against: this server's grant types and provider */
  rules(): ClientRules;
  /** what the call acted on, for its audit record; handlers fill it in */
  target: { type: string; id: string | null };
}

/** A refusal or failure with a message key (the API's `error`) and an HTTP status. */
/** The admin API's error: the one typed error, with the field-level details of invalid input. */
export class AdminError extends AppError {
  readonly details?: unknown;
  constructor(code: string, kind: ErrorKind, details?: unknown) {
    super(code, kind);
    this.details = details;
  }
}

export const notFound = () => new AdminError('admin.not_found', 'not_found');

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface OpSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType, R extends z.ZodType> {
  /** operationId: `persons.disable` */
  id: string;
  method: Method;
  /** OpenAPI path template under /admin/api/v1: `/persons/{sub}/disable` */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  roles: readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** 200 unless said */
  status?: 200 | 201 | 202;
  /**
   * The body is multipart/form-data: one file in the part `file` (at most ADMIN_UPLOAD_MAX_MB),
   * beside text fields that `body` validates. The handler gets the file on disk and moves it
   * where it keeps it; what it leaves is removed after the call.
   */
  upload?: { description: string };
  /** a CSV answer instead of JSON (the response schema then describes one row) */
  csv?: boolean;
  /** the errors this operation may answer besides 400/401/403 */
  errors?: number[];
  run(c: OpContext, input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; upload?: UploadedFile }): Promise<z.input<R> | CsvAnswer>;
}

/** A streamed CSV answer: the header row, then rows page by page. */
export interface CsvAnswer {
  csv: true;
  filename: string;
  rows: AsyncIterable<string[]>;
  header: string[];
}

export type Operation = OpSpec<AnyObject, AnyObject, z.ZodType, z.ZodType>;

/** Keeps the handler's types tied to its schemas; the list then holds erased operations. */
export function op<P extends AnyObject = z.ZodObject<{}>, Q extends AnyObject = z.ZodObject<{}>, B extends z.ZodType = z.ZodUndefined, R extends z.ZodType = z.ZodType>(
  spec: OpSpec<P, Q, B, R>,
): Operation {
  return spec as unknown as Operation;
}
