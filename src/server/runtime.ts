import { watch } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { AccountCache, type LoadedAccount } from '../accounts/account-cache.ts';
import { type RefreshFn, TokenManager } from '../accounts/tokens.ts';
import { ConfigError, loadConfigFile, parseConfig } from '../config/load.ts';
import { sha256 } from '../config/management-key.ts';
import { writeFileAtomic } from '../config/files.ts';
import { configDir, managementKeyPath } from '../config/paths.ts';
import type { Config } from '../config/schema.ts';
import { Router } from '../gateway/router.ts';
import { UsageStats } from '../gateway/usage.ts';
import { Logger } from '../logging/logger.ts';
import { createUpstreamFetch, type UpstreamFetch } from '../providers/http.ts';
import { modelCachePath } from '../providers/model-cache.ts';
import { apiKeyProviders, buildProviders } from '../providers/provider.ts';
import { SUBSCRIPTION_IDS } from '../providers/subscription-defaults.ts';
import { refresherFor } from '../providers/subscriptions.ts';
import { ModelLists } from './model-lists.ts';
import { ProviderPools } from './provider-pools.ts';
import { isLoopbackHost } from '../core/hosts.ts';

export interface Listener {
  host: string;
  port: number;
}

export interface RuntimeOptions {
  configPath: string;
  /** `--host`/`--port` flags win over config.yaml. */
  listenOverrides?: Partial<Listener>;
  /** Where log lines are printed, a batch at a time (stderr under `serve`). */
  logWrite?: (text: string) => void;
}

/** What a config produces, swapped as one piece on hot reload. */
interface ConfigState {
  config: Config;
  text: string;
  router: Router;
  clientKeyHashes: Buffer[];
  fetch: UpstreamFetch;
  /** The stored accounts as loaded with this state (secrets stay in the providers' pools). */
  accounts: LoadedAccount[];
}

/**
 * The live state of one llm-mux process: config and everything derived from it, usage
 * counters and logs. Request handlers read `runtime.state` per request, so a reload is
 * picked up by the next request and never half-applied to a running one.
 */
export class Runtime {
  readonly usage = new UsageStats();
  readonly logger: Logger;
  /** Set while shutting down: new requests are refused. */
  draining = false;
  /** The stored accounts: the management API changes them through this. */
  readonly accounts: AccountCache;
  /** Subscription accounts' access tokens: refreshed ahead of expiry once started (`serve`), else on demand. */
  readonly tokens: TokenManager;
  /** The providers' model lists as fetched from upstreams: cached at load, refreshed in the background once started (`serve`). */
  readonly modelLists: ModelLists;
  private readonly pools: ProviderPools;
  private current!: ConfigState;
  /** Reloads take turns, so a slow one cannot install its older view over a newer one. */
  private reloading: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly configPath: string,
    /** Fixed at start: changing where we listen needs a restart. */
    readonly listener: Listener,
    private readonly listenOverrides: Partial<Listener>,
    private readonly logWrite?: (text: string) => void,
  ) {
    this.logger = new Logger({ level: 'info', bufferLines: 1000, write: logWrite });
    this.accounts = new AccountCache(configDir(configPath), (message) => this.logger.warn(message));
    this.tokens = new TokenManager({
      store: this.accounts.lazyStore(() => this.config['credential-store']),
      refreshers: this.refreshers(),
      logger: this.logger,
    });
    this.pools = new ProviderPools(this.tokens);
    this.modelLists = new ModelLists({
      cacheFile: modelCachePath(configPath),
      logger: this.logger,
      providers: () => this.state.router.providers,
      fetch: () => this.state.fetch,
      changed: () => this.applyModelLists(),
    });
  }

  /** Each subscription provider's refresh, with the endpoints and identity of the config in force when it runs. */
  private refreshers(): Record<string, RefreshFn> {
    return Object.fromEntries(
      SUBSCRIPTION_IDS.map((id): [string, RefreshFn] => [
        id,
        (credentials) => refresherFor(id, this.config, this.state.fetch)(credentials),
      ]),
    );
  }

  static async load(options: RuntimeOptions): Promise<Runtime> {
    const { config, text } = await loadConfigFile(options.configPath);
    const listener = {
      host: options.listenOverrides?.host ?? config.host,
      port: options.listenOverrides?.port ?? config.port,
    };
    checkAuthPolicy(config, listener.host, options.configPath);
    const runtime = new Runtime(options.configPath, listener, options.listenOverrides ?? {}, options.logWrite);
    await runtime.modelLists.loadCache();
    await runtime.apply(config, text);
    return runtime;
  }

  get state(): ConfigState {
    return this.current;
  }

  get config(): Config {
    return this.current.config;
  }

  /** Read per management request, so `llm-mux init --force` takes effect at once. */
  get managementKeyFile(): string {
    return managementKeyPath(this.configPath);
  }

  /** Whether `config` asks to listen elsewhere than we do (flags still win over config). */
  restartRequired(config: Config): boolean {
    const host = this.listenOverrides.host ?? config.host;
    const port = this.listenOverrides.port ?? config.port;
    return host !== this.listener.host || port !== this.listener.port;
  }

  /** Client keys are enforced unless auth is disabled on a loopback bind. */
  get clientAuthRequired(): boolean {
    return !(this.config.auth['disable-auth'] && isLoopbackHost(this.listener.host));
  }

  /**
   * Validates new config.yaml text, writes it atomically and applies it. An invalid text
   * throws ConfigError and changes neither the file nor the running state.
   */
  async replaceConfigText(text: string): Promise<Config> {
    const config = parseConfig(text, this.configPath);
    checkAuthPolicy(config, this.listener.host, this.configPath);
    return this.serially(async () => {
      const fetch = await createUpstreamFetch(config['proxy-url']);
      // Before the write: accounts.json that cannot be read fails the change, not the proxy.
      const accounts = await this.loadAccounts(config);
      await writeFileAtomic(this.configPath, text);
      this.install(config, text, fetch, accounts);
      this.logger.info('config reloaded', { providers: this.current.router.providers.length });
      return config;
    });
  }

  /** Re-reads the stored accounts (after a management change, a login or logout) and applies them. */
  reloadAccounts(): Promise<void> {
    return this.serially(async () => {
      const { config, text, fetch } = this.current;
      this.install(config, text, fetch, await this.loadAccounts(config));
    });
  }

  /** Puts newly fetched model lists in force: the same config and accounts, a new router (pools kept). */
  private applyModelLists(): Promise<void> {
    return this.serially(async () => {
      const { config, text, fetch, accounts } = this.current;
      this.install(config, text, fetch, accounts);
    });
  }

  /**
   * Reloads the accounts whenever accounts.json changes, so `llm-mux login` and `logout`
   * in another terminal reach the running daemon. Returns the function that stops watching.
   */
  watchAccounts(): () => void {
    let timer: NodeJS.Timeout | undefined;
    const reload = () =>
      this.reloadAccounts().then(
        () => this.logger.info('accounts reloaded', { accounts: this.current.accounts.length }),
        (error: Error) => this.logger.warn('accounts not reloaded', { error: error.message }),
      );
    // The directory, not the file: every write replaces the file by a rename.
    const watcher = watch(configDir(this.configPath), { persistent: false }, (_event, file) => {
      if (file !== basename(this.accounts.index.path)) return;
      // One reload for the burst of events a single write makes.
      clearTimeout(timer);
      timer = setTimeout(reload, 100);
    });
    watcher.on('error', (error) => this.logger.warn('not watching accounts.json', { error: error.message }));
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }

  private async apply(config: Config, text: string): Promise<void> {
    this.install(config, text, await createUpstreamFetch(config['proxy-url']), await this.loadAccounts(config));
  }

  private loadAccounts(config: Config): Promise<LoadedAccount[]> {
    const keyProviders = new Set(apiKeyProviders(config).map((provider) => provider.id));
    return this.accounts.load(config['credential-store'], (record) => keyProviders.has(record.provider));
  }

  /**
   * An account whose record changed (a new login, a logout, a refresh by another process)
   * may have new tokens in the store: the TokenManager reads them again on next use.
   */
  private forgetChangedTokens(accounts: readonly LoadedAccount[]): void {
    const before = new Map((this.current?.accounts ?? []).map(({ record }) => [record.id, JSON.stringify(record)]));
    const now = new Set(accounts.map(({ record }) => record.id));
    for (const { record } of accounts) if (before.get(record.id) !== JSON.stringify(record)) this.tokens.forget(record.id);
    for (const id of before.keys()) if (!now.has(id)) this.tokens.forget(id);
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.reloading.then(task, task);
    this.reloading = result.catch(() => {});
    return result;
  }

  private install(config: Config, text: string, fetch: UpstreamFetch, accounts: LoadedAccount[]): void {
    this.forgetChangedTokens(accounts);
    const logFile = config.logging.file;
    this.logger.configure({
      level: config.logging.level,
      bufferLines: config.logging['buffer-lines'],
      file: logFile && !isAbsolute(logFile) ? join(configDir(this.configPath), logFile) : logFile,
      write: this.logWrite,
    });
    const providers = buildProviders(config, new Set(accounts.map(({ record }) => record.provider)), this.modelLists.fetched);
    this.current = {
      config,
      text,
      router: new Router(this.pools.attach(providers, accounts)),
      clientKeyHashes: config.auth['api-keys'].map((key) => sha256(key)),
      fetch,
      accounts,
    };
    this.modelLists.providersChanged();
  }
}

/**
 * Refuses configs that would leave the proxy open or unusable: no keys while reachable
 * from other machines, or auth on with no key any client could send.
 */
function checkAuthPolicy(config: Config, host: string, file: string): void {
  if (config.auth['api-keys'].length > 0) return;
  if (!isLoopbackHost(host)) {
    throw new ConfigError([
      { file, path: 'auth.api-keys', message: `listening on ${host} (not loopback) requires at least one API key` },
    ]);
  }
  if (!config.auth['disable-auth']) {
    throw new ConfigError([
      { file, path: 'auth', message: 'disable-auth is false but api-keys is empty: no client could authenticate' },
    ]);
  }
}
