// Every audit event name, in one naming style: `domain.object.verb` (or `domain.outcome`), lower
// case, snake_case inside a segment. The union keeps appends honest; `yitong audit list --event`,
// the admin API and README use the same names. Records written before a rename keep their old
// name (the hash chain covers it), so they stay verifiable.
export const AUDIT_EVENTS = [
  // sign-in, consent, sessions, tokens
  'login.success',
  'login.failure',
  'login.lockout',
  'login.real_name',
  'consent.grant',
  'consent.deny',
  'logout.success',
  'logout.declined',
  'logout.backchannel',
  'logout.retry',
  'session.end',
  'token.issue',
  'token.revoke',
  'grant.revoke',
  // second factors
  'mfa.verify',
  'mfa.totp.enrol',
  'mfa.totp.disable',
  'mfa.recovery.generate',
  'mfa.recovery.use',
  'mfa.passkey.register',
  'mfa.passkey.remove',
  'mfa.sms.enable',
  'mfa.sms.disable',
  'mfa.reset',
  // persons and their accounts
  'person.create',
  'person.register',
  'person.disable',
  'person.enable',
  'person.unlock',
  'person.reveal',
  'person.real_name_level',
  'password.change',
  'password.reset',
  'password.upgrade',
  'email.change',
  'phone.change',
  'email.change.code',
  'account.export',
  'account.cancel.request',
  'account.cancel.withdraw',
  'account.erase',
  'sms.send',
  'sms.limit',
  'idv.check',
  'idv.recheck.abandon',
  // apps, departments, keys, administration
  'client.create',
  'client.update',
  'client.enable',
  'client.disable',
  'client.secret.rotate',
  'department.create',
  'keys.generate',
  'keys.rotate',
  // a copy of the whole database was taken (yitong backup)
  'backup.create',
  'admin.api',
  'admin.console.sign_in',
  'admin.console.sign_out',
  'admin.role.grant',
  'admin.role.revoke',
  // legal persons and agents
  'org.create',
  'org.status.change',
  'org.legal_rep.change',
  'org.grant.create',
  'org.grant.accept',
  'org.grant.decline',
  'org.grant.revoke',
  'org.grant.relinquish',
  'org.grant.expire',
  'org.context.end',
  'org.entity.select',
  'org.token.exchange',
  // legacy import
  'import.start',
  'import.resume',
  'import.dry_run',
  'import.finish',
  'import.fail',
  'import.orgs.create',
  'import.conflicts.reveal',
  'import.conflict.resolve',
  // the trail itself
  'server.error',
  'audit.suppressed',
  'audit.purge',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

const KNOWN: ReadonlySet<string> = new Set(AUDIT_EVENTS);

export function isAuditEventName(name: string): name is AuditEventName {
  return KNOWN.has(name);
}
