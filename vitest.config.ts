import { defineConfig } from 'vitest/config';

// One project per test folder, so that a part of the suite can be run on its own:
//   npm test                                          everything
//   npm test -- --project unit                        pure tests, no database (seconds)
//   npm test -- --project unit --project integration  what .ci/run repeats on PGlite
// Each project inherits the settings below (extends: true). There is no root `include`: inherited
// arrays are merged, so a root include would put every file into every project.
const project = (name: string) => ({
  extends: true as const,
  test: { name, include: [`test/${name}/**/*.test.ts`] },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // PGlite and argon2 are CPU-heavy; two cores on CI machines.
    maxWorkers: 2,
    env: { NODE_ENV: 'test' },
    projects: [project('unit'), project('integration'), project('e2e'), project('browser')],
  },
});
