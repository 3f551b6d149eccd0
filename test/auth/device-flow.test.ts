// The device authorization grant against the fake provider. Sleeps are recorded rather
// than waited, so the test sees the exact polling pace and stays fast.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceCodeMessage, deviceLogin, pollForToken, requestDeviceCode, type DeviceFlowClient } from '../../src/auth/device-flow.ts';
import { AuthError, TokenError } from '../../src/auth/errors.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';

let fake: FakeOAuthServer;
let client: DeviceFlowClient;
let sleeps: number[];
const sleep = async (ms: number) => void sleeps.push(ms);

beforeEach(async () => {
  fake = await startFakeOAuthServer();
  client = { url: `${fake.url}/token`, deviceCodeUrl: `${fake.url}/device/code`, clientId: fake.config.clientId, scope: 'read:user' };
  sleeps = [];
});
afterEach(() => fake.close());

describe('device flow', () => {
  it('shows the code, waits while authorization is pending, then gets tokens', async () => {
    fake.config.devicePolls = ['authorization_pending', 'authorization_pending'];
    const shown: string[] = [];
    const tokens = await deviceLogin(client, { show: (device) => void shown.push(deviceCodeMessage(device)), sleep });
    expect(shown).toEqual([`Open ${fake.url}/device?user_code=ABCD-1234 and check that it shows the code ABCD-1234 (expires in 15 minutes).`]);
    expect(tokens.accessToken).toMatch(/^access-/);
    expect(tokens.expiresAt).toBe(tokens.issuedAt + 3_600_000);
    expect(sleeps).toEqual([5000, 5000, 5000]);
    expect(fake.counts).toMatchObject({ deviceCode: 1, devicePoll: 3 });
    expect(fake.deviceCodeRequests[0]).toEqual({ client_id: 'test-client', scope: 'read:user' });
    expect(fake.tokenRequests[0]?.params).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: expect.any(String) });
  });

  it('adds 5 s per slow_down, also when errors come with status 200 (GitHub)', async () => {
    fake.config.deviceErrorStatus = 200;
    fake.config.devicePolls = ['authorization_pending', 'slow_down', 'authorization_pending', 'slow_down'];
    const device = await requestDeviceCode(client);
    expect(device.intervalMs).toBe(5000);
    await pollForToken(client, device, sleep);
    expect(sleeps).toEqual([5000, 5000, 10_000, 10_000, 15_000]);
  });

  it("takes the provider's new interval after slow_down when it is longer", async () => {
    fake.config.deviceInterval = 1;
    fake.config.devicePolls = ['slow_down'];
    await pollForToken(client, { ...(await requestDeviceCode(client)), intervalMs: 1000 }, sleep);
    expect(sleeps).toEqual([1000, 6000]);
  });

  it('says so when the code expires, and stops polling', async () => {
    fake.config.devicePolls = ['authorization_pending', 'expired_token'];
    const error = await pollForToken(client, await requestDeviceCode(client), sleep).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'expired_token', message: expect.stringMatching(/device code expired.*run the login again/) });
    expect(fake.counts.devicePoll).toBe(2);
  });

  it('does not poll past the expiry it was given', async () => {
    const device = { ...(await requestDeviceCode(client)), expiresAt: Date.now() - 1 };
    await expect(pollForToken(client, device, sleep)).rejects.toMatchObject({ code: 'expired_token' });
    expect(fake.counts.devicePoll).toBe(0);
  });

  it('reports a denied login', async () => {
    fake.config.devicePolls = ['access_denied'];
    await expect(pollForToken(client, await requestDeviceCode(client), sleep)).rejects.toMatchObject({
      code: 'access_denied',
      message: expect.stringContaining('denied in the browser'),
    });
  });

  it('sends a PKCE challenge with the device request and the verifier with each poll (Qwen)', async () => {
    fake.config.devicePolls = ['authorization_pending'];
    const qwen = { ...client, pkce: true };
    const device = await requestDeviceCode(qwen);
    expect(fake.deviceCodeRequests[0]).toMatchObject({ code_challenge: expect.any(String), code_challenge_method: 'S256' });
    expect(device.codeVerifier).toBeDefined();
    await pollForToken(qwen, device, sleep);
    expect(fake.tokenRequests.map((request) => request.params.code_verifier)).toEqual([device.codeVerifier, device.codeVerifier]);

    const other = await requestDeviceCode(qwen);
    const wrong = await pollForToken(qwen, { ...other, codeVerifier: device.codeVerifier }, sleep).catch((caught: unknown) => caught);
    expect(wrong).toBeInstanceOf(TokenError);
    expect(wrong).toMatchObject({ permanent: true, details: { oauthError: 'invalid_grant' } });
  });

  it('fails the device code request clearly', async () => {
    const error = await requestDeviceCode({ ...client, clientId: 'unknown' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).message).toMatch(/^device code request refused by 127\.0\.0\.1:\d+: invalid_client/);
  });

  it('words the message for providers without a prefilled link', () => {
    const device = { deviceCode: 'd', userCode: 'WXYZ-9876', verificationUri: 'https://github.com/login/device', expiresAt: 1000 + 899_000, intervalMs: 5000 };
    expect(deviceCodeMessage(device, 1000)).toBe('Open https://github.com/login/device and enter the code WXYZ-9876 (expires in 15 minutes).');
  });
});
