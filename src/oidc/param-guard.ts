// Text that oidc-provider would store. PostgreSQL refuses NUL in text and jsonb, and lone UTF-16
// surrogates in jsonb: such a value reaching the database is a 500 (and, before the cap, an audit
// record per request). Two layers, both answering with oidc-provider's own InvalidRequest:
// - authorization and pushed authorization requests (whose parameters become Interaction, PAR and
//   code rows) are checked before anything is written, through the public `extraParams` validator
//   hook, which runs inside the endpoint's error handling; control characters are refused there
//   too, having no place in a protocol parameter (RFC 6749 appendix A: state is VSCHAR);
// - the adapter refuses any payload that cannot be stored (logout state in the Session, and
//   whatever another endpoint may come to store).
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

// C0 controls and DEL. JSON-valued parameters may carry \t \n \r as whitespace between tokens.
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_BUT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Parameters whose value is JSON text; its strings (keys too) are checked once parsed. */
const JSON_PARAMS = new Set(['claims', 'authorization_details']);

function cleanText(s: string): boolean {
  return s.isWellFormed() && !CONTROL.test(s);
}

/** Every string in a parsed JSON value, keys included, passes `cleanText`. */
function cleanJson(value: unknown): boolean {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return value.every(cleanJson);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([k, v]) => cleanText(k) && cleanJson(v));
  return true;
}

function cleanParam(name: string, value: string): boolean {
  if (!JSON_PARAMS.has(name)) return cleanText(value);
  if (!value.isWellFormed() || CONTROL_BUT_WHITESPACE.test(value)) return false;
  try {
    return cleanJson(JSON.parse(value));
  } catch {
    return true; // not JSON: oidc-provider's own check answers that
  }
}

/**
 * An `extraParams` validator that checks every parameter of the request, not just the one it is
 * registered under (oidc-provider calls each validator once per request, with the whole context).
 */
async function checkAllParams(ctx: KoaContextWithOIDC): Promise<void> {
  for (const [name, value] of Object.entries(ctx.oidc.params ?? {})) {
    if (typeof value === 'string' && !cleanParam(name, value)) {
      throw new errors.InvalidRequest(`${name} contains characters that are not allowed`);
    }
  }
}

/**
 * For the provider's `extraParams`: registered under `state`, which every authorization request may
 * carry anyway, so the set of accepted parameters does not change.
 */
export const PARAMETER_GUARD = { state: checkAllParams };

/** Whether a value (deeply: strings and keys) can be stored in PostgreSQL text and jsonb. */
export function storable(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed() && !value.includes('\u0000');
  if (Array.isArray(value)) return value.every(storable);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([k, v]) => storable(k) && storable(v));
  return true;
}

export function unstorableError(): Error {
  return new errors.InvalidRequest('the request contains characters that cannot be stored');
}
