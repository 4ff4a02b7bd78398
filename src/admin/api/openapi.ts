// The OpenAPI 3.1 document of the admin API, generated from the operations' own zod schemas
// (z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 uses it): what is documented is what is
// validated. Schemas named with .meta({ id }) become components.
import { z } from 'zod';
import { ROLES } from '../roles.ts';
import { ErrorBody } from './schemas.ts';
import type { Operation } from './op.ts';

type Json = Record<string, unknown>;

export const API_BASE = '/admin/api/v1';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input (malformed JSON, unknown fields, invalid identifiers, bad values)',
  401: 'No valid bearer token',
  403: 'The caller’s roles do not allow this (audited)',
  404: 'No such resource, or one outside the caller’s department',
  409: 'Conflict: a stale version, or a state that does not allow this',
  413: 'Request body over 64 KiB (an upload: file over ADMIN_UPLOAD_MAX_MB)',
  415: 'Request body is not application/json (an upload: not multipart/form-data)',
  422: 'The import cannot start: its file cannot be read as the profile says',
};

/** JSON Schema of one zod schema, its named parts moved to `components` (refs rewritten). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out.$schema;
  const defs = out.$defs as Json | undefined;
  delete out.$defs;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') {
      const o: Json = {};
      for (const [k, x] of Object.entries(v)) o[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : rewrite(x);
      return o;
    }
    return v;
  };
  for (const [name, def] of Object.entries(defs ?? {})) components[name] ??= rewrite(def);
  // a schema that is itself named: refer to it
  const id = (schema.meta() as { id?: string } | undefined)?.id;
  if (id) {
    components[id] ??= rewrite(out);
    return { $ref: `#/components/schemas/${id}` };
  }
  return rewrite(out) as Json;
}

function parameters(op: Operation, components: Json): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [['path', op.params], ['query', op.query]] as const) {
    if (!schema) continue;
    const s = jsonSchema(schema, 'input', components) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      const { description, ...rest } = prop;
      out.push({ name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: rest, ...(description ? { description } : {}) });
    }
  }
  out.push({ $ref: '#/components/parameters/lang' });
  return out;
}

export function openApiDocument(issuer: string, ops: Operation[]): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  for (const op of ops) {
    const responses: Json = {};
    const ok = String(op.status ?? 200);
    responses[ok] = op.csv
      ? { description: 'CSV, one record per row; columns as in the row schema', content: { 'text/csv': { schema: { type: 'string' } } } }
      : { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.response, 'output', components) } } };
    const errors = [400, 401, 403, ...(op.errors ?? []), ...(op.body ? [413, 415] : [])];
    for (const status of [...new Set(errors)].sort()) responses[String(status)] = { $ref: `#/components/responses/E${status}` };
    const operation: Json = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      description: `${op.description ? `${op.description}\n\n` : ''}Roles: ${op.roles.join(', ')}.`,
      'x-yitong-roles': [...op.roles],
      parameters: parameters(op, components),
      responses,
    };
    if (op.upload && op.body) {
      const fields = jsonSchema(op.body, 'input', components) as { properties?: Json; required?: string[] };
      operation.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              ...fields,
              properties: { ...fields.properties, file: { type: 'string', contentMediaType: 'application/octet-stream', description: op.upload.description } },
              required: [...(fields.required ?? []), 'file'],
            },
          },
        },
      };
    } else if (op.body) {
      operation.requestBody = {
        required: !op.body.safeParse(undefined).success,
        content: { 'application/json': { schema: jsonSchema(op.body, 'input', components) } },
      };
    }
    (paths[op.path] ??= {})[op.method] = operation;
  }
  const errorRef = jsonSchema(ErrorBody, 'output', components);
  const errorResponses = Object.fromEntries(Object.entries(ERROR_TEXT).map(([s, d]) => [`E${s}`, { description: d, content: { 'application/json': { schema: errorRef } } }]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Yitong admin API (一通管理接口)',
      version: '1',
      description:
        'Administration of Yitong. Bearer tokens are Yitong’s own: an access token of the admin console’s sign-in (a person holding an admin role, ' +
        'acr at least ADMIN_MIN_ACR), or a client_credentials token of a client registered with `yitong client add --grant-type client_credentials ' +
        '--admin-role ROLE`. Roles: ' + ROLES.join(', ') + ' (三员分立). Errors are {error, message} with message in zh-CN or en (?lang= or Accept-Language). ' +
        'Lists take limit and cursor and answer {items, next_cursor}. Every call is audited.',
    },
    servers: [{ url: `${issuer}${API_BASE}` }],
    security: [{ bearer: [] }],
    tags: [...new Set(ops.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an access token issued by this Yitong' } },
      parameters: {
        lang: { name: 'lang', in: 'query', required: false, description: 'language of error messages (default: Accept-Language, else zh-CN)', schema: { type: 'string', enum: ['zh-CN', 'en'] } },
      },
      responses: errorResponses,
      schemas: components,
    },
  };
}
