// What a job reads, as recorded with it: a file with its fingerprint (resume refuses a changed
// file), or an SQL source whose URL is kept sealed and shown without its password.
import path from 'node:path';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { ImportFailed } from '../errors.ts';
import { locate } from '../messages.ts';
import type { ImportProfile } from '../profile.ts';
import { redactUrl, sealSourceUrl } from '../secrets.ts';
import { fingerprintFile, type FileFingerprint } from './fingerprint.ts';

/** The profile as stored with the job: an SQL source's password is not kept in clear. */
export function storedProfile(profile: ImportProfile): Record<string, unknown> {
  if (profile.source.type !== 'sql') return profile as unknown as Record<string, unknown>;
  return { ...profile, source: { ...profile.source, url: redactUrl(profile.source.url) } };
}

export interface SourceRecord {
  /** the file's absolute path, or the SQL source's URL without its password */
  source: string;
  file?: string;
  fingerprint: FileFingerprint | null;
  /** the SQL source's URL, sealed */
  secret: string | null;
  kind: string;
}

export async function describeSource(app: AppContext, input: { profile: ImportProfile; file?: string }): Promise<SourceRecord> {
  const src = input.profile.source;
  if (src.type === 'sql') {
    if (input.file) throw new AppError('import.file_not_allowed');
    return { source: redactUrl(src.url), fingerprint: null, secret: sealSourceUrl(app.keyring, src.url), kind: 'sql' };
  }
  if (!input.file) throw new AppError('import.file_required');
  const file = path.resolve(input.file);
  let fingerprint: FileFingerprint;
  try {
    fingerprint = await fingerprintFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = locate({ file });
    throw new ImportFailed('file.unreadable', null, { zh: `${where.zh}：无法读取文件（${e.code ?? e.message}）`, en: `${where.en}: cannot read the file (${e.code ?? e.message})` });
  }
  return { source: file, file, fingerprint, secret: null, kind: src.type };
}
