// One raw legacy record + its profile -> a normalised row, or a rejection with a reason code.
// Values are cleaned the way exports mangle them (full-width digits, lower-case x, +86, 15-digit
// IDs) but never guessed at: a wrong check character is rejected or kept unverified, not "fixed".
// Contact data is not identity: a bad phone number is dropped with a warning, the row survives.
import { cleanIdNumber, parseIdNumber } from '../identity/id-number.ts';
import { parseEmail, parseMobile } from '../identity/contact.ts';
import { parseUscc } from '../identity/uscc.ts';
import { idTypeResolver, parseOtherIdNumber } from './id-type.ts';
import { message, type Bilingual, type MessageCode, type MessageVars } from './messages.ts';
import type { ColumnField, IdType, ImportProfile } from './profile.ts';
import { getScheme, type HashScheme, type SchemeInput, type StoredLegacyHash } from './schemes/index.ts';

export interface NormalisedRow {
  legacyUid: string;
  /** Trimmed; the importer namespaces it as DEPARTMENT/loginname. */
  loginName: string | null;
  name: string | null;
  idType: IdType;
  /** Validated (15-digit resident IDs upgraded to 18); null when missing or invalid. */
  idNumber: string | null;
  idValid: boolean;
  /** The cleaned but invalid value of a row imported unverified, kept for review; else null. */
  idNumberUnverified: string | null;
  phone: string | null;
  email: string | null;
  uscc: string | null;
  orgName: string | null;
  password: StoredLegacyHash | null;
  /** The account's status in the old system (status_map); absent means active (rows sealed before it existed). */
  status?: 'active' | 'disabled';
}

export interface RowWarning {
  code: MessageCode;
  message: Bilingual;
  /** The source column, when the warning is about one. */
  column: string | null;
}

export type NormaliseResult =
  | { ok: true; row: NormalisedRow; warnings: RowWarning[] }
  | { ok: false; code: MessageCode; message: Bilingual; column: string | null };

const MAX_UID = 128;
const MAX_LOGIN_NAME = 128;
const MAX_NAME = 64;

// Database exports write NULL as an empty field, "NULL" or MySQL's \N.
const isBlank = (v: string) => v.trim() === '' || v === '\\N' || v.trim() === 'NULL';

const HAN = '\\p{Script=Han}';
const BETWEEN_HAN_SPACE = new RegExp(`(?<=${HAN})\\s+(?=${HAN})`, 'gu');
// Middle-dot look-alikes in transliterated names (阿依古丽·买买提), unified to U+00B7.
const BETWEEN_HAN_DOT = new RegExp(`(?<=${HAN})\\s*[.·•・‧∙]\\s*(?=${HAN})`, 'gu');

export function normaliseName(raw: string): string {
  return raw.normalize('NFKC').trim().replace(/\s+/g, ' ').replace(BETWEEN_HAN_DOT, '·').replace(BETWEEN_HAN_SPACE, '');
}

class Rejection {
  readonly code: MessageCode;
  readonly column: string | null;
  readonly vars?: MessageVars;
  constructor(code: MessageCode, column: string | null | undefined, vars?: MessageVars) {
    this.code = code;
    this.column = column ?? null;
    this.vars = vars;
  }
}

type Fields = Record<string, string>;

/** Builds the per-row function once per profile: the scheme and column lookups are resolved here. */
/** A scheme with the parameters every row that uses it shares. */
interface SchemeChoice {
  scheme: HashScheme;
  params: Readonly<Record<string, unknown>>;
  needs: readonly SchemeInput[];
}

function choice(name: string, rawParams: Record<string, unknown> | undefined): SchemeChoice {
  const scheme = getScheme(name);
  if (!scheme) throw new Error(`unknown password scheme "${name}"`);
  // One parameters object is shared by every row's stored hash: frozen so no row can alter the rest.
  const params = Object.freeze({ ...(rawParams ?? {}) });
  return { scheme, params, needs: scheme.requires(params) };
}

/** Builds the per-row function once per profile: the scheme and column lookups are resolved here. */
export function createNormaliser(profile: ImportProfile): (fields: Fields) => NormaliseResult {
  const { columns } = profile;
  const resolveIdType = idTypeResolver(profile.id_type_map);
  const pw = profile.password;
  const single = pw?.scheme ? choice(pw.scheme, pw.params) : null;
  const perRow = pw?.schemes ? new Map(Object.entries(pw.schemes).map(([k, c]) => [k, choice(c.scheme, c.params)])) : null;

  return (fields) => {
    const warnings: RowWarning[] = [];
    const warn = (code: MessageCode, field: ColumnField | null, vars?: MessageVars) =>
      warnings.push({ code, message: message(code, vars), column: field ? (columns[field] ?? null) : null });
    const get = (field: ColumnField): string => {
      const column = columns[field];
      return column === undefined ? '' : (fields[column] ?? '');
    };
    try {
      const row: NormalisedRow = {
        legacyUid: legacyUid(get('legacy_uid'), columns.legacy_uid),
        loginName: loginName(get('login_name'), columns.login_name),
        name: name(get('name'), columns.name, warn),
        ...identity(get('id_type'), get('id_number'), profile, resolveIdType, warn),
        phone: contact(get('phone'), parseMobile, 'phone', warn),
        email: contact(get('email'), parseEmail, 'email', warn),
        ...org(get('uscc'), get('org_name'), columns.uscc, warn),
        password: single ? password(single, get, profile, warn) : perRow ? password(rowScheme(perRow, get, profile), get, profile, warn) : null,
        status: status(get('status'), profile),
      };
      return { ok: true, row, warnings };
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      return { ok: false, code: err.code, message: message(err.code, err.vars), column: err.column };
    }
  };
}

/** The scheme a row's selector column names; a value the profile does not map rejects the row. */
function rowScheme(perRow: Map<string, SchemeChoice>, get: (field: ColumnField) => string, profile: ImportProfile): SchemeChoice | null {
  const raw = get('password_scheme').trim();
  const hit = perRow.get(raw);
  if (hit) return hit;
  // No selector and no hash: an account without a password, handled like any empty hash.
  if (isBlank(raw) && isBlank(get('password_hash'))) return null;
  throw new Rejection('hash.scheme_unknown', profile.columns.password_scheme);
}

/** The status column's value through status_map; a value the map does not name rejects the row. */
function status(raw: string, profile: ImportProfile): 'active' | 'disabled' {
  const map = profile.status_map;
  if (!map || !profile.columns.status) return 'active';
  const v = raw.trim();
  const hit = Object.hasOwn(map, v) ? map[v] : undefined;
  if (!hit) throw new Rejection('status.unmapped', profile.columns.status, { value: v.slice(0, 32), known: Object.keys(map).join(', ') });
  return hit;
}

type Warn = (code: MessageCode, field: ColumnField | null, vars?: MessageVars) => void;

function legacyUid(raw: string, column: string): string {
  if (isBlank(raw)) throw new Rejection('legacy_uid.empty', column);
  const v = raw.trim();
  if (v.length > MAX_UID) throw new Rejection('legacy_uid.too_long', column, { limit: MAX_UID });
  return v;
}

function loginName(raw: string, column: string | undefined): string | null {
  if (isBlank(raw)) return null;
  const v = raw.trim();
  if (v.length > MAX_LOGIN_NAME) throw new Rejection('login_name.too_long', column, { limit: MAX_LOGIN_NAME });
  return v;
}

function name(raw: string, column: string | undefined, warn: Warn): string | null {
  if (isBlank(raw)) {
    if (column) warn('name.empty', 'name');
    return null;
  }
  const v = normaliseName(raw);
  if ([...v].length > MAX_NAME) throw new Rejection('name.too_long', column, { limit: MAX_NAME });
  return v;
}

type Identity = Pick<NormalisedRow, 'idType' | 'idNumber' | 'idValid' | 'idNumberUnverified'>;

function identity(rawType: string, rawNumber: string, profile: ImportProfile, resolve: (raw: string) => IdType | null, warn: Warn): Identity {
  const idType = resolve(isBlank(rawType) ? '' : rawType);
  if (!idType) throw new Rejection('id_type.unknown', profile.columns.id_type);
  const raw = isBlank(rawNumber) ? '' : rawNumber;
  const parsed = idType === 'resident_id' ? parseIdNumber(raw) : parseOtherIdNumber(raw);
  if (parsed.ok) {
    if ('upgraded' in parsed && parsed.upgraded) warn('id_number.upgraded', 'id_number');
    return { idType, idNumber: parsed.value, idValid: true, idNumberUnverified: null };
  }
  if (profile.on_invalid_id === 'reject') throw new Rejection(parsed.error, profile.columns.id_number);
  warn('id_number.unverified', 'id_number', { reason: parsed.error });
  const cleaned = raw === '' ? '' : cleanIdNumber(raw);
  return { idType, idNumber: null, idValid: false, idNumberUnverified: cleaned === '' ? null : cleaned };
}

function contact(raw: string, parse: (v: string) => { ok: true; value: string } | { ok: false }, field: 'phone' | 'email', warn: Warn): string | null {
  if (isBlank(raw)) return null;
  const r = parse(raw);
  if (r.ok) return r.value;
  warn(field === 'phone' ? 'phone.invalid' : 'email.invalid', field);
  return null;
}

function org(rawUscc: string, rawName: string, usccColumn: string | undefined, warn: Warn): Pick<NormalisedRow, 'uscc' | 'orgName'> {
  // Official names keep their full-width brackets: only whitespace is tidied.
  const orgName = isBlank(rawName) ? null : rawName.trim().replace(/\s+/g, ' ');
  if (isBlank(rawUscc)) {
    if (orgName) warn('org.uscc_missing', 'org_name');
    return { uscc: null, orgName };
  }
  const r = parseUscc(rawUscc);
  if (!r.ok) throw new Rejection(r.error, usccColumn);
  return { uscc: r.value, orgName };
}

function password(choice: SchemeChoice | null, get: (field: ColumnField) => string, profile: ImportProfile, warn: Warn): StoredLegacyHash | null {
  const raw = get('password_hash');
  if (!choice) {
    warn('password.empty', 'password_hash');
    return null;
  }
  const { scheme, params, needs } = choice;
  // Plaintext is a secret used byte for byte; hashes are tidied of the padding CHAR columns add.
  const hash = scheme.verbatim ? raw : isBlank(raw) ? '' : raw.trim();
  if (hash === '') {
    warn('password.empty', 'password_hash');
    return null;
  }
  const { columns } = profile;
  if (!scheme.shapeOk(hash, params)) throw new Rejection('hash.shape', columns.password_hash, { scheme: scheme.name });
  // Salt and login name are hashed exactly as the legacy system stored them: not trimmed.
  const salt = needs.includes('salt') ? get('salt') : '';
  if (needs.includes('salt') && isBlank(salt)) throw new Rejection('hash.salt_missing', columns.salt, { scheme: scheme.name });
  const login = needs.includes('loginName') ? get('login_name') : '';
  if (needs.includes('loginName') && isBlank(login)) throw new Rejection('hash.login_name_missing', columns.login_name, { scheme: scheme.name });
  return {
    scheme: scheme.name,
    hash,
    salt: needs.includes('salt') ? salt : null,
    params,
    loginName: needs.includes('loginName') ? login : null,
  };
}
