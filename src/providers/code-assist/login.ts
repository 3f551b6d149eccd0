import { toCredentials } from '../../auth/token-client.ts';
import type { LoginContext, LoginResult } from '../subscription.ts';
import { cloudCodeClient } from './api.ts';
import { googleLogin, type GoogleClientSettings } from './google-oauth.ts';
import { discoverProject, type ProjectDiscoveryOptions } from './project.ts';

/** How one Google subscription logs in: its redirect, and how it asks Cloud Code for the project. */
export interface CodeAssistLoginOptions {
  callback: { port: number; path: string; redirectHost: string };
  pkce: boolean;
  /** The Cloud Code host of the setup calls. */
  api: string;
  /** Identity headers of the setup calls. */
  headers: Record<string, string>;
  discovery: Omit<ProjectDiscoveryOptions, 'userProject'>;
}

/**
 * Google login, e-mail, then the Cloud Code project (from `--project` or config, checked
 * and completed by loadCodeAssist/onboardUser), stored as `extra.project`.
 */
export async function codeAssistLogin(
  context: Pick<LoginContext, 'fetch' | 'ui' | 'noBrowser' | 'timeoutMs' | 'project'> & { settings: GoogleClientSettings & { project?: string } },
  options: CodeAssistLoginOptions,
): Promise<LoginResult> {
  const { tokens, email } = await googleLogin({
    settings: context.settings,
    fetch: context.fetch,
    ui: context.ui,
    noBrowser: context.noBrowser,
    timeoutMs: context.timeoutMs,
    callback: options.callback,
    pkce: options.pkce,
  });
  const client = cloudCodeClient({ api: options.api, accessToken: tokens.accessToken, headers: options.headers, fetch: context.fetch });
  const spinner = context.ui.spinner('Looking up the Gemini Code Assist project…');
  try {
    const userProject = context.project ?? context.settings.project;
    const { project, tier } = await discoverProject(client, { ...options.discovery, ...(userProject ? { userProject } : {}) });
    spinner.succeed(`Project ${project} (${tier})`);
    return { credentials: toCredentials(tokens, { project }), ...(email ? { email } : {}) };
  } catch (error) {
    spinner.fail('No Gemini Code Assist project');
    throw error;
  }
}
