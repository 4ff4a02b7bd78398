// E-mail change: a 6-digit code goes to the new address (valid EMAIL_CODE_SECONDS, 5 tries, one
// send a minute); the address changes, verified, when the code comes back. The owner proves
// themselves when asking for the code (see confirm.ts).
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { parseEmail } from '../identity/contact.ts';
import { maskEmail } from '../identity/mask.ts';
import { safeEqual } from '../crypto/keyring.ts';
import { personStore } from '../accounts/store.ts';
import { AAD } from '../accounts/person.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import type { SignedIn } from '../selfservice/portal.ts';
import { logger } from '../log.ts';
import { format } from '../i18n/format.ts';
import { confirmOwner } from './confirm.ts';
import { emailChangeStore } from './store.ts';
import type { FieldErrors } from './password.ts';

const PENDING_AAD = 'account_email_changes.email';
const MAX_TRIES = 5;
const RESEND_SECONDS = 60;

const codeHash = (app: AppContext, personId: string, email: string, code: string) => app.keyring.blindIndex('email-code', `${personId}\n${email}\n${code}`);

const MAIL = {
  subject: '一通 · 邮箱验证码 / Yitong e-mail verification code',
  text:
    '您正在将此邮箱设为一通统一身份认证账号的邮箱。验证码：{code}（{minutes} 分钟内有效）。如非本人操作，请忽略本邮件。\n\n' +
    'You are making this address the e-mail of a Yitong account. Code: {code} (valid for {minutes} minutes). If this was not you, ignore this message.\n',
};

/** The address a code went to and is still waiting for, masked; or null. */
export async function pendingEmail(app: AppContext, s: SignedIn): Promise<string | null> {
  const row = await emailChangeStore.pending(app.db, s.person.id);
  return row ? maskEmail(app.keyring.open(row.email_enc, PENDING_AAD)) : null;
}

export async function sendEmailCode(
  app: AppContext,
  throttle: LoginThrottle,
  mailer: Mailer | null,
  s: SignedIn,
  input: { email: string; password: string },
  ip: string,
): Promise<{ ok: true; to: string } | { ok: false; errors: FieldErrors }> {
  if (!mailer) return { ok: false, errors: { email: 'account.email.unavailable' } };
  const parsed = parseEmail(input.email);
  if (!parsed.ok) return { ok: false, errors: { email: input.email ? parsed.error : 'account.email.missing' } };
  const email = parsed.value;
  if (email === s.person.email && s.person.emailVerified) return { ok: false, errors: { email: 'account.email.same' } };
  const refused = await confirmOwner(app, throttle, s, input.password, ip);
  if (refused) return { ok: false, errors: { current_password: refused } };

  const code = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
  const waited = await app.db.transaction().execute(async (trx) => {
    const existing = await emailChangeStore.forUpdate(trx, s.person.id);
    if (existing && existing.age_seconds < RESEND_SECONDS) return false;
    await emailChangeStore.put(trx, {
      person_id: s.person.id,
      email_enc: app.keyring.seal(email, PENDING_AAD),
      code_hash: codeHash(app, s.person.id, email, code),
      ttlSeconds: app.config.account.emailCodeSeconds,
    });
    return true;
  });
  if (!waited) return { ok: false, errors: { email: 'account.email.wait' } };

  const minutes = Math.round(app.config.account.emailCodeSeconds / 60);
  try {
    await mailer.send({ to: email, subject: MAIL.subject, text: format(MAIL.text, { code, minutes }) });
  } catch (err) {
    logger.warn({ err: (err as Error).message, to: maskEmail(email) }, 'e-mail verification code not sent');
    await emailChangeStore.remove(app.db, s.person.id);
    await app.audit.append({ event: 'email.change.code', outcome: 'failure', actor: s.person.sub, ip, detail: { email: maskEmail(email), reason: 'send_failed' } });
    return { ok: false, errors: { email: 'account.email.send_failed' } };
  }
  await app.audit.append({ event: 'email.change.code', outcome: 'success', actor: s.person.sub, ip, detail: { email: maskEmail(email) } });
  return { ok: true, to: maskEmail(email) };
}

export async function confirmEmailCode(app: AppContext, s: SignedIn, code: string, ip: string): Promise<{ ok: true; email: string } | { ok: false; errors: FieldErrors }> {
  const typed = code.normalize('NFKC').replace(/\s+/g, '');
  if (!/^\d{6}$/.test(typed)) return { ok: false, errors: { email_code: typed ? 'account.email.code_format' : 'account.email.code_missing' } };
  const result = await app.db.transaction().execute(async (trx) => {
    const row = await emailChangeStore.forUpdate(trx, s.person.id);
    if (!row || !row.live || row.attempts >= MAX_TRIES) {
      if (row) await emailChangeStore.remove(trx, s.person.id);
      return { ok: false, error: 'account.email.code_expired' } as const;
    }
    const email = app.keyring.open(row.email_enc, PENDING_AAD);
    if (!safeEqual(row.code_hash, codeHash(app, s.person.id, email, typed))) {
      await emailChangeStore.countAttempt(trx, s.person.id);
      return { ok: false, error: row.attempts + 1 >= MAX_TRIES ? ('account.email.code_expired' as const) : ('account.email.code_wrong' as const) } as const;
    }
    await personStore.update(trx, s.person.id, {
      email_enc: app.keyring.seal(email, AAD.email),
      email_bidx: app.keyring.blindIndex('email', email),
      email_verified: true,
    });
    await emailChangeStore.remove(trx, s.person.id);
    await app.audit.append({ event: 'email.change', outcome: 'success', actor: s.person.sub, ip, detail: { email: maskEmail(email) } }, trx);
    return { ok: true, email } as const;
  });
  if (!result.ok) {
    await app.audit.append({ event: 'email.change', outcome: 'failure', actor: s.person.sub, ip, detail: { reason: result.error } });
    return { ok: false, errors: { email_code: result.error } };
  }
  return { ok: true, email: maskEmail(result.email) };
}
