// Brute-force protection for password login: per-account and per-IP failure counting with a
// progressive delay and a temporary lockout. State lives in login_throttle (shared by every node);
// all counting happens in SQL on the database clock (see throttle-store.ts).
//
// Policy (thresholds from ThrottleConfig):
// - failures are counted per key in a fixed window of windowSeconds from the first failure;
// - the account key locks for lockSeconds at accountLockAfter failures, the IP key at ipLockAfter;
//   a threshold of 0 disables that lock;
// - from accountDelayAfter failures on, each attempt on the account waits
//   min(maxDelayMs, 250 ms * 2^(failures - accountDelayAfter)); 0 disables the delay;
// - a lock runs its course: failures during it are counted but do not extend it, success does not
//   clear it; once it expires the key starts afresh;
// - success clears the account counter, never the IP one.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ThrottleConfig } from '../config/env.ts';
import * as store from './throttle-store.ts';

export interface ThrottleKeys {
  /** a blind index (or another opaque id) of the account; null when there is none to count */
  account: string | null;
  ip: string;
}

export interface ThrottleState {
  locked: boolean;
  delayMs: number;
  retryAfterSeconds: number;
}

export interface FailureOutcome {
  /** this failure set a lock (on the account or on the IP) */
  lockedNow: boolean;
  accountLockedNow: boolean;
  ipLockedNow: boolean;
}

export const BASE_DELAY_MS = 250;
const MAX_KEY_LENGTH = 512;

export function accountKey(account: string): string {
  return 'acct:' + account;
}

export function ipKey(ip: string): string {
  return 'ip:' + ip;
}

/** The progressive delay for a number of failures in the window (pure, for tests and docs). */
export function progressiveDelayMs(failures: number, config: Pick<ThrottleConfig, 'accountDelayAfter' | 'maxDelayMs'>): number {
  if (config.accountDelayAfter <= 0 || failures < config.accountDelayAfter) return 0;
  const exponent = Math.min(failures - config.accountDelayAfter, 30);
  return Math.min(config.maxDelayMs, BASE_DELAY_MS * 2 ** exponent);
}

export class LoginThrottle {
  readonly #db: Kysely<Database>;
  readonly #config: ThrottleConfig;

  constructor(db: Kysely<Database>, config: ThrottleConfig) {
    this.#db = db;
    this.#config = config;
  }

  async check(keys: ThrottleKeys): Promise<ThrottleState> {
    const { account, ip } = storageKeys(keys);
    const states = await store.readStates(this.#db, account ? [account, ip] : [ip], this.#config.windowSeconds);
    const acct = states.find((s) => s.key === account);
    const retryAfterSeconds = Math.max(0, ...states.map((s) => s.retryAfterSeconds));
    return {
      locked: retryAfterSeconds > 0,
      delayMs: acct ? progressiveDelayMs(acct.failures, this.#config) : 0,
      retryAfterSeconds,
    };
  }

  async recordFailure(keys: ThrottleKeys): Promise<FailureOutcome> {
    const { account, ip } = storageKeys(keys);
    const entries: store.FailureInput[] = [];
    if (account) entries.push({ key: account, lockAfter: this.#config.accountLockAfter });
    entries.push({ key: ip, lockAfter: this.#config.ipLockAfter });
    const results = await store.recordFailures(this.#db, entries, this.#config.windowSeconds, this.#config.lockSeconds);
    const accountLockedNow = results.some((r) => r.key === account && r.lockedNow);
    const ipLockedNow = results.some((r) => r.key === ip && r.lockedNow);
    return { lockedNow: accountLockedNow || ipLockedNow, accountLockedNow, ipLockedNow };
  }

  async recordSuccess(keys: ThrottleKeys): Promise<void> {
    const { account } = storageKeys(keys);
    if (account) await store.clearUnlessLocked(this.#db, account);
  }

  /** Deletes rows whose window has lapsed (and are not locked) or whose lock has expired. */
  async purgeExpired(): Promise<number> {
    return store.purgeExpired(this.#db, this.#config.windowSeconds);
  }
}

function storageKeys(keys: ThrottleKeys): { account: string | null; ip: string } {
  if (typeof keys.ip !== 'string' || keys.ip === '') throw new TypeError('throttle: ip is required');
  if (keys.account !== null && (typeof keys.account !== 'string' || keys.account === '')) {
    throw new TypeError('throttle: account must be a non-empty string or null');
  }
  const account = keys.account === null ? null : accountKey(keys.account);
  const ip = ipKey(keys.ip);
  if ((account?.length ?? 0) > MAX_KEY_LENGTH || ip.length > MAX_KEY_LENGTH) throw new TypeError('throttle: key too long');
  return { account, ip };
}
