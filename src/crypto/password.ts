// argon2id with explicit OWASP parameters, behind a concurrency cap: argon2 runs on libuv's pool,
// and an unbounded burst of logins would starve every other use of it (fs, dns, zlib).
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

// libuv's pool has 4 threads by default; leave one for everything else.
let gate = new Semaphore(Math.max(1, Math.min(os.availableParallelism(), 3)));

export function setHashConcurrency(n: number): void {
  if (n > 0) gate = new Semaphore(n);
}

export function hashPassword(password: string): Promise<string> {
  // The salt drawn here, synchronously: left to the package, it is one more trip through libuv's
  // pool, which makes a hash measurably slower than a verify of the same cost.
  return gate.run(() => argon2.hash(password, { ...ARGON2_PARAMS, salt: randomBytes(16) }));
}

export function verifyArgon2(hash: string, password: string): Promise<boolean> {
  return gate.run(() => argon2.verify(hash, password).catch(() => false));
}

export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, ARGON2_PARAMS);
}

// A real hash of a random password: unknown users and locked accounts verify against it, so their
// responses take as long as a wrong password does.
let dummy: Promise<string> | undefined;
export async function burnVerify(password: string): Promise<false> {
  dummy ??= argon2.hash(crypto.randomUUID(), ARGON2_PARAMS);
  await verifyArgon2(await dummy, password);
  return false;
}

/** Password policy (MLPS: complexity). Returns an error code, or null when acceptable. */
export function passwordPolicyError(password: string): string | null {
  if (password.length < 8) return 'password.too_short';
  if (password.length > 128) return 'password.too_long';
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes < 3) return 'password.too_simple';
  return null;
}
