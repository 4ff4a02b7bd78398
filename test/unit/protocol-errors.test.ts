import { describe, expect, it } from 'vitest';
import { errors } from 'oidc-provider';
import { classifyProtocolError, protocolErrorText, type ProtocolErrorClass } from '../../src/oidc/error-page.ts';
import { messages } from '../../src/i18n/messages.ts';

describe('protocol errors as the person reads them', () => {
  it('sorts oidc-provider errors into classes by code, status and type', () => {
    const cls = (e: { error: string }) => classifyProtocolError(e.error, e);
    expect(cls(new errors.InvalidRedirectUri())).toBe('redirect_uri');
    expect(cls(new errors.InvalidClient())).toBe('client');
    expect(cls(new errors.UnauthorizedClient())).toBe('client');
    expect(cls(new errors.AccessDenied())).toBe('denied');
    expect(cls(new errors.LoginRequired())).toBe('denied');
    expect(cls(new errors.SessionNotFound('interaction session id cookie not found'))).toBe('expired');
    expect(cls(new errors.InvalidRequest('missing client_id'))).toBe('request');
    expect(cls(new errors.InvalidScope('bad', 'x'))).toBe('request');
    expect(cls(new errors.UnsupportedResponseMode())).toBe('request');
    expect(cls(new errors.InvalidRequestObject())).toBe('request');
    expect(cls(new errors.TemporarilyUnavailable())).toBe('unavailable');
    // not an oidc-provider error (no status): our failure, never the app's
    expect(classifyProtocolError('server_error', new Error('boom'))).toBe('unavailable');
  });

  it('gives every class an explanation and a next step, naming the app when known', () => {
    expect(protocolErrorText('redirect_uri', true)).toEqual({ message: 'oidc.error.redirect_uri', next: 'oidc.next.contact_app' });
    expect(protocolErrorText('request', false)).toEqual({ message: 'oidc.error.request', next: 'oidc.next.contact' });
    expect(protocolErrorText('expired', true).next).toBe('oidc.next.restart_app');
    expect(protocolErrorText('denied', false).next).toBe('oidc.next.restart');
    expect(protocolErrorText('unavailable', true).next).toBe('oidc.next.retry');
    const classes: ProtocolErrorClass[] = ['redirect_uri', 'client', 'request', 'expired', 'denied', 'unavailable'];
    for (const c of classes) {
      for (const known of [true, false]) {
        for (const key of Object.values(protocolErrorText(c, known))) {
          expect(messages[key]?.['zh-CN'], key).toBeTruthy();
          expect(messages[key]?.en, key).toBeTruthy();
        }
      }
    }
  });
});
