// Which apps hear of a logout over the back channel, and where: read by the logout outbox.
import { clientStore } from './store.ts';

/** How an app is told of a logout over the back channel (whatever its status: a disabled app is told too). */
export interface BackchannelTarget {
  clientId: string;
  uri: string;
  /** the app's ID token algorithm, which signs its logout tokens too */
  alg: string;
}

export async function backchannelTargets(db: Parameters<typeof clientStore.byIds>[0], clientIds: string[]): Promise<Map<string, BackchannelTarget>> {
  const rows = await clientStore.byIds(db, [...new Set(clientIds)]);
  const out = new Map<string, BackchannelTarget>();
  for (const r of rows) {
    const uri = r.metadata.backchannel_logout_uri;
    if (typeof uri === 'string' && uri) {
      const alg = r.metadata.id_token_signed_response_alg;
      out.set(r.client_id, { clientId: r.client_id, uri, alg: typeof alg === 'string' ? alg : 'ES256' });
    }
  }
  return out;
}
