import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../../src/legacy/config-issues.ts';
import { formatProfileIssues, loadProfile, parseProfile, profileColumns, type ProfileIssue } from '../../../src/legacy/profile.ts';

const EXAMPLE = path.join(import.meta.dirname, '../../fixtures/legacy/renshe-profile.json');

const minimal = () => ({
  source: { type: 'csv' },
  columns: { legacy_uid: 'yhid', name: 'xm', id_number: 'sfzh', password_hash: 'mm' },
  password: { scheme: 'md5' },
});

function issuesOf(input: unknown): ProfileIssue[] {
  const r = parseProfile(input);
  if (r.ok) throw new Error('expected the profile to be rejected');
  return r.issues;
}

const paths = (issues: ProfileIssue[]) => issues.map((i) => formatPath(i.path)).sort();

describe('import profile', () => {
  it('loads the example profile', async () => {
    const r = await loadProfile(EXAMPLE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.source).toEqual({ type: 'csv', encoding: 'auto', delimiter: ',', header: true });
    expect(r.profile.password).toEqual({ scheme: 'ruoyi-md5', params: {} });
    expect(profileColumns(r.profile).map((c) => c.column)).toContain('tyshxydm');
  });

  it('fills in defaults, including the scheme parameters', () => {
    const r = parseProfile(minimal());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile).toMatchObject({
      source: { type: 'csv', encoding: 'auto', delimiter: ',', header: true },
      password: { scheme: 'md5', params: { salt_position: 'none', encoding: 'hex', salt_encoding: 'utf8', iterations: 1 } },
      on_invalid_id: 'reject',
      on_error: 'stop',
      batch_size: 1000,
    });
  });

  it('accepts JSON Lines and SQL sources', () => {
    expect(parseProfile({ ...minimal(), source: { type: 'jsonl' } }).ok).toBe(true);
    expect(parseProfile({ ...minimal(), source: { type: 'sql', url: 'mysql://ro:pw@db.example:3306/hr', query: 'select * from sys_user' } }).ok).toBe(true);
    expect(parseProfile({ ...minimal(), source: { type: 'sql', url: 'postgres://db/hr', query: 'select 1' } }).ok).toBe(true);
  });

  it('reports each problem at its JSON path, in zh-CN and en', () => {
    const issues = issuesOf({
      source: { type: 'csv', encoding: 'big5', delimiter: ';;', header: false },
      columns: { name: 'xm', id_number: '' },
      on_error: 'ignore',
      batch_size: 0,
      colour: 'red',
    });
    expect(paths(issues)).toEqual([
      '$',
      '$.batch_size',
      '$.columns.id_number',
      '$.columns.legacy_uid',
      '$.on_error',
      '$.source.delimiter',
      '$.source.encoding',
      '$.source.header',
    ]);
    for (const i of issues) {
      expect(i.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(i.en).toMatch(/[a-z]/i);
    }
    expect(issues.find((i) => formatPath(i.path) === '$')!.en).toMatch(/colour/);
  });

  it('rejects an unknown source type and a bad SQL URL', () => {
    expect(paths(issuesOf({ ...minimal(), source: { type: 'xlsx' } }))).toEqual(['$.source.type']);
    expect(paths(issuesOf({ ...minimal(), source: { type: 'sql', url: 'http://db/hr', query: 'select 1' } }))).toEqual(['$.source.url']);
  });

  it('rejects an unknown hash scheme, naming the known ones', () => {
    const [issue, ...rest] = issuesOf({ ...minimal(), password: { scheme: 'md4' } });
    expect(rest).toEqual([]);
    expect(formatPath(issue.path)).toBe('$.password.scheme');
    expect(issue.en).toContain('"md4"');
    expect(issue.en).toContain('ruoyi-md5');
    expect(issue.zh).toContain('未知的密码算法');
  });

  it('reports scheme parameter errors under $.password.params', () => {
    const issues = issuesOf({ ...minimal(), password: { scheme: 'pbkdf2', params: { digest: 'sha256', iterations: -1, encoding: 'base32' } } });
    expect(paths(issues)).toEqual(['$.password.params.encoding', '$.password.params.iterations']);
  });

  it('checks the columns a scheme needs', () => {
    const issues = issuesOf({ ...minimal(), password: { scheme: 'ruoyi-md5' } });
    expect(paths(issues)).toEqual(['$.columns.login_name', '$.columns.salt']);
    expect(paths(issuesOf({ ...minimal(), password: { scheme: 'sm3', params: { salt_position: 'before' } } }))).toEqual(['$.columns.salt']);
  });

  it('ties the password scheme and the hash column together', () => {
    const { password: _, ...noScheme } = minimal();
    expect(paths(issuesOf(noScheme))).toEqual(['$.password']);
    expect(paths(issuesOf({ ...minimal(), columns: { legacy_uid: 'yhid', id_number: 'sfzh' } }))).toEqual(['$.columns.password_hash']);
    expect(parseProfile({ source: { type: 'jsonl' }, columns: { legacy_uid: 'id', id_number: 'sfzh' } }).ok).toBe(true);
  });

  it('refuses a profile that would reject every row for lack of an ID column', () => {
    const p = { source: { type: 'jsonl' }, columns: { legacy_uid: 'id' } };
    expect(paths(issuesOf(p))).toEqual(['$.columns.id_number']);
    expect(parseProfile({ ...p, on_invalid_id: 'import_unverified' }).ok).toBe(true);
  });

  it('explains unreadable and malformed profile files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-profile-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ "source": ');
    const r = await loadProfile(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0].en).toMatch(/not valid JSON/);
    const missing = await loadProfile(path.join(dir, 'missing.json'));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.issues[0].en).toMatch(/ENOENT/);
    fs.rmSync(dir, { recursive: true });
  });

  it('formats issues one per line with file and path', () => {
    const text = formatProfileIssues(issuesOf({ ...minimal(), batch_size: 'many' }), 'p.json');
    expect(text).toMatch(/^p\.json \$\.batch_size: .+ \/ .+$/);
  });

  it('maps a status column through status_map, at JSON paths', () => {
    const ok = parseProfile({ ...minimal(), columns: { ...minimal().columns, status: 'zt' }, status_map: { '0': 'active', '1': 'disabled' } });
    expect(ok.ok && ok.profile.status_map).toEqual({ '0': 'active', '1': 'disabled' });
    expect(paths(issuesOf({ ...minimal(), columns: { ...minimal().columns, status: 'zt' } }))).toEqual(['$.status_map']);
    expect(paths(issuesOf({ ...minimal(), status_map: { '1': 'disabled' } }))).toEqual(['$.columns.status']);
    expect(paths(issuesOf({ ...minimal(), columns: { ...minimal().columns, status: 'zt' }, status_map: { '1': 'locked' } }))).toEqual(['$.status_map["1"]']);
  });
});
