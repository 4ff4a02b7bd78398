// Feature modules that hook into the core (custom prompts, claims, CLI commands, routes) are
// registered here, once, before the server or a command starts.
export async function loadExtensions(): Promise<void> {}
