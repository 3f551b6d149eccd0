import { existsSync } from 'node:fs';
import chalk from 'chalk';
import type { Command } from 'commander';
import { exampleConfigText } from '../config/example.ts';
import { writeFileAtomic } from '../config/files.ts';
import { generateManagementKey, storeManagementKeyHash } from '../config/management-key.ts';
import { managementKeyPath, resolveConfigPath } from '../config/paths.ts';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create the config file and a management key')
    .option('--force', 'generate a new management key even if a config exists')
    .option('--config <path>', 'config file (default: $LLM_MUX_CONFIG or ~/.config/llm-mux/config.yaml)')
    .action(async (options: { force?: boolean; config?: string }) => {
      const configPath = resolveConfigPath(options.config);
      const exists = existsSync(configPath);
      if (exists && !options.force) {
        console.log(`${chalk.yellow('Nothing changed:')} ${configPath} already exists.`);
        console.log(`Run ${chalk.bold('llm-mux init --force')} to generate a new management key.`);
        return;
      }
      if (!exists) {
        await writeFileAtomic(configPath, exampleConfigText());
        console.log(`${chalk.green('Created')} ${configPath}`);
      }
      const key = generateManagementKey();
      await storeManagementKeyHash(managementKeyPath(configPath), key);
      console.log(`${exists ? 'New management' : 'Management'} key (shown once, only its hash is stored):`);
      console.log(`  ${chalk.bold(key)}`);
      console.log(chalk.dim('Send it as X-Management-Key to /v0/management.'));
    });
}
