import type { LoginUi } from '../providers/subscription.ts';
import { deviceCodeMessage, pollForToken, requestDeviceCode, type DeviceFlowClient } from './device-flow.ts';
import { AuthError, describeDuration } from './errors.ts';
import type { TokenSet } from './token-client.ts';

export interface DeviceLoginUiOptions {
  ui: LoginUi;
  /** Only print the page to open (SSH, headless). */
  noBrowser: boolean;
  /** Stop waiting after this long, when sooner than the code's own expiry. */
  timeoutMs?: number;
}

/**
 * A device-code login in the terminal (GitHub, Qwen): shows the code and the page to
 * enter it on, opens that page unless told not to, and spins until the user approves.
 */
export async function loginWithDeviceCode(client: DeviceFlowClient, options: DeviceLoginUiOptions): Promise<TokenSet> {
  const { ui } = options;
  const issued = await requestDeviceCode(client);
  const device = options.timeoutMs === undefined ? issued : { ...issued, expiresAt: Math.min(issued.expiresAt, Date.now() + options.timeoutMs) };
  ui.print(deviceCodeMessage(device));
  if (!options.noBrowser) await ui.openBrowser(device.verificationUriComplete ?? device.verificationUri);
  const spinner = ui.spinner('Waiting for the login to be approved in the browser… (Ctrl-C to cancel)');
  try {
    const tokens = await pollForToken(client, device);
    spinner.succeed('Login approved');
    return tokens;
  } catch (error) {
    spinner.fail('Login failed');
    // Our --timeout ended the wait, not the provider: say so rather than "the code expired".
    if (error instanceof AuthError && error.code === 'expired_token' && device.expiresAt < issued.expiresAt) {
      throw new AuthError('timeout', `the login was not approved within ${describeDuration(options.timeoutMs!)} — run the login again`);
    }
    throw error;
  }
}
