// What sending and checking a one-time code take and answer (service.ts).
import type { CodePurpose } from './tables.ts';

export interface Recipient {
  /** normalised mainland mobile, verified (or, for registration and phone change, being verified) */
  phone: string;
  personId: string | null;
  /** for the audit trail */
  sub: string | null;
}

export interface SendRequest {
  purpose: CodePurpose;
  /** what the code answers for, normalised: the phone typed, the identifier typed, a person id */
  subject: string;
  /** who receives it; null: nobody (the answer does not change when `conceal` is set) */
  to: Recipient | null;
  ip: string;
  /** the answer must not tell whether `to` exists: send in the background, limit `to` silently */
  conceal: boolean;
  clientId?: string | null;
}

export type SendOutcome =
  /** `to`: the masked number, when it may be shown (not concealed) */
  | { status: 'sent'; to: string | null }
  | { status: 'wait'; retryAfter: number }
  | { status: 'limited'; scope: 'phone' | 'ip' }
  | { status: 'unavailable' }
  /** not concealed only: the gateway refused this number (invalid) or throttled it */
  | { status: 'rejected'; reason: 'recipient' | 'rate' };

export type CheckOutcome =
  | { ok: true; id: string; personId: string | null; phoneBidx: string | null }
  | { ok: false; reason: 'invalid' | 'expired' | 'exhausted'; attemptsLeft?: number };
