/**
 * Every endpoint and client identity string the subscription providers use, in one
 * place, because upstreams check them and they change with the official clients'
 * releases (docs/providers.md says where each value was read). config.yaml overrides any
 * of them per provider: `providers.<id>.endpoints.<key>` and `providers.<id>.identity.<key>`.
 * Values are plain data: this module is read by the config schema.
 */
export const SUBSCRIPTION_DEFAULTS = {
  claude: {
    endpoints: {
      authorize: 'https://claude.ai/oauth/authorize',
      token: 'https://platform.claude.com/v1/oauth/token',
      api: 'https://api.anthropic.com/v1',
      /** What is left of the plan's 5-hour and weekly limits. */
      usage: 'https://api.anthropic.com/api/oauth/usage',
    },
    identity: {
      'client-id': '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
      scopes: 'org:create_api_key user:profile user:inference',
      /** The token endpoint rate-limits Claude Code's own agent string; Claude Code's calls there go out as axios. */
      'token-user-agent': 'axios/1.13.6',
      'user-agent': 'claude-cli/2.1.220 (external, cli)',
      'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14',
      'anthropic-version': '2023-06-01',
      /** The one beta flag the usage endpoint asks of an OAuth token. */
      'usage-beta': 'oauth-2025-04-20',
      'x-app': 'cli',
      'system-prompt': "You are Claude Code, Anthropic's official CLI for Claude.",
    },
  },
  codex: {
    endpoints: {
      authorize: 'https://auth.openai.com/oauth/authorize',
      token: 'https://auth.openai.com/oauth/token',
      api: 'https://chatgpt.com/backend-api/codex',
      /** What is left of the plan's rate-limit windows (and credits). */
      usage: 'https://chatgpt.com/backend-api/wham/usage',
    },
    identity: {
      'client-id': 'app_EMoamEEZ73f0CkXaXp7hrann',
      scopes: 'openid profile email offline_access',
      /** The ports of the redirect URIs registered for the client (http://localhost:<port>/auth/callback), tried in order. */
      'callback-port': '1455,1457',
      originator: 'codex_cli_rs',
      'client-version': '0.118.0',
      'user-agent': 'codex_cli_rs/0.118.0 (Linux; x86_64) unknown',
      /** Sent by third-party clients and accepted; whether Codex itself still sends it over HTTP is unconfirmed. */
      'openai-beta': 'responses=experimental',
    },
  },
  'gemini-cli': {
    endpoints: {
      authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
      token: 'https://oauth2.googleapis.com/token',
      userinfo: 'https://www.googleapis.com/oauth2/v2/userinfo',
      api: 'https://cloudcode-pa.googleapis.com',
    },
    identity: {
      'client-id': '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com',
      /** An installed-app client: Google ships this "secret" inside the public client by design. */
      'client-secret': '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',
      scopes: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
      /** `{model}` is replaced by the request's model. */
      'user-agent': 'GeminiCLI/0.34.0/{model} (linux; x64; terminal)',
      'x-goog-api-client': 'google-genai-sdk/1.41.0 gl-node/v22.19.0',
    },
  },
  antigravity: {
    endpoints: {
      authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
      token: 'https://oauth2.googleapis.com/token',
      userinfo: 'https://www.googleapis.com/oauth2/v2/userinfo',
      /** Tried first for generation; on network errors, 404 and 5xx the production host is next. */
      daily: 'https://daily-cloudcode-pa.googleapis.com',
      production: 'https://cloudcode-pa.googleapis.com',
    },
    identity: {
      'client-id': '1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com',
      'client-secret': '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',
      scopes:
        'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/cclog https://www.googleapis.com/auth/experimentsandconfigs',
      /** The redirect URI registered for the client: http://localhost:51121/oauth-callback. */
      'callback-port': '51121',
      version: '1.21.9',
      /** `{version}` is replaced by `version`. */
      'user-agent': 'antigravity/{version} linux/amd64',
      /** loadCodeAssist / onboardUser go out through Google's node client, whose name follows the IDE's. */
      'setup-user-agent': 'antigravity/{version} linux/amd64 google-api-nodejs-client/10.3.0',
      'x-goog-api-client': 'gl-node/22.21.1',
    },
  },
  copilot: {
    endpoints: {
      'device-code': 'https://github.com/login/device/code',
      token: 'https://github.com/login/oauth/access_token',
      'copilot-token': 'https://api.github.com/copilot_internal/v2/token',
      user: 'https://api.github.com/user',
      /** The plan and its monthly quotas (premium requests, chat, completions); asked with the GitHub token. */
      quota: 'https://api.github.com/copilot_internal/user',
      /** Used when the Copilot token names no API endpoint of its own. */
      api: 'https://api.githubcopilot.com',
    },
    identity: {
      'client-id': 'Iv1.b507a08c87ecfe98',
      scopes: 'read:user',
      'editor-version': 'vscode/1.100.0',
      'editor-plugin-version': 'copilot-chat/0.29.0',
      'user-agent': 'GitHubCopilotChat/0.29.0',
      'copilot-integration-id': 'vscode-chat',
      'x-github-api-version': '2025-05-01',
    },
  },
  qwen: {
    endpoints: {
      'device-code': 'https://chat.qwen.ai/api/v1/oauth2/device/code',
      token: 'https://chat.qwen.ai/api/v1/oauth2/token',
      /** Used when the token names no `resource_url`. */
      api: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    },
    identity: {
      'client-id': 'f0304373b74a44d2b584a3fb70ca9e56',
      scopes: 'openid profile email model.completion',
      'user-agent': 'QwenCode/0.24.4 (linux; x64)',
    },
  },
} as const satisfies Record<string, { endpoints: Record<string, string>; identity: Record<string, string> }>;

export type SubscriptionId = keyof typeof SUBSCRIPTION_DEFAULTS;

export const SUBSCRIPTION_IDS = Object.keys(SUBSCRIPTION_DEFAULTS) as SubscriptionId[];

type Defaults = typeof SUBSCRIPTION_DEFAULTS;

/** A provider's endpoints and identity strings: the defaults with config.yaml's overrides applied. */
export interface SubscriptionSettings<Id extends SubscriptionId = SubscriptionId> {
  endpoints: { readonly [K in keyof Defaults[Id]['endpoints']]: string };
  identity: { readonly [K in keyof Defaults[Id]['identity']]: string };
  /** Gemini Code Assist: the Google Cloud project from config (`providers.gemini-cli.project`). */
  project?: string;
}

export function subscriptionSettings<Id extends SubscriptionId>(
  id: Id,
  overrides: { endpoints?: Record<string, string | undefined>; identity?: Record<string, string | undefined>; project?: string } = {},
): SubscriptionSettings<Id> {
  const defaults = SUBSCRIPTION_DEFAULTS[id];
  return {
    endpoints: { ...defaults.endpoints, ...defined(overrides.endpoints) } as SubscriptionSettings<Id>['endpoints'],
    identity: { ...defaults.identity, ...defined(overrides.identity) } as SubscriptionSettings<Id>['identity'],
    ...(overrides.project ? { project: overrides.project } : {}),
  };
}

function defined(values: Record<string, string | undefined> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
