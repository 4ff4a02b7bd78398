// Reading an upload operation's multipart body (admin API and console alike) into the upload
// directory, DATA_DIR/uploads (owner-only), with the limits: ADMIN_UPLOAD_MAX_MB for the file,
// 96 KiB for the text fields (a profile is a few hundred bytes), eight parts. Errors are the API's.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'koa';
import type { AppContext } from '../../context.ts';
import { MultipartError, readMultipart, type Multipart } from '../../http/multipart.ts';
import { AdminError } from './op.ts';

const FIELD_BYTES = 96 * 1024;

export const uploadDir = (app: AppContext) => path.join(app.config.dataDir, 'uploads');

const PROBLEMS = {
  too_large: ['admin.upload_too_large', 'too_large'],
  unsupported: ['admin.multipart_required', 'unsupported'],
  malformed: ['admin.multipart_malformed', 'invalid_input'],
  duplicate_field: ['admin.multipart_malformed', 'invalid_input'],
  file_field: ['admin.upload_field', 'invalid_input'],
} as const;

export async function readUpload(app: AppContext, ctx: Context): Promise<Multipart> {
  const declared = Number(ctx.get('content-length') || 0);
  // refused before a byte is read: the connection closes rather than swallow the rest
  if (declared > app.config.admin.uploadMaxBytes + FIELD_BYTES + 64 * 1024) {
    ctx.set('connection', 'close');
    throw new AdminError('admin.upload_too_large', 'too_large');
  }
  try {
    return await readMultipart(ctx.req, ctx.get('content-type'), uploadDir(app), { fileBytes: app.config.admin.uploadMaxBytes, fieldBytes: FIELD_BYTES, parts: 8 });
  } catch (err) {
    if (!(err instanceof MultipartError)) throw err;
    if (err.problem === 'too_large') ctx.set('connection', 'close');
    const [code, kind] = PROBLEMS[err.problem];
    throw new AdminError(code, kind);
  }
}

/** Removes what an operation left of an upload (a file it moved is gone already). */
export const discardUpload = (m: Multipart | null | undefined) => (m?.file ? fs.rm(m.file.path, { force: true }) : Promise.resolve());
