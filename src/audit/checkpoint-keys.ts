// The SM2 public keys this deployment has signed checkpoints with. A key derived from the master key
// changes when the master key is rotated; checkpoints signed before must still verify, so every
// signer records its public key here. An operator who keeps the keys apart passes them with
// `--public-key` instead (stronger: the database is what a checkpoint guards against).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { metaStore } from '../db/meta-store.ts';

const KEY = 'audit_checkpoint_keys';

export async function knownCheckpointKeys(db: Kysely<Database>): Promise<string[]> {
  const raw = await metaStore.get(db, KEY);
  const list: unknown = raw ? JSON.parse(raw) : [];
  return Array.isArray(list) ? list.filter((k): k is string => typeof k === 'string' && /^04[0-9a-f]{128}$/i.test(k)) : [];
}

/** Adds the key unless recorded; returns every recorded key, this one included. */
export async function rememberCheckpointKey(db: Kysely<Database>, publicKey: string): Promise<string[]> {
  const known = await knownCheckpointKeys(db);
  const key = publicKey.toLowerCase();
  if (known.includes(key)) return known;
  await metaStore.set(db, KEY, JSON.stringify([...known, key]));
  return [...known, key];
}
