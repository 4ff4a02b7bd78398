// Feature modules hook into the core (custom prompts, claims, grant types, CLI commands, routes)
// through the registries in oidc/provider.ts, oidc/account.ts, interactions/routes.ts,
// cli/commands.ts and server.ts. Each module's register.ts is imported here, once, before the
// server or a command starts. Add one line per module.
const modules: (() => Promise<unknown>)[] = [
  () => import('./orgs/register.ts'),
  () => import('./legacy/register.ts'),
];

export async function loadExtensions(): Promise<void> {
  for (const load of modules) await load();
}
