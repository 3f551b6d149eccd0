import { z } from 'zod';
import { SUBSCRIPTION_DEFAULTS, type SubscriptionId } from '../providers/subscription-defaults.ts';

/**
 * The shape of config.yaml. Every object is strict so that a typo becomes an
 * "unknown key" error with a suggestion instead of a silently ignored setting.
 * Keys are kebab-case, as in the documented example file.
 */

const url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const modelEntry = z.union([
  z.string().min(1),
  z.strictObject({
    /** The name the upstream knows the model by. */
    name: z.string().min(1),
    /** The name clients use; defaults to `name`. */
    alias: z.string().min(1).optional(),
  }),
]);
export type ModelEntryConfig = z.infer<typeof modelEntry>;

/** How a provider's keys and accounts share its traffic (src/accounts/pool.ts). */
const selection = {
  strategy: z.enum(['round-robin', 'fill-first']).default('round-robin'),
  /** Seconds a conversation stays on the account that served it last; 0 turns affinity off. */
  'session-affinity-ttl': z.number().int().min(0).max(7 * 24 * 3600).default(0),
};

/** Model names (`*` matches any run of characters) the provider must not offer, e.g. `*-preview`. */
const excludedModels = { 'excluded-models': z.array(z.string().min(1)).optional() };

/** Offers the upstream's model `name` as `alias`, in the list config.yaml gives or in the one fetched from the upstream. */
const modelAlias = z.strictObject({ name: z.string().min(1), alias: z.string().min(1) });
export type ModelAliasConfig = z.infer<typeof modelAlias>;
const modelAliases = { 'model-aliases': z.array(modelAlias).optional() };

const apiKeyProvider = z.strictObject({
  'api-keys': z.array(z.string().min(1)).default([]),
  'base-url': url.optional(),
  models: z.array(modelEntry).optional(),
  ...excludedModels,
  ...modelAliases,
  ...selection,
});
export type ApiKeyProviderConfig = z.infer<typeof apiKeyProvider>;

const ollamaProvider = z.strictObject({
  'base-url': url.default('http://127.0.0.1:11434'),
  models: z.array(modelEntry).optional(),
  ...excludedModels,
  ...modelAliases,
});
export type OllamaProviderConfig = z.infer<typeof ollamaProvider>;

/** A name that can appear as a model prefix (`name/model`) and in URLs. */
const providerName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a lowercase name of letters, digits, ".", "_" or "-"');

const openaiCompatibleProvider = z.strictObject({
  name: providerName,
  'base-url': url,
  /** The API the upstream speaks; most third-party servers speak OpenAI Chat. */
  protocol: z.enum(['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'ollama']).default('openai-chat'),
  'api-keys': z.array(z.string().min(1)).default([]),
  /** Absent: the upstream's own list (`<base-url>/models`, Ollama's `/api/tags`), as the daemon fetches it. */
  models: z.array(modelEntry).min(1, 'list at least one model this upstream serves, or leave `models` out').optional(),
  ...excludedModels,
  ...modelAliases,
  ...selection,
});

/**
 * A subscription (OAuth) provider: its accounts come from `llm-mux login <id>`; config
 * only overrides what src/providers/subscription-defaults.ts holds (endpoints, the
 * identity strings upstreams check) and shapes its model list and rotation.
 */
function subscriptionProvider<Id extends SubscriptionId>(id: Id) {
  const { endpoints, identity } = SUBSCRIPTION_DEFAULTS[id];
  const optionalEach = <T extends z.ZodType>(keys: object, value: T) =>
    z.strictObject(Object.fromEntries(Object.keys(keys).map((key) => [key, value.optional()])) as Record<string, z.ZodOptional<T>>);
  return z.strictObject({
    endpoints: optionalEach(endpoints, url).optional(),
    identity: optionalEach(identity, z.string().min(1)).optional(),
    models: z.array(modelEntry).optional(),
    ...excludedModels,
    ...modelAliases,
    ...selection,
    ...(id === 'gemini-cli' || id === 'antigravity' ? googleProject : {}),
  });
}
export type SubscriptionProviderConfig = z.infer<ReturnType<typeof subscriptionProvider>>;

/** The Google Cloud project for Code Assist accounts that need one (`llm-mux login gemini --project` wins). */
const googleProject = { project: z.string().min(1).optional() };
export type OpenAICompatibleProviderConfig = z.infer<typeof openaiCompatibleProvider>;

const providers = z
  .strictObject({
    openai: apiKeyProvider.optional(),
    anthropic: apiKeyProvider.optional(),
    gemini: apiKeyProvider.optional(),
    openrouter: apiKeyProvider.optional(),
    ollama: ollamaProvider.optional(),
    claude: subscriptionProvider('claude').optional(),
    codex: subscriptionProvider('codex').optional(),
    'gemini-cli': subscriptionProvider('gemini-cli').optional(),
    antigravity: subscriptionProvider('antigravity').optional(),
    copilot: subscriptionProvider('copilot').optional(),
    qwen: subscriptionProvider('qwen').optional(),
    'openai-compatible': z.array(openaiCompatibleProvider).default([]),
  })
  .superRefine((value, ctx) => {
    const seen = new Set<string>(['openai', 'anthropic', 'gemini', 'openrouter', 'ollama', ...Object.keys(SUBSCRIPTION_DEFAULTS)]);
    value['openai-compatible'].forEach((entry, index) => {
      if (seen.has(entry.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['openai-compatible', index, 'name'],
          message: `the provider name "${entry.name}" is already used`,
        });
      }
      seen.add(entry.name);
    });
  });

export const configSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8317),
  auth: z
    .strictObject({
      'disable-auth': z.boolean().default(true),
      'api-keys': z.array(z.string().min(8, 'API keys must be at least 8 characters')).default([]),
    })
    .prefault({}),
  providers: providers.prefault({}),
  'request-retry': z.number().int().min(0).max(10).default(2),
  /** Where account secrets live: the OS keychain, a 0600 file, or the keychain when it works. */
  'credential-store': z.enum(['auto', 'keychain', 'file']).default('auto'),
  images: z
    .strictObject({
      /** Fetch image URLs on private or loopback addresses (off: a request could probe the LAN). */
      'allow-private-urls': z.boolean().default(false),
      'max-bytes': z.number().int().min(1024).default(20 * 1024 * 1024),
    })
    .prefault({}),
  'proxy-url': z.union([z.url({ protocol: /^https?$/, error: 'expected an http(s) proxy URL' }), z.literal('')]).default(''),
  logging: z
    .strictObject({
      level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
      file: z.string().min(1).optional(),
      'buffer-lines': z.number().int().min(10).max(100_000).default(1000),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
