// Outgoing e-mail, pluggable: an SMTP server (configured from the environment, see config/env.ts),
// or, outside production without one, the log (the recipient masked, the text in full, so a
// developer can read the code). Production without SMTP has no mailer: features that need one say
// so to the person instead of pretending to send.
import nodemailer from 'nodemailer';
import type { Config, SmtpConfig } from '../config/env.ts';
import { maskEmail } from '../identity/mask.ts';
import { logger } from '../log.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** `smtp` or `log` */
  kind: string;
  /** resolves once the server has accepted the message; rejects when it does not */
  send(message: MailMessage): Promise<void>;
}

export function smtpMailer(smtp: SmtpConfig): Mailer {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    kind: 'smtp',
    async send(m) {
      await transport.sendMail({ from: smtp.from, to: m.to, subject: m.subject, text: m.text });
    },
  };
}

export function logMailer(): Mailer {
  return {
    kind: 'log',
    async send(m) {
      logger.warn({ to: maskEmail(m.to), subject: m.subject, text: m.text }, 'e-mail not sent (no SMTP server configured): written to the log instead');
    },
  };
}

/** The configured mailer: SMTP when configured; the log outside production; none in production. */
export function createMailer(config: Pick<Config, 'smtp' | 'production'>): Mailer | null {
  if (config.smtp) return smtpMailer(config.smtp);
  return config.production ? null : logMailer();
}
