import { ProxyError } from '../core/errors.ts';
import { BUILTIN_PROVIDERS } from '../providers/definitions.ts';
import type { Provider } from '../providers/provider.ts';

export interface Route {
  provider: Provider;
  /** The model name to send upstream. */
  upstreamModel: string;
}

/** Prefixes people use for a provider besides its config name (`claude://claude-sonnet-4-5`). */
const PROVIDER_ALIASES: Record<string, string> = { claude: 'anthropic', google: 'gemini' };

/**
 * Maps a client's model name to the providers that serve it. Exact names win (OpenRouter
 * ids contain slashes); then `provider://model` and `provider/model` force a provider
 * and pass the rest through unchanged, even if it is not in that provider's list.
 */
export class Router {
  private readonly byModel = new Map<string, Route[]>();
  private readonly byProvider = new Map<string, Provider>();

  constructor(readonly providers: readonly Provider[]) {
    for (const provider of providers) {
      this.byProvider.set(provider.id, provider);
      for (const model of provider.models) {
        const routes = this.byModel.get(model.id) ?? [];
        routes.push({ provider, upstreamModel: model.upstream });
        this.byModel.set(model.id, routes);
      }
    }
  }

  /** Every (model, provider) pair, in config order. */
  listModels(): Array<{ id: string; provider: Provider }> {
    return this.providers.flatMap((provider) => provider.models.map((model) => ({ id: model.id, provider })));
  }

  /** Each model name once, with the provider that serves it first: what model lists show. */
  uniqueModels(): Array<{ id: string; provider: Provider }> {
    return [...this.byModel].map(([id, routes]) => ({ id, provider: routes[0]!.provider }));
  }

  /** The routes for `model`, best first. Throws a ProxyError the client can act on. */
  resolve(model: string): Route[] {
    const exact = this.byModel.get(model);
    if (exact) return exact;

    const forced = this.forcedRoute(model);
    if (forced) return [forced];

    if (this.providers.length === 0) {
      throw new ProxyError('unavailable', `No provider is configured to serve "${model}". ${loginHint(model)}`, {
        code: 'no_provider',
      });
    }
    const family = familyProvider(model);
    if (family && !this.byProvider.has(family.id)) {
      throw new ProxyError('unavailable', `"${model}" needs the ${family.label} provider, which is not configured. Run \`${family.loginCommand}\`.`, {
        code: 'no_provider',
      });
    }
    throw new ProxyError('not_found', `The model "${model}" does not exist or no configured provider serves it. GET /v1/models lists the available models.`, {
      code: 'model_not_found',
      param: 'model',
    });
  }

  private forcedRoute(model: string): Route | undefined {
    const forced = splitForced(model);
    if (!forced) return undefined;
    // `claude://` is the Claude subscription when there is one, else the Anthropic API.
    const provider = this.byProvider.get(forced.prefix) ?? this.byProvider.get(forced.providerId);
    if (!provider) return undefined;
    // An alias under a forced provider still maps to its upstream name.
    const upstreamModel = provider.models.find((entry) => entry.id === forced.name)?.upstream ?? forced.name;
    return { provider, upstreamModel };
  }
}

/** `provider://model` or `provider/model`: the prefix as written, and with provider aliases resolved. */
function splitForced(model: string): { prefix: string; providerId: string; name: string } | undefined {
  const match = /^([a-z0-9][a-z0-9._-]*):\/\/(.+)$/.exec(model) ?? /^([a-z0-9][a-z0-9._-]*)\/(.+)$/.exec(model);
  if (!match) return undefined;
  return { prefix: match[1]!, providerId: PROVIDER_ALIASES[match[1]!] ?? match[1]!, name: match[2]! };
}

/** The built-in provider a model belongs to: named by a forced prefix (`claude://…`) or by its family. */
function familyProvider(model: string) {
  const forcedId = splitForced(model)?.providerId;
  for (const [id, definition] of Object.entries(BUILTIN_PROVIDERS)) {
    if (id === forcedId || definition.families.some((family) => family.test(model))) return { id, ...definition };
  }
  return undefined;
}

function loginHint(model: string): string {
  const family = familyProvider(model);
  return family
    ? `Run \`${family.loginCommand}\` or add a provider to config.yaml.`
    : 'Run `llm-mux login <provider>` or add a provider to config.yaml.';
}
