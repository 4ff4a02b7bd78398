// A local SMTP server (the smtp-server package) that keeps every message it accepts, parsed
// (mailparser), so a test can check what Yitong sent: envelope, headers and text.
import type net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  from: string;
  to: string;
  subject: string;
  text: string;
}

export interface TestSmtp {
  port: number;
  /** SMTP_URL for the server under test */
  url: string;
  mails: ReceivedMail[];
  /** the credentials the server saw (AUTH PLAIN/LOGIN) */
  logins: { username: string; password: string }[];
  /** make the next deliveries fail with this SMTP code */
  failWith: number | null;
  close(): Promise<void>;
}

export async function startSmtpServer(opts: { user?: string; pass?: string } = {}): Promise<TestSmtp> {
  const state: TestSmtp = { port: 0, url: '', mails: [], logins: [], failWith: null, close: async () => {} };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: !opts.user,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      state.logins.push({ username: auth.username ?? '', password: auth.password ?? '' });
      if (auth.username === opts.user && auth.password === opts.pass) return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((m) => {
          if (state.failWith) {
            const err = new Error('mailbox unavailable') as Error & { responseCode: number };
            err.responseCode = state.failWith;
            return cb(err);
          }
          state.mails.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            from: m.from?.text ?? '',
            to: Array.isArray(m.to) ? m.to.map((t) => t.text).join(', ') : (m.to?.text ?? ''),
            subject: m.subject ?? '',
            text: m.text ?? '',
          });
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.server.address() as net.AddressInfo).port;
  const auth = opts.user ? `${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.pass ?? '')}@` : '';
  state.url = `smtp://${auth}127.0.0.1:${state.port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
