// The contract every legacy password-hash scheme fulfils. A foreign hash is never stored without
// its scheme and parameters, so it can still be verified long after the import profile is gone.
import type { ConfigIssue } from '../config-issues.ts';

export interface StoredLegacyHash {
  scheme: string;
  hash: string;
  salt?: string | null;
  params?: Record<string, unknown>;
  /** The login name exactly as the legacy system had it (RuoYi hashes it with the password). */
  loginName?: string | null;
}

export type ParamsResult<P = unknown> = { ok: true; params: P } | { ok: false; issues: ConfigIssue[] };

/** Row inputs a scheme needs besides the hash. */
export type SchemeInput = 'salt' | 'loginName';

export interface HashScheme<P = unknown> {
  readonly name: string;
  /** Checks parameters and fills in their defaults; issue paths are relative to the params object. */
  validateParams(params: unknown): ParamsResult<P>;
  /** Does the stored value look like this scheme's output? Rejects rows before they are imported. */
  shapeOk(hash: string, params: P): boolean;
  /**
   * Constant-time verification. Resolves false for a wrong password or a malformed stored value;
   * rejects (throws) only when the stored parameters are invalid, which is a configuration fault.
   */
  verify(password: string, stored: StoredLegacyHash): Promise<boolean>;
  /** Inputs that must be non-empty in a row for this scheme and these parameters. */
  requires(params: P): readonly SchemeInput[];
  /** The stored value is a secret used byte for byte: never trim it (plaintext). */
  readonly verbatim?: boolean;
  /** The importer must replace the value with an argon2id hash before storing it (plaintext). */
  readonly rehashAtImport?: boolean;
}

export class SchemeParamsError extends Error {
  readonly issues: ConfigIssue[];
  constructor(scheme: string, issues: ConfigIssue[]) {
    super(`invalid parameters for legacy hash scheme "${scheme}": ${issues.map((i) => i.en).join('; ')}`);
    this.name = 'SchemeParamsError';
    this.issues = issues;
  }
}
