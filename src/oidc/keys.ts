// Signing keys: generated on first start, sealed with the master key, published in JWKS. Rotation
// adds a new generation (ES256 + RS256) that signs from then on; the previous generation stays
// published for verification, older ones are retired.
import crypto from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { AppContext } from '../context.ts';
import { keysStore } from './keys-store.ts';

const ALGS = [
  { alg: 'ES256', gen: () => generateKeyPair('ES256', { extractable: true }) },
  { alg: 'RS256', gen: () => generateKeyPair('RS256', { extractable: true, modulusLength: 2048 }) },
] as const;
const AAD = 'signing_keys.jwk';
const KEEP_GENERATIONS = 2;

async function newGeneration(ctx: AppContext, trx: Parameters<typeof keysStore.insert>[0]) {
  const createdAt = new Date();
  const kids: string[] = [];
  for (const { alg, gen } of ALGS) {
    const { privateKey } = await gen();
    const jwk = await exportJWK(privateKey);
    const kid = `${alg.toLowerCase()}-${createdAt.toISOString().slice(0, 10)}-${crypto.randomBytes(4).toString('hex')}`;
    await keysStore.insert(trx, kid, alg, ctx.keyring.seal(JSON.stringify({ ...jwk, kid, alg, use: 'sig' }), AAD), createdAt);
    kids.push(kid);
  }
  return kids;
}

export async function ensureSigningKeys(ctx: AppContext): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await keysStore.lock(trx);
    if ((await keysStore.active(trx)).length === 0) {
      const kids = await newGeneration(ctx, trx);
      await ctx.audit.append({ event: 'keys.generate', outcome: 'success', actor: 'system', detail: { kids } }, trx);
    }
  });
}

export async function rotateSigningKeys(ctx: AppContext, actor: string): Promise<{ added: string[]; retired: string[] }> {
  return ctx.db.transaction().execute(async (trx) => {
    await keysStore.lock(trx);
    const added = await newGeneration(ctx, trx);
    const active = await keysStore.active(trx);
    const generations = [...new Set(active.map((k) => k.created_at.getTime()))].sort((a, b) => b - a);
    const keep = new Set(generations.slice(0, KEEP_GENERATIONS));
    const retired = active.filter((k) => !keep.has(k.created_at.getTime())).map((k) => k.kid);
    await keysStore.retire(trx, retired);
    await ctx.audit.append({ event: 'keys.rotate', outcome: 'success', actor, detail: { added, retired } }, trx);
    return { added, retired };
  });
}

/** Private JWKS for oidc-provider, newest first: it signs with the first key of each algorithm. */
export async function loadJwks(ctx: AppContext): Promise<{ keys: JWK[] }> {
  const rows = await keysStore.active(ctx.db);
  return { keys: rows.map((r) => JSON.parse(ctx.keyring.open(r.jwk_enc, AAD)) as JWK) };
}

/** The signing keys as administrators see them (no key material). */
export async function listSigningKeys(ctx: AppContext) {
  return (await keysStore.all(ctx.db)).map((k) => ({ kid: k.kid, alg: k.alg, created_at: new Date(k.created_at).toISOString(), retired_at: k.retired_at ? new Date(k.retired_at).toISOString() : null }));
}

export const signingKeysVersion = (ctx: AppContext) => keysStore.version(ctx.db);
