// What the login-time MFA pages share: the form parser and field reader (their own bounds), the
// page dependencies, and loading the interaction for a POST to a prompt's page.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { InteractionDetails } from '../feature.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { formBody, formField, messagePage } from '../http/forms.ts';
import { csrfValid } from '../interactions/csrf.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import type { OtpFactor } from './factors.ts';

export type Details = InteractionDetails;

export const form = formBody('32kb');

export function field(ctx: Context, name: string, max = 256): string {
  return formField(ctx, name, max);
}

export interface MfaPageDeps {
  throttle: LoginThrottle;
  otpFactors: OtpFactor[];
}

export interface PageState {
  error?: string;
  /** news, not an error (a code was sent) */
  notice?: string;
  locked?: boolean;
}

/** The interaction, its person and a valid CSRF token for a POST to a prompt's page; null after answering. */
export async function loadAtPrompt(app: AppContext, getProvider: () => Provider, ctx: Context, prompt: string): Promise<{ provider: Provider; details: Details; person: Person } | null> {
  ctx.set('cache-control', 'no-store');
  const provider = getProvider();
  let details: Details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      messagePage(ctx, 400, 'interaction.expired');
      return null;
    }
    throw err;
  }
  if (!csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) {
    messagePage(ctx, 403, 'csrf.invalid');
    return null;
  }
  const person = details.prompt.name === prompt && details.session?.accountId ? await findPersonBySub(app, details.session.accountId) : null;
  if (!person || person.status !== 'active') {
    messagePage(ctx, 400, 'interaction.expired');
    return null;
  }
  return { provider, details, person };
}
