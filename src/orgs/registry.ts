// Which AppContext a provider (or an interaction page) belongs to. Feature hooks are registered
// once per process, while a process may run several servers (tests) and recreates its provider
// when signing keys rotate: onProviderCreated records each provider here.
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';

const byProvider = new WeakMap<Provider, AppContext>();
const byIssuer = new Map<string, { app: AppContext; provider: Provider }>();

export function remember(provider: Provider, app: AppContext): void {
  byProvider.set(provider, app);
  byIssuer.set(provider.issuer, { app, provider });
}

export function appOf(provider: Provider): AppContext | undefined {
  return byProvider.get(provider);
}

/** The server an interaction belongs to, found from its returnTo URL (`ISSUER/auth/UID`). */
export function serverOfReturnTo(returnTo: string): { app: AppContext; provider: Provider } | undefined {
  const i = returnTo.lastIndexOf('/auth/');
  return i > 0 ? byIssuer.get(returnTo.slice(0, i)) : undefined;
}
