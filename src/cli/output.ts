import chalk from 'chalk';
import { ConfigError } from '../config/load.ts';
import { ProxyError } from '../core/errors.ts';

/** An error the user can fix: printed as one red line, no stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export function isUserError(error: unknown): error is Error {
  return error instanceof CliError || error instanceof ConfigError || error instanceof ProxyError;
}

/** Prints an error for a person and exits non-zero. Stacks only with LLM_MUX_DEBUG=1. */
export function exitWithError(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n');
  process.stderr.write(`${chalk.red(`error: ${lines[0]}`)}\n`);
  for (const line of lines.slice(1)) process.stderr.write(`${chalk.red(`       ${line}`)}\n`);
  if (!isUserError(error) && process.env.LLM_MUX_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${chalk.dim(error.stack)}\n`);
  }
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
