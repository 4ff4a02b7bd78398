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
// - success clears the account counter, never the IP one; an administrator's unlock clears the
//   account's counters and locks at once.
//
// An alias (the identifier as typed, when it resolved to the account) is counted and locked beside
// the account. Its lock, with the IP's, is the one a login page may report, and its failures set the
// delay: what anyone sees for an identifier then depends on that identifier's own history, so
// locking a person through their ID number does not tell who tries their mobile number that the two
// belong together (or that the number has an account at all).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ThrottleConfig } from '../config/env.ts';
import * as store from './throttle-store.ts';

export interface ThrottleKeys {
  /** a blind index (or another opaque id) of the account; null when there is none to count */
  account: string | null;
  ip: string;
  /** the identifier the account was reached by (an opaque id like an account's), when it is not the account itself */
  alias?: string;
}

export interface ThrottleState {
  /** the account, the alias or the IP is locked */
  locked: boolean;
  /** from the alias's failures when there is one, else the account's */
  delayMs: number;
  retryAfterSeconds: number;
  /** with an alias: seconds until the alias's or the IP's lock ends, 0 when neither is locked */
  reportableRetryAfterSeconds?: number;
  /** the account or alias has a counter row (failures to clear after a success) */
  counted: boolean;
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
    const { account, alias, ip } = storageKeys(keys);
    const states = await store.readStates(this.#db, [account, alias, ip].filter((k) => k !== null), this.#config.windowSeconds);
    const retry = (key: string | null) => states.find((s) => s.key === key)?.retryAfterSeconds ?? 0;
    const delayKey = states.find((s) => s.key === (alias ?? account));
    const retryAfterSeconds = Math.max(0, ...states.map((s) => s.retryAfterSeconds));
    return {
      locked: retryAfterSeconds > 0,
      delayMs: delayKey ? progressiveDelayMs(delayKey.failures, this.#config) : 0,
      retryAfterSeconds,
      ...(alias ? { reportableRetryAfterSeconds: Math.max(retry(alias), retry(ip)) } : {}),
      counted: states.some((s) => s.key === account || s.key === alias),
    };
  }

  async recordFailure(keys: ThrottleKeys): Promise<FailureOutcome> {
    const { account, alias, ip } = storageKeys(keys);
    const entries: store.FailureInput[] = [];
    if (account) entries.push({ key: account, lockAfter: this.#config.accountLockAfter });
    if (alias) entries.push({ key: alias, lockAfter: this.#config.accountLockAfter });
    entries.push({ key: ip, lockAfter: this.#config.ipLockAfter });
    const results = await store.recordFailures(this.#db, entries, this.#config.windowSeconds, this.#config.lockSeconds);
    const accountLockedNow = results.some((r) => r.key === account && r.lockedNow);
    const ipLockedNow = results.some((r) => r.key === ip && r.lockedNow);
    return { lockedNow: accountLockedNow || ipLockedNow, accountLockedNow, ipLockedNow };
  }

  /**
   * Clears the account's and alias's failures. With the state `check` read before this attempt:
   * nothing to clear when it found no counter (most logins), so no statement at all. A failure
   * recorded in between by a parallel attempt then stays counted, which only errs on the strict side.
   */
  async recordSuccess(keys: ThrottleKeys, before?: ThrottleState): Promise<void> {
    if (before && !before.counted) return;
    const { account, alias } = storageKeys(keys);
    await store.clearUnlessLocked(this.#db, [account, alias].filter((k) => k !== null));
  }

  /** Clears accounts' (and aliases') failures and locks (`yitong person unlock`); true when one was locked. */
  async unlock(accounts: string[]): Promise<boolean> {
    if (accounts.some((a) => !a)) throw new TypeError('throttle: empty account');
    return store.clearKeys(this.#db, accounts.map(accountKey));
  }

  /** Deletes rows whose window has lapsed (and are not locked) or whose lock has expired. */
  async purgeExpired(): Promise<number> {
    return store.purgeExpired(this.#db, this.#config.windowSeconds);
  }
}

function storageKeys(keys: ThrottleKeys): { account: string | null; alias: string | null; ip: string } {
  if (typeof keys.ip !== 'string' || keys.ip === '') throw new TypeError('throttle: ip is required');
  if (keys.account !== null && (typeof keys.account !== 'string' || keys.account === '')) {
    throw new TypeError('throttle: account must be a non-empty string or null');
  }
  if (keys.alias !== undefined && (typeof keys.alias !== 'string' || keys.alias === '' || keys.account === null)) {
    throw new TypeError('throttle: an alias is a non-empty string beside an account');
  }
  const account = keys.account === null ? null : accountKey(keys.account);
  const alias = keys.alias === undefined || keys.alias === keys.account ? null : accountKey(keys.alias);
  const ip = ipKey(keys.ip);
  if ((account?.length ?? 0) > MAX_KEY_LENGTH || (alias?.length ?? 0) > MAX_KEY_LENGTH || ip.length > MAX_KEY_LENGTH) throw new TypeError('throttle: key too long');
  return { account, alias, ip };
}
