import { existsSync } from 'node:fs';
import chalk from 'chalk';
import { InvalidArgumentError, type Command } from 'commander';
import { loginCommand } from '../accounts/login-hint.ts';
import type { MemberStatus } from '../accounts/provider-pool.ts';
import { resolveConfigPath } from '../config/paths.ts';
import { createApp } from '../server/app.ts';
import { DEFAULT_GRACE_MS, listen, type RunningServer } from '../server/listen.ts';
import { Runtime } from '../server/runtime.ts';
import { CliError } from './output.ts';
import { VERSION } from './version.ts';

declare const Bun: { gc(synchronous: boolean): void } | undefined;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the proxy')
    .option('--port <port>', 'port to listen on (default from config: 8317)', parsePort)
    .option('--host <host>', 'address to listen on (default from config: 127.0.0.1)')
    .option('--config <path>', 'config file')
    .action(async (options: { port?: number; host?: string; config?: string }) => {
      const configPath = resolveConfigPath(options.config);
      const runtime = await Runtime.load({
        configPath,
        listenOverrides: { host: options.host, port: options.port },
        logWrite: (text) => process.stderr.write(chalk.dim(text)),
      });
      const server = await listen(createApp(runtime), runtime.listener.host, runtime.listener.port).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE') {
            throw new CliError(`port ${runtime.listener.port} is already in use (another llm-mux?); choose one with --port`);
          }
          throw error;
        },
      );
      printBanner(runtime, server);
      runtime.watchAccounts();
      runtime.tokens.start();
      // In the background: until a list is fetched, the cached or built-in one is offered.
      runtime.modelLists.start();
      stopOnSignals(runtime, server);
      process.on('exit', () => runtime.logger.flush());
      // Start-up's garbage (modules set up, config parsed) would wait for a collection an idle
      // daemon may not need for hours: one now (~5 ms) keeps about 1 MiB out of its idle RSS.
      if (typeof Bun !== 'undefined') Bun.gc(true);
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return port;
}

function printBanner(runtime: Runtime, server: RunningServer): void {
  const providers = runtime.state.router.providers;
  const modelCount = new Set(runtime.state.router.listModels().map((model) => model.id)).size;
  const management = existsSync(runtime.managementKeyFile)
    ? chalk.green('on') + chalk.dim(' (/v0/management)')
    : chalk.yellow('off') + chalk.dim(' (run `llm-mux init --force` to enable)');
  console.log(`${chalk.bold('llm-mux')} ${VERSION} listening on ${chalk.cyan(server.url)}`);
  console.log(
    providers.length > 0
      ? `  providers:  ${providers.map((provider) => provider.id).join(', ')} (${modelCount} models)`
      : `  providers:  ${chalk.yellow('none')} ${chalk.dim('(run `llm-mux login <provider>` or edit config.yaml)')}`,
  );
  const pools = providers.flatMap((provider) => (provider.pool ? [`${provider.id} ${accountSummary(provider.pool.status())}`] : []));
  if (pools.length > 0) console.log(`  accounts:   ${pools.join(', ')}`);
  for (const { record } of runtime.state.accounts.filter(({ record }) => record.state === 'needs-login')) {
    console.log(chalk.yellow(`  needs login: ${record.provider} "${record.label}": run \`${loginCommand(record.provider, record.label)}\``));
  }
  console.log(`  client auth: ${runtime.clientAuthRequired ? 'API key required' : 'off (loopback only)'}`);
  console.log(`  management: ${management}`);
  console.log(chalk.dim(`  config:     ${runtime.configPath}`));
}

/** e.g. `3 (2 in config.yaml, 1 disabled)`. */
function accountSummary(members: readonly MemberStatus[]): string {
  const notes = (
    [
      [members.filter((member) => member.source === 'config').length, 'in config.yaml'],
      [members.filter((member) => member.state === 'disabled').length, 'disabled'],
      [members.filter((member) => member.state === 'needs-login').length, 'need login'],
    ] as const
  ).flatMap(([count, what]) => (count > 0 ? [`${count} ${what}`] : []));
  return `${members.length}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/** First signal: drain for up to 10 s. A second one: stop at once. */
function stopOnSignals(runtime: Runtime, server: RunningServer): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    runtime.draining = true;
    runtime.modelLists.stop();
    console.log(`${signal}: finishing running requests (up to ${DEFAULT_GRACE_MS / 1000} s)…`);
    // A token refresh in progress is let finish: a rotated refresh token must reach the store.
    void Promise.all([server.close(DEFAULT_GRACE_MS), runtime.tokens.stop()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
