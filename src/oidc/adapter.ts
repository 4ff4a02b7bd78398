// oidc-provider's storage adapter over kysely. Clients come from the clients table; every other
// model lives in oidc_payloads. See panva/node-oidc-provider example/my_adapter.js for the contract.
import { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { payloadStore, TOKEN_MODELS, type StoredPayload, type TokenWithGrant } from './payload-store.ts';
import { oncePerRequest, requestCache } from '../http/request-scope.ts';
import { loadClientMetadata } from '../clients/service.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { storable, unstorableError } from './param-guard.ts';

/** A database outage becomes a protocol error (temporarily_unavailable, 503), never a 500. */
function unavailable(err: unknown): never {
  if (!isDatabaseUnavailable(err)) throw err;
  const e = new errors.OIDCProviderError(503, 'temporarily_unavailable') as InstanceType<typeof errors.OIDCProviderError> & { error_description?: string };
  e.expose = true;
  e.error_description = 'the service is temporarily unavailable, try again shortly (服务暂时不可用，请稍后重试)';
  throw e;
}

// PostgreSQL text cannot hold NUL, so no stored id contains one: answer "not found" rather than
// let the database reject the query.
const hasNul = (args: unknown[]) => args.some((a) => typeof a === 'string' && a.includes('\u0000'));

/**
 * Wraps every method of an adapter: NUL-bearing ids find nothing, a payload the database cannot
 * store is the client's invalid_request (see param-guard.ts), database outages map to `unavailable`.
 */
function guarded(adapter: Adapter): Adapter {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'upsert' && !storable(args[1])) return Promise.reject(unstorableError());
        if (hasNul(args)) return Promise.resolve(undefined);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch(unavailable);
      };
    },
  });
}

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'ClientCredentials']);

const TOKENS = new Set<string>(TOKEN_MODELS);

/**
 * A token or grant, read at most once per protocol request: the first token lookup fetches the
 * token (whatever its model) and its grant in one statement, and later or parallel lookups in the
 * same request (introspection tries three models at once) share that read. See
 * http/request-scope.ts for why that is never stale.
 */
async function findScoped(db: AppContext['db'], model: string, id: string): Promise<StoredPayload | undefined> {
  const cache = requestCache();
  if (!cache || !(TOKENS.has(model) || model === 'Grant')) return payloadStore.find(db, model, id);
  if (model === 'Grant') return oncePerRequest(`Grant:${id}`, () => payloadStore.find(db, model, id));
  const key = `token:${id}`;
  if (!cache.has(key)) {
    const found = payloadStore.findTokenWithGrant(db, id);
    cache.set(key, found);
    // the grant came with it: a Grant lookup later in this request needs no statement
    void found.then((f) => f?.grantId && cache.get(key) === found && !cache.has(`Grant:${f.grantId}`) && cache.set(`Grant:${f.grantId}`, Promise.resolve(f.grant)), () => {});
  }
  const read = (cache.get(key) as Promise<TokenWithGrant | undefined>).then((f) => (f?.model === model ? f.token : undefined));
  try {
    return structuredClone(await read);
  } catch (err) {
    cache.clear(); // a failed read is not remembered
    throw err;
  }
}

function withConsumed(row: { payload: Record<string, unknown>; consumed_at: Date | null } | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = row.payload as AdapterPayload;
  return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
}

export function createAdapterFactory(ctx: AppContext) {
  const { db } = ctx;

  class ClientAdapter implements Adapter {
    async find(id: string) {
      return (await loadClientMetadata(ctx, id)) as AdapterPayload | undefined;
    }
    async upsert(): Promise<void> {
      throw new Error('clients are managed with `yitong client`, not through the protocol');
    }
    async destroy(): Promise<void> {
      throw new Error('clients are managed with `yitong client`, not through the protocol');
    }
    async findByUid() {
      return undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume() {}
    async revokeByGrantId() {}
  }

  /** Models found by their owner when a person's or an app's sessions end. */
  const OWNED = new Set(['Session', 'Grant']);

  class PayloadAdapter implements Adapter {
    model: string;
    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      // `consumed` lives in its own column so that consumption is one atomic UPDATE.
      const { consumed: _consumed, ...rest } = payload;
      await payloadStore.upsert(db, this.model, id, rest, expiresAt, {
        grantId: GRANTABLE.has(this.model) ? (payload.grantId ?? null) : null,
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
        // whose session or grant it is: governance events end them by person or by app
        accountId: OWNED.has(this.model) ? (payload.accountId ?? null) : null,
        clientId: this.model === 'Grant' ? (payload.clientId ?? null) : null,
      });
    }

    async find(id: string) {
      return withConsumed(await findScoped(db, this.model, id));
    }

    async findByUid(uid: string) {
      return withConsumed(await payloadStore.findBy(db, this.model, 'uid', uid));
    }

    async findByUserCode(userCode: string) {
      return withConsumed(await payloadStore.findBy(db, this.model, 'user_code', userCode));
    }

    async destroy(id: string) {
      await payloadStore.destroy(db, this.model, id);
    }

    async revokeByGrantId(grantId: string) {
      await payloadStore.revokeByGrantId(db, this.model, grantId);
    }

    // oidc-provider checks `consumed` before calling this, but two parallel requests can both pass
    // that check. The conditional UPDATE lets exactly one through; the loser is treated as reuse:
    // everything the grant issued is revoked, as oidc-provider does for a sequential replay.
    async consume(id: string) {
      const { consumed, grantId } = await payloadStore.consumeOnce(db, this.model, id);
      if (consumed) return;
      if (grantId) await payloadStore.revokeGrant(db, grantId);
      throw new errors.InvalidGrant(`${this.model === 'AuthorizationCode' ? 'authorization code' : 'grant'} already consumed`);
    }
  }

  return (model: string): Adapter => guarded(model === 'Client' ? new ClientAdapter() : new PayloadAdapter(model));
}
