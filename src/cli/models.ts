import chalk from 'chalk';
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { resolveConfigPath } from '../config/paths.ts';
import { Router } from '../gateway/router.ts';
import { modelCachePath, readModelCache } from '../providers/model-cache.ts';
import { buildProviders } from '../providers/provider.ts';
import { accountIndex } from './store.ts';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the models the configured providers offer')
    .option('--config <path>', 'config file')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { config?: string; json?: boolean }) => {
      const configPath = resolveConfigPath(options.config);
      const { config } = await loadConfigFile(configPath);
      // Stored accounts enable their providers too; the index says which, without a secret.
      const accountProviders = new Set((await accountIndex(configPath).list()).map((record) => record.provider));
      // The lists the daemon last fetched from the upstreams; without them, the built-in ones.
      const fetched = await readModelCache(modelCachePath(configPath)).catch(() => new Map());
      const models = new Router(buildProviders(config, accountProviders, fetched)).listModels().map(({ id, provider }) => ({ id, provider: provider.id }));
      if (options.json) {
        console.log(JSON.stringify(models, null, 2));
        return;
      }
      if (models.length === 0) {
        console.log(`No models: no provider is configured. Run ${chalk.bold('llm-mux login <provider>')} or edit config.yaml.`);
        return;
      }
      const width = Math.max(...models.map((model) => model.id.length));
      for (const model of models) console.log(`${model.id.padEnd(width)}  ${chalk.dim(model.provider)}`);
    });
}
