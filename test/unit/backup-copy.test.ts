// What a restore checks in the copy before putting it in place: its last migration and the master
// keys it is under. A copy taken while a key rotation was unfinished (its data under both keys, the
// backup's MAC under the new one) names the reseal's target too, so its restore is not refused.
import { describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { backupStore } from '../../src/backup/store.ts';

async function copyWith(meta: Record<string, string>): Promise<PGlite> {
  const lite = await PGlite.create();
  await lite.exec(`create table yitong_migration (name text primary key); create table meta (key text primary key, value text not null);
    insert into yitong_migration values ('0015_audit_partitions'), ('0016_audit_actor_index');`);
  for (const [key, value] of Object.entries(meta)) await lite.query('insert into meta (key, value) values ($1, $2)', [key, value]);
  return lite;
}

describe('backupStore.describeCopy', () => {
  it('names the last migration and the data key', async () => {
    const lite = await copyWith({ master_key_fingerprint: 'aaaa' });
    expect(await backupStore.describeCopy(lite)).toEqual({ migration: '0016_audit_actor_index', fingerprints: ['aaaa'] });
    await lite.close();
  });

  it('adds the target key of an unfinished reseal', async () => {
    const reseal = { from: { suite: 'intl', fingerprint: 'aaaa' }, to: { suite: 'intl', fingerprint: 'bbbb' }, done: [], cursor: null, started: '2026-12-01T00:00:00Z' };
    const lite = await copyWith({ master_key_fingerprint: 'aaaa', crypto_reseal: JSON.stringify(reseal) });
    expect((await backupStore.describeCopy(lite)).fingerprints).toEqual(['aaaa', 'bbbb']);
    await lite.close();
  });
});
