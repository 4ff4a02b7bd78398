// A map-backed oidc-provider adapter for the benchmark's in-memory ceiling, written against the
// public adapter contract (find, findByUid, findByUserCode, upsert, consume, destroy,
// revokeByGrantId) rather than imported from the library's internals. Unbounded (the bench is
// bounded in count) with lazy expiry, so nothing a run still needs is ever evicted.
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

export function createMapAdapter(): (model: string) => Adapter {
  const entries = new Map<string, Entry>();
  const sessionsByUid = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grants = new Map<string, Set<string>>(); // grantId -> keys of its tokens

  const live = (key: string): AdapterPayload | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return e.payload;
  };

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
        if (model === 'Session' && payload.uid) sessionsByUid.set(payload.uid, id);
        if (payload.userCode) userCodes.set(payload.userCode, id);
        if (payload.grantId && model !== 'Grant' && model !== 'Session' && model !== 'Interaction') {
          let members = grants.get(payload.grantId);
          if (!members) grants.set(payload.grantId, (members = new Set()));
          members.add(key(id));
        }
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        const id = sessionsByUid.get(uid);
        return id === undefined ? undefined : live(key(id));
      },
      async findByUserCode(userCode) {
        const id = userCodes.get(userCode);
        return id === undefined ? undefined : live(key(id));
      },
      async consume(id) {
        const p = live(key(id));
        if (p) p.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        const p = live(key(id));
        entries.delete(key(id));
        if (p?.uid) sessionsByUid.delete(p.uid);
        if (p?.userCode) userCodes.delete(p.userCode);
        if (p?.grantId) grants.get(p.grantId)?.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const k of grants.get(grantId) ?? []) entries.delete(k);
        grants.delete(grantId);
      },
    };
  };
}
