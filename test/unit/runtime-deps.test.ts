// What the production image runs (bin, src, migrations) imports only Node built-ins and the
// package's `dependencies`: the image installs with `npm ci --omit=dev`, so a devDependency
// imported at runtime would work in development and tests and fail only in production.
// Type-only imports are erased by Node's type stripping and may name devDependencies (@types/...).
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Bare specifiers a module loads at runtime (static imports and re-exports that are not type-only, dynamic imports). */
export function runtimeImports(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/(?:^|[\n;])\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?['"]([^'"]+)['"]/g)) {
    if (!m[1]) found.push(m[2]);
  }
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found.filter((s) => !s.startsWith('.') && !s.startsWith('/'));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

describe('runtime imports', () => {
  it('finds static, side-effect, re-exported and dynamic imports, and skips type-only ones', () => {
    const code = [
      "import fs from 'node:fs';",
      "import { sql, type Kysely } from 'kysely';",
      "import type { Provider } from 'oidc-provider';",
      "import {\n  a,\n  b,\n} from '@koa/router';",
      "import 'side-effect';",
      "export { x } from 'reexported/sub';",
      "export type { Y } from 'types-only';",
      "const m = await import('@electric-sql/pglite');",
      "import { local } from './local.ts';",
    ].join('\n');
    expect(runtimeImports(code)).toEqual(['node:fs', 'kysely', '@koa/router', 'side-effect', 'reexported/sub', '@electric-sql/pglite']);
  });

  it('bin, src and migrations import only Node built-ins and production dependencies', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const offending: string[] = [];
    const seen = new Set<string>();
    for (const file of ['bin', 'src', 'migrations'].flatMap(sourceFiles)) {
      for (const spec of runtimeImports(fs.readFileSync(path.join(root, file), 'utf8'))) {
        if (builtins.has(spec) || builtins.has(spec.split('/')[0])) continue;
        seen.add(packageName(spec));
        if (!(packageName(spec) in pkg.dependencies)) offending.push(`${file}: ${spec}`);
      }
    }
    expect(offending).toEqual([]);
    expect(seen).toContain('oidc-provider'); // the scan did read the sources
  });
});
