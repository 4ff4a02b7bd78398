// A person's second factors and real-name level (security administrators only): resetting MFA
// after a counter identity check, and setting the level counter staff verified. Both end the
// person's sessions where the service says so (reset: always; level: a downgrade), and their apps
// are told through the logout outbox.
import { z } from 'zod';
import { maskIdNumber } from '../../../identity/mask.ts';
import { resetMfaOf } from '../../../mfa/reset.ts';
import { LEVEL_METHODS, setRealNameLevelOf } from '../../../realname/service.ts';
import { op } from '../op.ts';
import { Ended, endedOf, Sub } from '../schemas.ts';
import { visiblePerson } from './persons.ts';

const SubParams = z.strictObject({ sub: Sub });
const Level = z.int().min(1).max(4);

export const personSecurityOps = [
  op({
    id: 'persons.reset_mfa',
    method: 'post',
    path: '/persons/{sub}/reset-mfa',
    tag: 'persons',
    summary: 'Reset MFA: remove the authenticator app, passkeys, recovery codes and SMS factor; every session and grant ends (apps are told)',
    description: 'For a person who lost every second factor, after their identity was checked. The reason is audited.',
    roles: ['security'],
    params: SubParams,
    body: z.strictObject({ reason: z.string().trim().min(4).max(200).describe('why, e.g. the counter check done (kept in the audit log)') }),
    response: z.object({ sub: Sub, totp_removed: z.boolean(), passkeys_removed: z.int(), recovery_codes_removed: z.int() }).extend(Ended.shape),
    errors: [404],
    async run(c, { params, body }) {
      const { row, person } = await visiblePerson(c, params.sub);
      const r = await resetMfaOf(c.app, row, person.idNumber ? maskIdNumber(person.idNumber) : '', c.principal.actor, body.reason);
      return { sub: r.sub, totp_removed: r.removed.totp, passkeys_removed: r.removed.passkeys, recovery_codes_removed: r.removed.recoveryCodes, ...endedOf(r.ended) };
    },
  }),

  op({
    id: 'persons.set_level',
    method: 'post',
    path: '/persons/{sub}/real-name-level',
    tag: 'persons',
    summary: 'Set a person’s real-name level (a downgrade ends every session; apps are told)',
    description: '`from_level`: the level the change is based on (as read); when it no longer holds the answer is 409.',
    roles: ['security'],
    params: SubParams,
    body: z.strictObject({
      level: Level,
      from_level: Level.optional(),
      method: z.enum(LEVEL_METHODS as [string, ...string[]]).default('counter'),
      note: z.string().trim().max(500).optional(),
    }),
    response: z.object({ sub: Sub, from: z.int(), to: z.int(), changed: z.boolean() }).extend(Ended.partial().shape),
    errors: [404, 409],
    async run(c, { params, body }) {
      const { row } = await visiblePerson(c, params.sub);
      const r = await setRealNameLevelOf(c.app, row.id, body.level, body.method as (typeof LEVEL_METHODS)[number], c.principal.actor, { note: body.note, expectedFrom: body.from_level });
      return { sub: r.sub, from: r.from, to: r.to, changed: r.changed, ...(r.ended ? endedOf(r.ended) : {}) };
    },
  }),
];
