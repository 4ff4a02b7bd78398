// The second-factor and real-name prompts in oidc-provider's interaction policy (public API:
// interactionPolicy.Prompt/Check, and the login prompt's checks list).
//
// After login, for every authorization request (single sign-on included):
// - `real_name`: the app demands a real-name level (--min-real-name-level) the person lacks. The
//   page says what raises it; the app gets access_denied with a description, never a token (and
//   at once with prompt=none).
// - `mfa`: the session's level (levels.ts) is below what is required, which is the strongest of
//   the app's --min-acr, the request's acr_values and `acr` claim (a minimum, whether essential or
//   not: values Yitong does not define are ignored), what policy demands of the person (admin
//   roles: MfaOptions.requirements), and `mfa` for a person with a second factor whose last
//   first-factor sign-in was not followed by one ("once enrolled, every password sign-in asks").
//   With prompt=none the app gets interaction_required.
// oidc-provider's own essential_acr(s) checks in the login prompt compare for equality, which
// would ask a phr session to sign in again for mfa; they are removed, and this prompt decides.
// A person who needs a second factor and has none sets one up inside the same login, but only
// right after a first-factor sign-in: an older session is first asked to sign in again (a check
// added to the login prompt), so a borrowed session cannot enrol its own authenticator.
//
// What a token says: the strongest level that still counts. When an elevated level grows older
// than its maximum age, the session's acr and amr drop back to the level below (written to the
// session, which oidc-provider saves), so the app is never told of a strength that no longer holds.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { personStore } from '../accounts/store.ts';
import { openPerson, type Person } from '../accounts/person.ts';
import { loadClientMetadata } from '../clients/service.ts';
import { ACR_MFA, ACR_PHR, ACR_PWD, acrRank, isAcr, strongerAcr, type Acr } from '../oidc/acr.ts';
import { levelStore, factorSummary } from './store.ts';
import { effectiveLevel, firstFactorUnconfirmed, meets, reached, type LevelMaxAges, type LevelRecord } from './levels.ts';
import type { OtpFactor } from './factors.ts';

const { Prompt, Check } = interactionPolicy;

export const MFA_PROMPT = 'mfa';
export const REAL_NAME_PROMPT = 'real_name';
/** a second factor may be set up inside a login this soon after the first factor */
export const ENROL_FRESH_SECONDS = 600;

/** What some people must always reach (admin roles: `mfa`); null when nothing beyond the usual. */
export type MfaRequirement = (app: AppContext, person: Person) => Promise<Acr | null>;

export interface MfaPolicy {
  maxAges: LevelMaxAges;
  requirements: MfaRequirement[];
  otpFactors: OtpFactor[];
}

export interface Assessment {
  sub: string;
  personId: string;
  realNameLevel: number;
  levels: LevelRecord;
  required: Acr | null;
  /** the session meets `required` */
  met: boolean;
  /** the strongest level that still counts (what a token may say) */
  effective: Acr | null;
  /** the person has no second factor that could meet `required` */
  needsEnrolment: boolean;
  /** the first factor is too old to set up a second factor on its strength */
  staleFirstFactor: boolean;
  minRealNameLevel: number | null;
}

const epoch = () => Math.floor(Date.now() / 1000);

/** The weakest Yitong acr among the values asked for (acr_values, the acr claim), or null. */
export function requestedAcr(oidc: KoaContextWithOIDC['oidc']): Acr | null {
  const asked: unknown[] = [];
  const p = oidc.params?.acr_values;
  if (typeof p === 'string') asked.push(...p.split(' '));
  const claim = (oidc.claims as { id_token?: { acr?: { value?: unknown; values?: unknown } } } | undefined)?.id_token?.acr;
  if (claim) {
    if (claim.value !== undefined) asked.push(claim.value);
    if (Array.isArray(claim.values)) asked.push(...claim.values);
  }
  const known = asked.filter(isAcr);
  if (!known.length) return null;
  return known.reduce((a, b) => (acrRank(a) <= acrRank(b) ? a : b));
}

function requestMaxAge(oidc: KoaContextWithOIDC['oidc']): number | undefined {
  const raw = oidc.params?.max_age;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

async function assess(app: AppContext, policy: MfaPolicy, ctx: KoaContextWithOIDC): Promise<Assessment | null> {
  const { oidc } = ctx;
  const session = oidc.session;
  const sub = session?.accountId;
  if (!sub || !oidc.client) return null;
  const row = await personStore.bySub(app.db, sub);
  if (!row) return null;

  const stored = await levelStore.get(app.db, session.uid);
  let levels: LevelRecord = stored && stored.accountId === sub ? stored.levels : {};
  const login = (oidc.result as { login?: { accountId?: string; acr?: unknown; amr?: unknown } } | undefined)?.login;
  const loginTs = typeof session.loginTs === 'number' ? session.loginTs : epoch();
  if (login && login.accountId === sub) {
    // this request resumes from a sign-in: remember the level it reached, and when
    levels = reached(levels, login.acr, login.amr, loginTs);
    await levelStore.put(app.db, session.uid, sub, levels);
  } else if (!stored && session.acr) {
    // a session from before this feature ran (or whose record was purged): what the session says
    levels = reached({}, session.acr, session.amr, loginTs);
  }

  const meta = await loadClientMetadata(app, oidc.client.clientId);
  const clientAcr = isAcr(meta?.yitong_min_acr) ? meta.yitong_min_acr : null;
  const minLevel = typeof meta?.yitong_min_real_name_level === 'number' ? meta.yitong_min_real_name_level : null;
  let required = strongerAcr(clientAcr, requestedAcr(oidc));
  let person: Person | undefined;
  if (policy.requirements.length) {
    person = openPerson(app.keyring, row);
    for (const requirement of policy.requirements) required = strongerAcr(required, await requirement(app, person));
  }

  const now = epoch();
  let summary: { totp: boolean; passkeys: number; others: boolean } | undefined;
  const factors = async () => {
    if (summary) return summary;
    const s = await factorSummary(app.db, row.id);
    let others = false;
    if (policy.otpFactors.length) {
      person ??= openPerson(app.keyring, row);
      for (const f of policy.otpFactors) others ||= await f.enrolled(app, person);
    }
    return (summary = { totp: s.totp, passkeys: s.passkeys, others });
  };
  if (acrRank(required) < acrRank(ACR_MFA) && firstFactorUnconfirmed(levels)) {
    const f = await factors();
    if (f.totp || f.passkeys > 0 || f.others) required = strongerAcr(required, ACR_MFA);
  }

  const met = required === null || required === ACR_PWD || meets(levels, required, now, policy.maxAges, requestMaxAge(oidc));
  let needsEnrolment = false;
  if (!met && required) {
    const f = await factors();
    needsEnrolment = required === ACR_PHR ? f.passkeys === 0 : !(f.totp || f.passkeys > 0 || f.others);
  }
  const firstAt = levels[ACR_PWD]?.at ?? loginTs;
  return {
    sub,
    personId: row.id,
    realNameLevel: row.real_name_level,
    levels,
    required,
    met,
    effective: effectiveLevel(levels, now, policy.maxAges),
    needsEnrolment,
    staleFirstFactor: now - firstAt > ENROL_FRESH_SECONDS,
    minRealNameLevel: minLevel,
  };
}

/** One assessment per request, shared by the checks of every prompt. */
export function assessor(app: AppContext, policy: MfaPolicy) {
  const cache = new WeakMap<object, Promise<Assessment | null>>();
  return (ctx: KoaContextWithOIDC): Promise<Assessment | null> => {
    let p = cache.get(ctx);
    if (!p) cache.set(ctx, (p = assess(app, policy, ctx)));
    return p;
  };
}

/** The session's acr and amr drop back when an elevated level has grown old (never go up here). */
function settle(ctx: KoaContextWithOIDC, a: Assessment): void {
  const session = ctx.oidc.session;
  if (!session || !a.effective || acrRank(session.acr) <= acrRank(a.effective)) return;
  session.acr = a.effective;
  session.amr = a.levels[a.effective]?.amr ?? [];
}

export function addRealNamePrompt(policy: interactionPolicy.Prompt[], assessment: (ctx: KoaContextWithOIDC) => Promise<Assessment | null>): void {
  const prompt = new Prompt(
    { name: REAL_NAME_PROMPT, requestable: false },
    new Check(
      'real_name_level_too_low',
      'the End-User has not reached the real-name level this client requires',
      'access_denied',
      async (ctx: KoaContextWithOIDC) => {
        const a = await assessment(ctx);
        return Boolean(a && a.minRealNameLevel !== null && a.realNameLevel < a.minRealNameLevel);
      },
      async (ctx: KoaContextWithOIDC) => {
        const a = await assessment(ctx);
        return { min_real_name_level: a?.minRealNameLevel ?? null };
      },
    ),
  );
  const login = policy.findIndex((p) => p.name === 'login');
  policy.splice(login + 1, 0, prompt);
}

export function addMfaPrompt(policy: interactionPolicy.Prompt[], assessment: (ctx: KoaContextWithOIDC) => Promise<Assessment | null>): void {
  const login = policy.find((p) => p.name === 'login');
  if (login) {
    // acr is a minimum here, not an exact match (see the header)
    login.checks.remove('essential_acr');
    login.checks.remove('essential_acrs');
    login.checks.add(
      new Check('mfa_enrolment_needs_fresh_login', 'a second factor can be set up only right after signing in', async (ctx: KoaContextWithOIDC) => {
        const a = await assessment(ctx);
        return Boolean(a && !a.met && a.needsEnrolment && a.staleFirstFactor && !ctx.oidc.result?.login);
      }),
    );
  }
  const prompt = new Prompt(
    { name: MFA_PROMPT, requestable: false },
    new Check(
      'second_factor_required',
      'a stronger authentication (second factor) is required',
      async (ctx: KoaContextWithOIDC) => {
        const a = await assessment(ctx);
        if (!a) return false;
        if (a.met) settle(ctx, a);
        return !a.met;
      },
      async (ctx: KoaContextWithOIDC) => {
        const a = await assessment(ctx);
        return { acr: a?.required ?? null };
      },
    ),
  );
  const after = policy.findIndex((p) => p.name === REAL_NAME_PROMPT);
  const at = after !== -1 ? after : policy.findIndex((p) => p.name === 'login');
  policy.splice(at + 1, 0, prompt);
}
