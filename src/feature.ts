// What a feature (orgs, legacy, ...) adds to the core. Each feature folder exports a factory,
// `xxxFeature(app)`, that returns one of these; server.ts lists the factories explicitly and passes
// the result to createProvider, the HTTP app and the login, so what runs is visible in one place and
// a test can start a server with any subset. Every hook is bound to its app by the factory.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { interactionPolicy, KoaContextWithOIDC, FindAccount, Configuration } from 'oidc-provider';
import type { AppContext } from './context.ts';
import type { Person } from './accounts/person.ts';

type Oidc = KoaContextWithOIDC['oidc'];
export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** A custom prompt: where it goes in oidc-provider's policy, and the page GET /interaction/:uid shows. */
export interface PromptExtension {
  name: string;
  add(policy: interactionPolicy.Prompt[]): void;
  page(ctx: Context, details: InteractionDetails, getProvider: () => Provider): Promise<void>;
}

/** Extra ID token / userinfo claims that depend on the client or the session. */
export type ClaimsExtension = (person: Person, oidc: Oidc) => Promise<Record<string, unknown>>;

/**
 * May refuse a person in the context of a token (e.g. the org the grant acts for is no longer
 * authorised): findAccount then finds nobody, so refresh answers invalid_grant and userinfo
 * invalid_token.
 */
export type AccountGuard = (person: Person, ctx: KoaContextWithOIDC, token: Parameters<FindAccount>[2]) => Promise<boolean>;

/** Extra access token claims (introspection, JWT access tokens). */
export type TokenClaimsExtension = (
  ctx: KoaContextWithOIDC | undefined,
  token: Parameters<NonNullable<Configuration['extraTokenClaims']>>[1],
) => Promise<Record<string, unknown> | undefined>;

/** A grant type registered with oidc-provider's public registerGrantType. */
export interface GrantTypeExtension {
  type: string;
  handler(ctx: KoaContextWithOIDC): Promise<void>;
  params: string[];
}

/** Periodic work. Every node runs it, so it must be safe to run concurrently. */
export interface BackgroundTask {
  name: string;
  everyMs: number;
  run(getProvider: () => Provider): Promise<void>;
}

/** Resolves a login identifier to a person (ID number, mobile, e-mail, `DEPT/loginname`, ...). */
export type IdentifierResolver = (identifier: string) => Promise<Person | null>;
/** Checks a person's password (argon2id, legacy formats with their upgrade, ...). */
export type PasswordVerifier = (person: Person, password: string) => Promise<boolean>;

/** A page the landing page links to (self-service pages); label is a page-text key. */
export interface HomeLink {
  href: string;
  label: string;
}

export interface Feature {
  name: string;
  /** what the landing page at / offers to signed-in people */
  links?: HomeLink[];
  prompts?: PromptExtension[];
  claims?: ClaimsExtension[];
  accountGuards?: AccountGuard[];
  tokenClaims?: TokenClaimsExtension[];
  grantTypes?: GrantTypeExtension[];
  /** subscribes to oidc-provider's events (public `provider.on`); called for every provider built */
  listen?(provider: Provider): void;
  /** routers mounted before oidc-provider (self-service pages, admin API); `features`: every feature the server runs */
  routers?(getProvider: () => Provider, features: Feature[]): Router[];
  tasks?: BackgroundTask[];
  /** wraps the login's identifier resolution; `next` is the core's (or an earlier feature's) */
  resolveIdentifier?(next: IdentifierResolver): IdentifierResolver;
  /** wraps the login's password check; `next` is the core's (or an earlier feature's) */
  verifyPassword?(next: PasswordVerifier): PasswordVerifier;
}

export type FeatureFactory = (app: AppContext) => Feature;
