// Protocol events become audit records. oidc-provider does not await listeners, so each append
// is fire-and-forget with its failure logged.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { AuditEvent } from '../audit/service.ts';
import { logger } from '../log.ts';
import { tokenMetric } from '../http/metrics.ts';

export function attachAuditListeners(app: AppContext, provider: Provider): void {
  const record = (e: AuditEvent) => {
    app.audit.append(e).catch((err: Error) => logger.error({ err: err.message, event: e.event }, 'audit append failed'));
  };
  const ip = (ctx: KoaContextWithOIDC | undefined) => ctx?.ip ?? null;

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? '');
    tokenMetric.inc({ grant_type: grantType, outcome: 'success' });
    record({
      event: 'token.issue',
      outcome: 'success',
      actor: ctx.oidc.account?.accountId ?? null,
      clientId: ctx.oidc.client?.clientId ?? null,
      ip: ip(ctx),
      detail: { grant_type: grantType },
    });
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, err: { error?: string; error_description?: string }) => {
    const grantType = String(ctx.oidc?.params?.grant_type ?? '');
    tokenMetric.inc({ grant_type: grantType, outcome: 'failure' });
    record({
      event: 'token.issue',
      outcome: 'failure',
      clientId: ctx.oidc?.client?.clientId ?? null,
      ip: ip(ctx),
      detail: { grant_type: grantType, error: err.error ?? 'error', description: err.error_description ?? null },
    });
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    record({ event: 'grant.revoke', outcome: 'success', clientId: ctx.oidc?.client?.clientId ?? null, ip: ip(ctx), detail: { grant_id: grantId } });
  });
  for (const model of ['access_token', 'refresh_token', 'client_credentials'] as const) {
    provider.on(`${model}.destroyed` as 'access_token.destroyed', (token: { clientId?: string; accountId?: string; jti: string }) => {
      record({ event: 'token.revoke', outcome: 'success', actor: token.accountId ?? null, clientId: token.clientId ?? null, detail: { kind: model } });
    });
  }
  // end_session.success follows both answers on the logout confirmation: a `logout` value signs
  // out (oidc-provider's own test); without one the person stayed signed in, which is no logout
  // (the requesting app's grant ends, and grant.revoked records that).
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const signedOut = Boolean(ctx.oidc.params?.logout);
    record({
      event: signedOut ? 'logout.success' : 'logout.declined',
      outcome: signedOut ? 'success' : 'info',
      actor: ctx.oidc.session?.accountId ?? null,
      clientId: ctx.oidc.client?.clientId ?? null,
      ip: ip(ctx),
    });
  });
  provider.on('backchannel.success', (ctx: KoaContextWithOIDC, client: { clientId: string }, accountId: string) => {
    record({ event: 'logout.backchannel', outcome: 'success', actor: accountId, clientId: client.clientId, ip: ip(ctx) });
  });
  provider.on('backchannel.error', (ctx: KoaContextWithOIDC, err: Error, client: { clientId: string }, accountId: string) => {
    logger.warn({ err: err.message, client: client.clientId }, 'back-channel logout failed');
    record({ event: 'logout.backchannel', outcome: 'failure', actor: accountId, clientId: client.clientId, ip: ip(ctx), detail: { error: err.message } });
  });
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    logger.error({ err: err.message, stack: err.stack, path: ctx?.path }, 'oidc server error');
  });
}
