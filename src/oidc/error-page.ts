// What a person reads when oidc-provider cannot send an error back to the app (unknown app,
// unregistered redirect URI, expired sign-in, ...): what happened and what to do next, in their
// language; the protocol code and oidc-provider's English description stay on the page in small
// print for whoever has to fix the app.
import { errors } from 'oidc-provider';

export type ProtocolErrorClass = 'redirect_uri' | 'client' | 'request' | 'expired' | 'denied' | 'unavailable';

const CLASS_OF: Record<string, ProtocolErrorClass> = {
  invalid_redirect_uri: 'redirect_uri',
  invalid_client: 'client',
  unauthorized_client: 'client',
  access_denied: 'denied',
  login_required: 'denied',
  consent_required: 'denied',
  interaction_required: 'denied',
  account_selection_required: 'denied',
  unmet_authentication_requirements: 'denied',
  server_error: 'unavailable',
  temporarily_unavailable: 'unavailable',
};

/** Every other 4xx code is the app's malformed or unsupported request. */
export function classifyProtocolError(code: string, error: unknown): ProtocolErrorClass {
  if (error instanceof errors.SessionNotFound) return 'expired';
  const status = (error as { status?: number } | undefined)?.status;
  if (status === undefined || status >= 500) return 'unavailable';
  return CLASS_OF[code] ?? 'request';
}

/** Message keys (src/i18n/messages.ts) for the explanation and the next step. */
export function protocolErrorText(kind: ProtocolErrorClass, appKnown: boolean): { message: string; next: string } {
  const next =
    kind === 'unavailable' ? 'oidc.next.retry'
    : kind === 'expired' || kind === 'denied' ? (appKnown ? 'oidc.next.restart_app' : 'oidc.next.restart')
    : appKnown ? 'oidc.next.contact_app' : 'oidc.next.contact';
  return { message: `oidc.error.${kind}`, next };
}
