import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where config.yaml lives: `--config`, then $LLM_MUX_CONFIG, then the XDG config home.
 * Everything else llm-mux keeps (management key hash, logs) sits beside it.
 */
export function resolveConfigPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = flag ?? env.LLM_MUX_CONFIG;
  if (explicit) return resolve(explicit);
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(configHome, 'llm-mux', 'config.yaml');
}

export function configDir(configPath: string): string {
  return dirname(configPath);
}

export function managementKeyPath(configPath: string): string {
  return join(configDir(configPath), 'management-key.json');
}
