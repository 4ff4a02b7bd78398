// What an admin role reaches (三员分立), the exclusions, and the acr order.
import { describe, expect, it } from 'vitest';
import { accessFor, acrRank, exclusionBroken, reaches } from '../../src/admin/roles.ts';
import { ACR_VALUES } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/env.ts';

describe('admin roles', () => {
  it('a global role reaches everything; a department role only its departments; others nothing', () => {
    expect(accessFor([{ role: 'security', department: null }], ['security', 'department'])).toEqual({ all: true });
    expect(accessFor([{ role: 'department', department: 'GA' }, { role: 'department', department: 'RS' }], ['security', 'department'])).toEqual({ all: false, departments: ['GA', 'RS'] });
    expect(accessFor([{ role: 'department', department: 'GA' }], ['security'])).toBeNull();
    expect(accessFor([{ role: 'system', department: null }], ['audit'])).toBeNull();
    expect(accessFor([], ['system', 'security', 'audit', 'department'])).toBeNull();
    expect(reaches({ all: false, departments: ['GA'] }, 'GA')).toBe(true);
    expect(reaches({ all: false, departments: ['GA'] }, 'RS')).toBe(false);
    expect(reaches({ all: false, departments: ['GA'] }, null)).toBe(false);
  });

  it('exclusions come from ADMIN_ROLE_EXCLUSIONS (default system+audit)', () => {
    const def = loadConfig({}).admin.roleExclusions;
    expect(def).toEqual([['system', 'audit']]);
    expect(exclusionBroken(['system'], 'audit', def)).toEqual(['system', 'audit']);
    expect(exclusionBroken(['audit'], 'system', def)).toEqual(['system', 'audit']);
    expect(exclusionBroken(['security'], 'audit', def)).toBeNull();
    expect(loadConfig({ ADMIN_ROLE_EXCLUSIONS: 'none' }).admin.roleExclusions).toEqual([]);
    expect(() => loadConfig({ ADMIN_ROLE_EXCLUSIONS: 'system+root' })).toThrow(/ADMIN_ROLE_EXCLUSIONS/);
  });

  it('ADMIN_MIN_ACR defaults to mfa; acr values rank weakest first', () => {
    expect(loadConfig({}).admin.minAcr).toBe('urn:yitong:acr:mfa');
    expect(() => loadConfig({ ADMIN_MIN_ACR: 'strong' })).toThrow(/ADMIN_MIN_ACR/);
    expect(acrRank('urn:yitong:acr:pwd', ACR_VALUES)).toBeLessThan(acrRank('urn:yitong:acr:mfa', ACR_VALUES));
    expect(acrRank('urn:yitong:acr:phr', ACR_VALUES)).toBeGreaterThan(acrRank('urn:yitong:acr:mfa', ACR_VALUES));
    expect(acrRank(undefined, ACR_VALUES)).toBe(-1);
  });
});
