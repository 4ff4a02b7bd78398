// The audit hash chain, as pure functions: canonical JSON of a record and its keyed MAC.
// hash(n) = HMAC(audit key, hash(n-1) + '\n' + canonical(record n)); each chain starts at GENESIS_HASH.
import type { Keyring } from '../crypto/keyring.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields a record's MAC covers (everything but prev_hash, which is chained in, and hash). */
export interface ChainedFields {
  seq: number;
  at: Date;
  actor: string | null;
  event: string;
  outcome: string;
  client_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  /** the MAC key's id; 'legacy' (records written before key ids) keeps the old payload, without it */
  key_id?: string;
  /** the record's chain and the seq it links to there; records from before chains (prev_seq null) keep the payload without them */
  chain?: number;
  prev_seq?: number | null;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, recursively) and no whitespace. Values are
 * expected to be plain JSON already (see toPlainJson); undefined inside objects is skipped as
 * JSON.stringify would.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v === undefined ? null : v)).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    parts.push(JSON.stringify(k) + ':' + canonicalJson(obj[k]));
  }
  return '{' + parts.join(',') + '}';
}

/** The seq a record links to in its chain: prev_seq, or seq - 1 on records from before chains (one gapless chain). */
export function linkedSeq(r: { seq: number; prev_seq: number | null }): number {
  return r.prev_seq ?? r.seq - 1;
}

/** Of several chain heads, the one with the highest seq: the newest record over all chains. */
export function newestHead<H extends { seq: number }>(heads: readonly H[]): H {
  return heads.reduce((a, b) => (b.seq > a.seq ? b : a));
}

export function recordPayload(r: ChainedFields): string {
  const keyId = r.key_id === undefined || r.key_id === 'legacy' ? undefined : r.key_id;
  // covered, a record cannot be copied into another chain or re-linked without breaking its MAC
  const linked = typeof r.prev_seq === 'number' ? { chain: r.chain ?? 1, prev_seq: r.prev_seq } : {};
  return canonicalJson({
    ...linked,
    key_id: keyId,
    seq: r.seq,
    at: r.at.toISOString(),
    actor: r.actor,
    event: r.event,
    outcome: r.outcome,
    client_id: r.client_id,
    ip: r.ip,
    detail: r.detail,
  });
}

export function chainHash(keyring: Keyring, prevHash: string, r: ChainedFields): string {
  return keyring.auditMac(prevHash + '\n' + recordPayload(r), r.key_id);
}
