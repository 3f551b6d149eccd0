import { isAbsolute, join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../config/load.ts';
import { sha256 } from '../config/management-key.ts';
import { writeFileAtomic } from '../config/files.ts';
import { configDir, managementKeyPath } from '../config/paths.ts';
import type { Config } from '../config/schema.ts';
import { Router } from '../gateway/router.ts';
import { UsageStats } from '../gateway/usage.ts';
import { Logger } from '../logging/logger.ts';
import { createUpstreamFetch, type UpstreamFetch } from '../providers/http.ts';
import { buildProviders } from '../providers/provider.ts';
import { isLoopbackHost } from './security.ts';

export interface Listener {
  host: string;
  port: number;
}

export interface RuntimeOptions {
  configPath: string;
  /** `--host`/`--port` flags win over config.yaml. */
  listenOverrides?: Partial<Listener>;
  /** Where log lines are printed (stderr under `serve`). */
  logWrite?: (line: string) => void;
}

/** What a config produces, swapped as one piece on hot reload. */
interface ConfigState {
  config: Config;
  text: string;
  router: Router;
  clientKeyHashes: Buffer[];
  fetch: UpstreamFetch;
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
  private current!: ConfigState;

  private constructor(
    readonly configPath: string,
    /** Fixed at start: changing where we listen needs a restart. */
    readonly listener: Listener,
    private readonly listenOverrides: Partial<Listener>,
    private readonly logWrite?: (line: string) => void,
  ) {
    this.logger = new Logger({ level: 'info', bufferLines: 1000, write: logWrite });
  }

  static async load(options: RuntimeOptions): Promise<Runtime> {
    const { config, text } = await loadConfigFile(options.configPath);
    const listener = {
      host: options.listenOverrides?.host ?? config.host,
      port: options.listenOverrides?.port ?? config.port,
    };
    checkAuthPolicy(config, listener.host, options.configPath);
    const runtime = new Runtime(options.configPath, listener, options.listenOverrides ?? {}, options.logWrite);
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
    const fetch = await createUpstreamFetch(config['proxy-url']);
    await writeFileAtomic(this.configPath, text);
    this.install(config, text, fetch);
    this.logger.info('config reloaded', { providers: this.current.router.providers.length });
    return config;
  }

  private async apply(config: Config, text: string): Promise<void> {
    this.install(config, text, await createUpstreamFetch(config['proxy-url']));
  }

  private install(config: Config, text: string, fetch: UpstreamFetch): void {
    const logFile = config.logging.file;
    this.logger.configure({
      level: config.logging.level,
      bufferLines: config.logging['buffer-lines'],
      file: logFile && !isAbsolute(logFile) ? join(configDir(this.configPath), logFile) : logFile,
      write: this.logWrite,
    });
    this.current = {
      config,
      text,
      router: new Router(buildProviders(config)),
      clientKeyHashes: config.auth['api-keys'].map((key) => sha256(key)),
      fetch,
    };
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
