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
