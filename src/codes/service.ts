// One-time codes by SMS: 6 digits, live 5 minutes, 5 attempts, single use, stored as an HMAC (keyed
// by the master key, bound to the row, purpose and subject) and compared in constant time.
//
// Sending is limited before anything is sent:
// - one send per phone (or per identifier typed) per 60 s;
// - per 24 h: sends to one phone, sends from one client address, distinct phones one address sends
//   to (SMS pumping: many numbers from one IP) and distinct addresses sending to one phone (one
//   number from many IPs). The first refusal of each window is audited (`sms.limit`), every one
//   counted in yitong_sms_limited_total.
//
// Concealment (SMS login, recovery): the caller resolves who should get the code, perhaps nobody (no
// account, phone not verified), and the answer must be the same either way. So the visible limits
// are keyed by what was typed and the client address only; limits on the real recipient, when it
// differs (recovery by ID number), refuse silently; a code row is written either way (one that
// nobody receives is checked like any other and never matches an account); and the SMS goes out
// in the background, so the answer does not wait for the gateway.
//
// A gateway failure that is not about one number (unreachable, timeout, 5xx, credentials) opens a
// breaker on this node for 30 s: every SMS form then says the service is unavailable, to everyone
// alike, instead of "sent" while nothing arrives.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { SmsSender } from '../sms/index.ts';
import { safeEqual } from '../crypto/keyring.ts';
import { parseMobile } from '../identity/contact.ts';
import { maskPhone } from '../identity/mask.ts';
import { maskIdentifier } from '../interactions/authenticate.ts';
import { logger } from '../log.ts';
import { codeStore } from './store.ts';
import type { CodePurpose } from './tables.ts';
import { smsLimited, smsSends } from './metrics.ts';
import type { CheckOutcome, SendOutcome, SendRequest } from './types.ts';

export type { CheckOutcome, Recipient, SendOutcome, SendRequest } from './types.ts';

export type { CodePurpose } from './tables.ts';

export const CODE_TTL_SECONDS = 300;
export const CODE_MAX_ATTEMPTS = 5;
export const RESEND_SECONDS = 60;
const DAY_SECONDS = 86_400;
const BREAKER_MS = 30_000;

export const CODE_FORMAT = /^\d{6}$/;

type LimitName = 'phone_daily' | 'ip_daily' | 'ip_phones' | 'phone_ips';

export class OneTimeCodes {
  readonly #app: AppContext;
  readonly #sender: SmsSender | null;
  #downUntil = 0;
  readonly #inflight = new Set<Promise<void>>();

  constructor(app: AppContext, sender: SmsSender | null) {
    this.#app = app;
    this.#sender = sender;
  }

  /** SMS is configured and the gateway is not known to be down. */
  get available(): boolean {
    return this.#sender !== null && Date.now() >= this.#downUntil;
  }

  get configured(): boolean {
    return this.#sender !== null;
  }

  /** The blind index a phone has in persons.phone_bidx and in code rows. */
  phoneIndex(phone: string): string {
    return this.#app.keyring.blindIndex('phone', phone);
  }

  #rowSubject(purpose: CodePurpose, subject: string): string {
    return this.#app.keyring.blindIndex('otp-subject', `${purpose}\n${subject}`);
  }

  /** Counter key of what was typed: the phone's index (shared by every purpose), else per purpose. */
  #subjectKey(purpose: CodePurpose, subject: string): string {
    const phone = parseMobile(subject);
    return phone.ok && phone.value === subject ? `p:${this.phoneIndex(subject)}` : `s:${this.#rowSubject(purpose, subject)}`;
  }

  #hash(id: string, purpose: CodePurpose, rowSubject: string, code: string): string {
    return this.#app.keyring.blindIndex('otp-code', `${id}\n${purpose}\n${rowSubject}\n${code}`);
  }

  /** Appends an audit record without waiting for it (it is written with the next group commit). */
  #audit(e: Parameters<AppContext['audit']['append']>[0]): void {
    this.#app.audit.append(e).catch((err: Error) => logger.warn({ err: err.message, event: e.event }, 'audit record not written'));
  }

  async #limit(name: LimitName, count: number, cap: number, req: SendRequest, silent: boolean): Promise<void> {
    smsLimited.inc({ limit: name });
    // audited once per window (the first refusal), so a pumping run cannot flood the audit trail
    if (count === cap + 1) {
      this.#audit({
        event: 'sms.limit',
        outcome: 'denied',
        clientId: req.clientId ?? null,
        ip: req.ip,
        detail: { limit: name, cap, purpose: req.purpose, subject: maskIdentifier(req.subject), silent },
      });
    }
  }

  /** Daily caps keyed by `key` (a phone or what was typed) and the client address. */
  async #caps(req: SendRequest, key: string, silent: boolean): Promise<SendOutcome | null> {
    const db = this.#app.db;
    const caps = this.#app.config.codeLimits;
    if (!silent) {
      const ip = await codeStore.bump(db, `day:ip:${req.ip}`, DAY_SECONDS);
      if (ip.count > caps.ipDaily) {
        await this.#limit('ip_daily', ip.count, caps.ipDaily, req, silent);
        return { status: 'limited', scope: 'ip' };
      }
    }
    const pairKey = `pair:${req.ip}:${key}`;
    const pair = await codeStore.bump(db, pairKey, DAY_SECONDS);
    if (pair.count === 1) {
      if (!silent) {
        const dests = await codeStore.bump(db, `day:ip-dests:${req.ip}`, DAY_SECONDS);
        if (dests.count > caps.ipPhonesDaily) {
          await codeStore.unbump(db, pairKey); // still a new pair next time, refused again
          await this.#limit('ip_phones', dests.count, caps.ipPhonesDaily, req, silent);
          return { status: 'limited', scope: 'ip' };
        }
      }
      const ips = await codeStore.bump(db, `day:dest-ips:${key}`, DAY_SECONDS);
      if (ips.count > caps.phoneIpsDaily) {
        await codeStore.unbump(db, pairKey);
        await this.#limit('phone_ips', ips.count, caps.phoneIpsDaily, req, silent);
        return { status: 'limited', scope: 'phone' };
      }
    }
    const dest = await codeStore.bump(db, `day:dest:${key}`, DAY_SECONDS);
    if (dest.count > caps.phoneDaily) {
      await this.#limit('phone_daily', dest.count, caps.phoneDaily, req, silent);
      return { status: 'limited', scope: 'phone' };
    }
    return null;
  }

  async send(req: SendRequest): Promise<SendOutcome> {
    const app = this.#app;
    const db = app.db;
    if (!this.available) return { status: 'unavailable' };
    const subjectKey = this.#subjectKey(req.purpose, req.subject);
    const cooldownKey = `cool:${subjectKey}`;
    const cool = await codeStore.bump(db, cooldownKey, RESEND_SECONDS);
    if (cool.count > 1) {
      smsLimited.inc({ limit: 'resend' });
      return { status: 'wait', retryAfter: Math.max(1, Math.ceil(cool.ttl)) };
    }
    const visible = await this.#caps(req, subjectKey, false);
    if (visible) return visible;

    // The real recipient, when it is not what was typed (recovery by ID number): limited too, but
    // silently. A concealed request for nobody does the same counting on a key of its own, so that
    // both take the same statements.
    let deliver = req.to !== null;
    const toKey = req.to ? `p:${this.phoneIndex(req.to.phone)}` : req.conceal && subjectKey.startsWith('s:') ? `n:${subjectKey}` : null;
    if (toKey && toKey !== subjectKey) {
      const toCool = await codeStore.bump(db, `cool:${toKey}`, RESEND_SECONDS);
      const blocked = toCool.count > 1 || (await this.#caps(req, toKey, true)) !== null;
      if (blocked) deliver = false;
    }
    if (!req.conceal && !deliver) throw new Error('codes: a code that is not concealed needs a recipient');

    const id = crypto.randomUUID();
    const code = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
    const rowSubject = this.#rowSubject(req.purpose, req.subject);
    await codeStore.insert(
      db,
      {
        id,
        purpose: req.purpose,
        subject: rowSubject,
        person_id: deliver ? (req.to!.personId ?? null) : null,
        phone_bidx: deliver ? this.phoneIndex(req.to!.phone) : null,
        code_hash: this.#hash(id, req.purpose, rowSubject, code),
      },
      CODE_TTL_SECONDS,
    );

    if (!deliver) {
      smsSends.inc({ provider: this.#sender!.name, purpose: req.purpose, outcome: 'nobody' });
      // not awaited: the answer must not wait for anything the answer for a real recipient does not
      this.#audit({
        event: 'sms.send',
        outcome: 'info',
        clientId: req.clientId ?? null,
        ip: req.ip,
        detail: { purpose: req.purpose, subject: maskIdentifier(req.subject), sent: false, reason: req.to ? 'recipient_limited' : 'no_recipient' },
      });
      return { status: 'sent', to: null };
    }

    if (req.conceal) {
      const p = this.#dispatch(req, code).then(() => undefined);
      this.#inflight.add(p);
      void p.finally(() => this.#inflight.delete(p));
      return { status: 'sent', to: null };
    }
    const result = await this.#dispatch(req, code);
    if (result === 'sent') return { status: 'sent', to: maskPhone(req.to!.phone) };
    // Nothing reached the person: the code is void and the 60 s wait would only be in the way.
    await codeStore.delete(db, id);
    await codeStore.unbump(db, cooldownKey);
    return result === 'gateway' ? { status: 'unavailable' } : { status: 'rejected', reason: result };
  }

  async #dispatch(req: SendRequest, code: string): Promise<'sent' | 'recipient' | 'rate' | 'gateway'> {
    const sender = this.#sender!;
    const to = req.to!;
    const started = Date.now();
    const r = await sender.send(to.phone, code).catch((err: Error) => ({ ok: false as const, kind: 'gateway' as const, code: 'exception', message: err.message }));
    const outcome = r.ok ? 'sent' : r.kind;
    smsSends.inc({ provider: sender.name, purpose: req.purpose, outcome });
    if (!r.ok && r.kind === 'gateway') {
      this.#downUntil = Date.now() + BREAKER_MS;
      logger.error({ provider: sender.name, code: r.code, message: r.message }, 'SMS gateway failure: SMS forms say the service is unavailable for 30 s');
    }
    this.#audit({
      event: 'sms.send',
      outcome: r.ok ? 'success' : 'failure',
      actor: to.sub,
      clientId: req.clientId ?? null,
      ip: req.ip,
      detail: { purpose: req.purpose, to: maskPhone(to.phone), provider: sender.name, ms: Date.now() - started, ...(r.ok ? {} : { kind: r.kind, error: r.code }) },
    });
    return outcome;
  }

  /**
   * Checks a code: one attempt is counted whatever the result (the format is the caller's field
   * check). With `consume`, a right code is also used up; without, call `use` once the action it
   * authorises succeeds (a registration refused by the real-name check keeps its code).
   */
  async check(purpose: CodePurpose, subject: string, code: string, opts: { consume: boolean }): Promise<CheckOutcome> {
    const db = this.#app.db;
    if (!CODE_FORMAT.test(code)) return { ok: false, reason: 'invalid' };
    const rowSubject = this.#rowSubject(purpose, subject);
    const row = await codeStore.claimAttempt(db, purpose, rowSubject, CODE_MAX_ATTEMPTS);
    if (!row) {
      const newest = await codeStore.newest(db, purpose, rowSubject);
      return { ok: false, reason: newest?.live ? 'exhausted' : 'expired' };
    }
    if (!safeEqual(row.code_hash, this.#hash(row.id, purpose, rowSubject, code))) {
      const left = CODE_MAX_ATTEMPTS - row.attempts;
      return { ok: false, reason: left > 0 ? 'invalid' : 'exhausted', attemptsLeft: left };
    }
    if (opts.consume && !(await codeStore.use(db, row.id))) return { ok: false, reason: 'expired' };
    return { ok: true, id: row.id, personId: row.person_id, phoneBidx: row.phone_bidx };
  }

  /** Uses up a code that `check` accepted; false when someone else used it first. */
  use(id: string): Promise<boolean> {
    return codeStore.use(this.#app.db, id);
  }

  /**
   * Adds one to a fixed-window counter kept beside the send limits (e.g. registrations per client
   * address per hour) and returns the count in the current window.
   */
  async bumpCounter(key: string, windowSeconds: number): Promise<number> {
    return (await codeStore.bump(this.#app.db, `x:${key}`, windowSeconds)).count;
  }

  purgeExpired(): Promise<number> {
    return codeStore.purgeExpired(this.#app.db);
  }

  /** Resolves when the background sends under way have finished (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }
}
