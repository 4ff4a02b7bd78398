// An audit event checked and masked into the record that is stored and logged.
import { logger } from '../log.ts';
import { scrubDetail, scrubText } from './scrub.ts';
import type { AuditEvent } from './types.ts';

const OUTCOMES: ReadonlySet<string> = new Set(['success', 'failure', 'denied', 'info']);
// a second line of defence behind the AuditEventName type (values from JSON, casts)
const EVENT_NAME = /^[a-z][a-z0-9_]*(?:[.:-][a-z0-9_]+)*$/;
// successes that come at token rates: logged at debug
const ROUTINE_EVENTS: ReadonlySet<string> = new Set(['token.issue', 'token.revoke']);

export interface Prepared {
  actor: string | null;
  event: string;
  outcome: string;
  client_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

/** `trusted`: written by the audit service itself (numbers and hashes that must not be masked) */
export function prepare(e: AuditEvent, opts: { trusted?: boolean } = {}): Prepared {
  if (typeof e.event !== 'string' || e.event.length > 128 || !EVENT_NAME.test(e.event)) {
    throw new TypeError(`invalid audit event name: ${JSON.stringify(e.event)}`);
  }
  if (!OUTCOMES.has(e.outcome)) throw new TypeError(`invalid audit outcome: ${JSON.stringify(e.outcome)}`);
  return {
    actor: optionalText(e.actor),
    event: e.event,
    outcome: e.outcome,
    client_id: optionalText(e.clientId),
    ip: optionalText(e.ip),
    detail: opts.trusted ? (JSON.parse(JSON.stringify(e.detail ?? {})) as Record<string, unknown>) : scrubDetail(e.detail),
  };
}

/** The record as stored (masked by the scrubber), on stderr. */
export function logRecord(p: Prepared): void {
  const fields = { event: p.event, outcome: p.outcome, actor: p.actor, client_id: p.client_id, ip: p.ip, detail: p.detail };
  if (p.outcome === 'success' && ROUTINE_EVENTS.has(p.event)) logger.debug(fields, 'audit');
  else logger.info(fields, 'audit');
}

function optionalText(v: string | null | undefined): string | null {
  if (v === undefined || v === null || v === '') return null;
  return scrubText(String(v)).slice(0, 256);
}
