#!/usr/bin/env node
// First: `serve` may restart itself here, before the rest of the CLI is loaded for nothing.
import './fetch-limit.ts';
import { Command } from 'commander';
import { registerAccounts } from './accounts.ts';
import { registerCredentials } from './credentials.ts';
import { registerInit } from './init.ts';
import { registerLogin } from './login.ts';
import { registerModels } from './models.ts';
import { exitWithError } from './output.ts';
import { registerServe } from './serve.ts';
import { VERSION } from './version.ts';

const program = new Command()
  .name('llm-mux')
  .description('Local LLM proxy: any client protocol to any provider account.')
  .version(VERSION, '-v, --version')
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ outputError: (text, write) => write(text) });

registerInit(program);
registerServe(program);
registerModels(program);
registerLogin(program);
// Before credentials: `accounts check-store` joins the `accounts` command.
registerAccounts(program);
registerCredentials(program);

program.parseAsync(process.argv).catch(exitWithError);
