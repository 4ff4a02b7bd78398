// A cache that lives exactly as long as one protocol request (AsyncLocalStorage): rows read once
// are not read again by the same request. Nothing survives the request, so no other request can
// ever see a stale row; writes through the payload store clear it (see oidc/payload-store.ts), so
// the request itself never reads back something older than what it wrote.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<Map<string, unknown>>();

/** Runs `fn` with a fresh, empty cache. */
export function inRequestScope<T>(fn: () => T): T {
  return scope.run(new Map(), fn);
}

/** The current request's cache, or undefined outside a request (CLI, background tasks). */
export function requestCache(): Map<string, unknown> | undefined {
  return scope.getStore();
}

/** Forgets everything the current request cached (after any write it makes). */
export function forgetRequestCache(): void {
  scope.getStore()?.clear();
}

/**
 * `read()` at most once per request under `key` (outside a request: every time). Callers pass reads
 * made outside any transaction only: a row read under a transaction's locks is never shared. Each
 * caller gets its own copy.
 */
export async function oncePerRequest<T>(key: string, read: () => Promise<T>): Promise<T> {
  const cache = scope.getStore();
  if (!cache) return read();
  let found = cache.get(key) as Promise<T> | undefined;
  if (!found) cache.set(key, (found = read()));
  try {
    return structuredClone(await found);
  } catch (err) {
    cache.clear(); // a failed read is not remembered, nor anything read with it
    throw err;
  }
}
