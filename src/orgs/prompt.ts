// The select_entity prompt ("办理身份"): after login and before consent, when the app asks for the
// legal_person scope, the person chooses to act for themselves or for an org they may act for.
//
// Where the choice lives: the POST handler puts it in the interaction result
// (`{ select_entity: { entity } }`, merged with the login result); when the authorization resumes
// with a saved grant (at once for departmental apps, after consent for others), this check records
// it in org_entity_contexts keyed by the grant's id, together with the session's sid at the app.
// The grant is oidc-provider's per session and app, so a silent SSO (prompt=none) to the same app
// finds the choice again, while another app has another grant and asks again. The prompt asks
// again when the chosen org can no longer be acted for (a silent login then gets
// interaction_required), and when the app sends prompt=select_entity to let the person switch.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { personStore } from '../accounts/store.ts';
import { entityOptions, resolveEntity, type EntityOption } from './entity-options.ts';
import { bindContext, contextForGrant, contextUsable } from './contexts.ts';

const { Prompt, Check } = interactionPolicy;

export const PROMPT = 'select_entity';
export const LEGAL_PERSON_SCOPE = 'legal_person';

interface EntitySubmission {
  /** `person` or the org's USCC */
  entity: string;
}

/** Resolves a submitted entity to an option (null: the person), or undefined when not allowed. */
export async function resolveSubmission(app: AppContext, personId: string, entity: string): Promise<EntityOption | null | undefined> {
  if (entity === 'person') return null;
  return (await resolveEntity(app, personId, entity)) ?? undefined;
}

async function needsPrompt(app: AppContext, ctx: KoaContextWithOIDC): Promise<boolean> {
  const { oidc } = ctx;
  const accountId = oidc.session?.accountId;
  if (!accountId || !oidc.client) return false;
  if (!(oidc.requestParamScopes as Set<string>).has(LEGAL_PERSON_SCOPE)) return false;
  const person = await personStore.bySub(app.db, accountId);
  if (!person) return false;
  const clientId = oidc.client.clientId;
  const grantId = oidc.grant?.jti;

  const submitted = (oidc.result as Record<string, unknown> | undefined)?.[PROMPT] as EntitySubmission | undefined;
  if (submitted && typeof submitted.entity === 'string') {
    // Checked again now: the authorisation may have ended since the form was posted.
    const option = await resolveSubmission(app, person.id, submitted.entity);
    if (option === undefined) return true;
    // A new grant gets its id when consent saves it; the choice is recorded on that later pass.
    if (grantId) {
      await bindContext(app, oidc.provider, { grantId, clientId, personId: person.id, option, sid: oidc.session.sidFor(clientId) ?? null, kind: 'login' });
    }
    return false;
  }

  const stored = grantId ? await contextForGrant(app, grantId, oidc) : null;
  // A choice made for this grant holds while the org may still be acted for.
  if (stored && stored.personId === person.id) return !(await contextUsable(app, stored));

  const options = await entityOptions(app, person.id);
  if (options.usable.length) return true;
  // Nothing to choose from, but something to explain (an expired, revoked or pending
  // authorisation): show it once, unless the app asked for no interaction.
  return options.unusable.length > 0 && !oidc.prompts.has('none');
}

/**
 * Adds the prompt after login (before consent) to oidc-provider's interaction policy. It is
 * requestable: an app offers "切换办理身份" by sending `prompt=select_entity`, and the new choice
 * replaces the grant's entity (tokens issued for the previous one are revoked, see bindContext).
 */
export function addEntityPrompt(app: AppContext, policy: interactionPolicy.Prompt[]): void {
  const prompt = new Prompt(
    { name: PROMPT, requestable: true },
    new Check('entity_not_chosen', 'the End-User must choose whom they act for (select_entity)', (ctx: KoaContextWithOIDC) => needsPrompt(app, ctx)),
  );
  const consent = policy.findIndex((p) => p.name === 'consent');
  policy.splice(consent === -1 ? policy.length : consent, 0, prompt);
}
