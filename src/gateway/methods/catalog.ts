/** Catalog methods: models.list, agents.list, commands.list, tools.catalog, tools.effective. */
import { z } from 'zod';
import { WORKERS_CAPABILITIES } from '../../env.ts';
import { defineMethod } from '../registry.ts';
import { DEFAULT_AGENT_ID } from './system.ts';

/** `models.list`: presets + configured providers; keys are never included. */
export const modelsList = defineMethod({
  name: 'models.list',
  scope: 'operator.read',
  params: z.looseObject({ provider: z.string().max(64).optional() }),
  async handler(ctx, p) {
    // Loaded on demand: the provider tables are not needed by an idle gateway.
    const [{ resolvedModelsOf }, { buildModelCatalog }, { storedProviderKeys }] = await Promise.all([
      import('../../providers/env-models.ts'),
      import('../../providers/catalog.ts'),
      import('../../providers/stored-keys.ts'),
    ]);
    const stored = await storedProviderKeys(ctx.env.DB).catch(() => ({}));
    const catalog = buildModelCatalog(resolvedModelsOf(ctx.env, stored));
    return { ...catalog, models: p.provider ? catalog.models.filter((m) => m.provider === p.provider) : catalog.models };
  },
});

/** `agents.list`: the agents this gateway runs (one default agent today). */
export const agentsList = defineMethod({
  name: 'agents.list',
  scope: 'operator.read',
  params: z.looseObject({}),
  handler: async () => ({ defaultId: DEFAULT_AGENT_ID, agents: [{ id: DEFAULT_AGENT_ID, name: 'main', isDefault: true }] }),
});

/** Slash commands understood in channel messages. */
const COMMANDS = [
  { name: 'new', description: 'Start a fresh session window' },
  { name: 'reset', description: 'Reset the session' },
  { name: 'queue', description: 'Set how new messages behave while a run is active (steer|followup|collect|interrupt)' },
  { name: 'stop', description: 'Abort the active run and queued turns' },
  { name: 'status', description: 'Show session status' },
  { name: 'whoami', description: 'Show your sender id' },
  { name: 'model', description: 'List models (/model list [provider]) or set this session\'s model (/model <provider>/<model>)' },
  { name: 'set', description: 'Owner only, in a DM: /set api key <provider> <key> (the message is deleted after the key is stored)' },
  { name: 'help', description: 'List commands' },
];

/** `commands.list`. */
export const commandsList = defineMethod({
  name: 'commands.list',
  scope: 'operator.read',
  params: z.looseObject({}),
  handler: async () => ({ commands: COMMANDS }),
});

/** `tools.catalog`: the tools this host offers the model (capability-gated). */
export const toolsCatalog = defineMethod({
  name: 'tools.catalog',
  scope: 'operator.read',
  params: z.looseObject({}),
  async handler(ctx) {
    const [{ createToolHost }, { createWebFetchTool }, { catalogAgentTools }] = await Promise.all([import('../../tools/host.ts'), import('../../tools/web-fetch.ts'), import('../../tools/agent-tools.ts')]);
    const host = createToolHost({ tools: [...((await ctx.env.TOOLS?.()) ?? [createWebFetchTool()]), ...catalogAgentTools()], capabilities: ctx.env.CAPABILITIES ?? WORKERS_CAPABILITIES });
    return { tools: host.list().map((t) => ({ name: t.function.name, description: t.function.description, parameters: t.function.parameters })) };
  },
});

/** `tools.effective`: the tools the model is offered in a context, after the active tool policy. */
export const toolsEffective = defineMethod({
  name: 'tools.effective',
  scope: 'operator.read',
  params: z.strictObject({
    sessionKey: z.string().min(1).max(512).optional(),
    channel: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'expected a channel id such as telegram').optional(),
    provider: z.string().min(1).max(64).optional(),
    model: z.string().min(1).max(200).optional(),
    sender: z.string().min(1).max(200).optional(),
  }),
  async handler(ctx, p) {
    const [{ createToolHost }, { createWebFetchTool }, { activePolicyFor }, { toolAllowed }, { parseModelRef }, { catalogAgentTools }] = await Promise.all([
      import('../../tools/host.ts'),
      import('../../tools/web-fetch.ts'),
      import('../../defender/active-policy.ts'),
      import('../../defender/tool-policy.ts'),
      import('../../providers/resolve.ts'),
      import('../../tools/agent-tools.ts'),
    ]);
    // A session key implies its channel (agent:<id>:<channel>:…) and its model override.
    const parts = p.sessionKey?.split(':') ?? [];
    const channel = p.channel ?? (parts.length > 3 && parts[2] !== 'main' ? parts[2] : undefined);
    const modelRef = p.model ?? (p.sessionKey ? (await ctx.env.SESSIONS.getByName(p.sessionKey).snapshot(0)).overrides.model : undefined);
    let provider = p.provider;
    let model: string | undefined;
    if (modelRef) {
      try {
        const ref = parseModelRef(modelRef);
        provider ??= ref.provider;
        model = `${ref.provider}/${ref.model}`;
      } catch {
        model = undefined;
      }
    }
    const toolCtx = { ...(channel ? { channel } : {}), ...(provider ? { provider } : {}), ...(model ? { model } : {}), ...(p.sender ? { sender: p.sender } : {}) };
    const policy = (await activePolicyFor(ctx.env)).policy.tools;
    const host = createToolHost({ tools: [...((await ctx.env.TOOLS?.()) ?? [createWebFetchTool()]), ...catalogAgentTools()], capabilities: ctx.env.CAPABILITIES ?? WORKERS_CAPABILITIES });
    const tools: { name: string; description: string }[] = [];
    const denied: { name: string; step: string }[] = [];
    for (const t of host.list()) {
      const verdict = toolAllowed(t.function.name, policy, toolCtx);
      if (verdict.allowed) tools.push({ name: t.function.name, description: t.function.description });
      else denied.push({ name: t.function.name, step: verdict.step ?? 'policy' });
    }
    return { context: toolCtx, profile: policy.profile ?? null, tools, denied };
  },
});

/** Every catalog method. */
export const CATALOG_METHODS = [modelsList, agentsList, commandsList, toolsCatalog, toolsEffective];
