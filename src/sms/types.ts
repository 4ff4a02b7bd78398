// What the one-time code service needs from an SMS gateway: send one code to one mainland mobile.

/**
 * - `recipient`: the number cannot receive it (invalid, unsupported, blacklisted by the gateway)
 * - `rate`: the gateway's own frequency control for that number refused it
 * - `gateway`: the gateway is unreachable, slow, refused our credentials or configuration, or
 *   answered something we do not understand: nobody gets a code until it is fixed
 */
export type SmsFailureKind = 'recipient' | 'rate' | 'gateway';

export type SmsResult = { ok: true; messageId: string | null } | { ok: false; kind: SmsFailureKind; code: string; message: string };

export interface SmsSender {
  /** `log`, `aliyun`, `tencent` */
  readonly name: string;
  /** `phone`: normalised mainland mobile (11 digits); `code`: 6 digits. Never throws. */
  send(phone: string, code: string): Promise<SmsResult>;
}

/** A failed result from an exception (network error, timeout, unreadable answer). */
export function gatewayFailure(err: unknown): SmsResult {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { ok: false, kind: 'gateway', code: 'timeout', message: 'the SMS gateway did not answer in time' };
  return { ok: false, kind: 'gateway', code: e?.cause?.code ?? 'network', message: String(e?.message ?? err).slice(0, 200) };
}
