// Wires the legacy migration into the core: `CODE/loginname` logins, legacy password verification
// with the upgrade to argon2id, the legacy_uid claim, and the `yitong import ...` commands.
import './errors.ts';
import './cli.ts';
import { setIdentifierResolver, setPasswordVerifier, type IdentifierResolver, type PasswordVerifier } from '../interactions/authenticate.ts';
import { addClaimsExtension } from '../oidc/account.ts';
import { legacyIdentifierResolver, legacyPasswordVerifier } from './login.ts';
import { legacyUidClaims } from './claims.ts';

// Each setter returns what it replaces, so the legacy checks wrap the core's (ID number, mobile and
// e-mail resolution; argon2id verification with its re-hash).
let coreResolver: IdentifierResolver;
let coreVerifier: PasswordVerifier;
coreResolver = setIdentifierResolver(legacyIdentifierResolver((app, identifier) => coreResolver(app, identifier)));
coreVerifier = setPasswordVerifier(legacyPasswordVerifier((app, person, password) => coreVerifier(app, person, password)));
addClaimsExtension(legacyUidClaims);
