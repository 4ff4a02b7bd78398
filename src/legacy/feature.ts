// The legacy migration's part in a running server: `CODE/loginname` logins, legacy password
// verification with the upgrade to argon2id, and the legacy_uid claim. The import itself runs from
// the command line (cli.ts) in a worker thread of its own (job/worker.ts).
import type { AppContext } from '../context.ts';
import type { Feature } from '../feature.ts';
import { legacyIdentifierResolver, legacyPasswordVerifier } from './login.ts';
import { legacyUidClaims } from './claims.ts';

export function legacyFeature(app: AppContext): Feature {
  return {
    name: 'legacy',
    // Both wrap the core's: ID number, mobile and e-mail; argon2id with its re-hash.
    resolveIdentifier: (next) => legacyIdentifierResolver(app, next),
    verifyPassword: (next) => legacyPasswordVerifier(app, next),
    claims: [(person, oidc) => legacyUidClaims(app, person, oidc)],
  };
}
