import { isRecord } from '../../core/json.ts';
import { AuthError } from '../../auth/errors.ts';
import type { CloudCodeClient } from './api.ts';

/** The Code Assist tier that needs no project of the user's (Google supplies a managed one). */
const FREE_TIER = 'free-tier';

/** The `metadata` (google ClientMetadata) the official client sends with the setup calls. */
export type ClientMetadata = Record<string, string>;

export interface ProjectDiscoveryOptions {
  /** `--project` or config's `project`: the user's own Google Cloud project. */
  userProject?: string;
  metadata: ClientMetadata;
  /** Tier to onboard into when the account names neither a default nor a current one. */
  fallbackTier: string;
  /** Between operation polls; 5 s as Gemini CLI waits, short in tests. */
  pollIntervalMs: number;
  /** Polls before giving up on an onboarding that never finishes. */
  maxPolls: number;
}

/** How patiently an onboarding operation is polled: as Gemini CLI does, 5 s apart, two minutes in all. */
export type OnboardingPace = Pick<ProjectDiscoveryOptions, 'pollIntervalMs' | 'maxPolls'>;
export const DEFAULT_ONBOARDING_PACE: OnboardingPace = { pollIntervalMs: 5_000, maxPolls: 24 };

export interface DiscoveredProject {
  project: string;
  tier: string;
}

interface Tier {
  id?: string;
  isDefault?: boolean;
}

interface IneligibleTier {
  reasonCode?: string;
  reasonMessage?: string;
  validationUrl?: string;
}

/**
 * The Cloud Code project an account's requests must name, as Gemini CLI finds it:
 * loadCodeAssist says whether the account is set up (a current tier) and which project
 * it has; otherwise the account is onboarded into its default tier, which is a
 * long-running operation that ends with the project.
 */
export async function discoverProject(client: CloudCodeClient, options: ProjectDiscoveryOptions): Promise<DiscoveredProject> {
  const { userProject, metadata } = options;
  const loaded = await client.call('loadCodeAssist', {
    ...(userProject ? { cloudaicompanionProject: userProject } : {}),
    metadata: { ...metadata, ...(userProject ? { duetProject: userProject } : {}) },
  });
  const current = tierOf(loaded.currentTier);
  if (current) {
    const project = projectId(loaded.cloudaicompanionProject) ?? userProject;
    if (project) return { project, tier: tierOf(loaded.paidTier)?.id ?? current.id ?? options.fallbackTier };
  }
  const ineligible = ineligibleTiers(loaded);
  rejectValidationRequired(ineligible);
  const tier = defaultTier(loaded) ?? current?.id ?? options.fallbackTier;
  // Google's free tier brings its own project; asking for one there is refused ("Precondition Failed").
  const free = tier === FREE_TIER;
  if (!free && !userProject) throw noProjectError(ineligible);
  const started = await client.call('onboardUser', {
    tierId: tier,
    ...(free ? {} : { cloudaicompanionProject: userProject }),
    metadata: { ...metadata, ...(free ? {} : { duetProject: userProject }) },
  });
  const finished = await awaitOperation(client, started, options);
  const project = isRecord(finished.response) ? projectId(finished.response.cloudaicompanionProject) : undefined;
  const chosen = project ?? userProject;
  if (!chosen) throw noProjectError(ineligible);
  return { project: chosen, tier };
}

/** Polls a long-running operation until it is done. */
async function awaitOperation(
  client: CloudCodeClient,
  operation: Record<string, unknown>,
  options: Pick<ProjectDiscoveryOptions, 'pollIntervalMs' | 'maxPolls'>,
): Promise<Record<string, unknown>> {
  let current = operation;
  for (let polls = 0; current.done !== true; polls++) {
    rejectFailedOperation(current);
    if (typeof current.name !== 'string' || polls >= options.maxPolls) {
      throw new AuthError('authorization_error', 'onboarding the account to Gemini Code Assist did not finish — try the login again later');
    }
    await sleep(options.pollIntervalMs);
    current = await client.operation(current.name);
  }
  rejectFailedOperation(current);
  return current;
}

function rejectFailedOperation(operation: Record<string, unknown>): void {
  const { error } = operation;
  if (!isRecord(error)) return;
  const message = typeof error.message === 'string' ? error.message : 'unknown error';
  throw new AuthError('authorization_error', `onboarding the account to Gemini Code Assist failed: ${message}`);
}

/** An account that must be verified first: the user has to open Google's page. */
function rejectValidationRequired(ineligible: IneligibleTier[]): void {
  const validation = ineligible.find((tier) => tier.reasonCode === 'VALIDATION_REQUIRED' && tier.validationUrl);
  if (!validation) return;
  throw new AuthError(
    'authorization_error',
    `Google wants the account verified first${validation.reasonMessage ? ` (${validation.reasonMessage})` : ''}: open ${validation.validationUrl} , then run the login again`,
  );
}

/** No project to use: say why Google refused the tiers, or that the user must name a project. */
function noProjectError(ineligible: IneligibleTier[]): AuthError {
  const reasons = ineligible.map((tier) => tier.reasonMessage ?? tier.reasonCode).filter((reason): reason is string => !!reason);
  if (reasons.length > 0) return new AuthError('authorization_error', `this account cannot use Gemini Code Assist: ${reasons.join('; ')}`);
  return new AuthError(
    'authorization_error',
    'this account needs a Google Cloud project for Gemini Code Assist — run the login again with --project <project-id> (or set the project in config.yaml)',
  );
}

function defaultTier(loaded: Record<string, unknown>): string | undefined {
  const allowed = Array.isArray(loaded.allowedTiers) ? loaded.allowedTiers.map(tierOf) : [];
  return allowed.find((tier) => tier?.isDefault)?.id;
}

function ineligibleTiers(loaded: Record<string, unknown>): IneligibleTier[] {
  return Array.isArray(loaded.ineligibleTiers) ? loaded.ineligibleTiers.filter(isRecord) : [];
}

function tierOf(value: unknown): Tier | undefined {
  return isRecord(value) ? value : undefined;
}

/** The project field comes as a plain id or as `{id, name}`. */
function projectId(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  return isRecord(value) && typeof value.id === 'string' && value.id !== '' ? value.id : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
