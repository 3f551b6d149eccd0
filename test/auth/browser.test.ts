import { describe, expect, it } from 'vitest';
import { browserCommand, openBrowser, openOrPrint } from '../../src/auth/browser.ts';

const URL_WITH_QUERY = 'https://auth.example.com/authorize?client_id=a&state=b';

describe('browser', () => {
  it('picks the opener for the platform, and none for a Linux session without a display', () => {
    expect(browserCommand(URL_WITH_QUERY, 'darwin', {})).toEqual(['open', URL_WITH_QUERY]);
    expect(browserCommand(URL_WITH_QUERY, 'win32', {})).toEqual(['rundll32', 'url.dll,FileProtocolHandler', URL_WITH_QUERY]);
    expect(browserCommand(URL_WITH_QUERY, 'linux', { DISPLAY: ':0' })).toEqual(['xdg-open', URL_WITH_QUERY]);
    expect(browserCommand(URL_WITH_QUERY, 'linux', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual(['xdg-open', URL_WITH_QUERY]);
    expect(browserCommand(URL_WITH_QUERY, 'linux', {})).toBeUndefined();
  });

  it('reports whether the opener worked, without throwing when it is missing', async () => {
    expect(await openBrowser(URL_WITH_QUERY, ['true'])).toBe(true);
    expect(await openBrowser(URL_WITH_QUERY, ['false'])).toBe(false);
    expect(await openBrowser(URL_WITH_QUERY, ['/nonexistent/xdg-open'])).toBe(false);
  });

  it('prints the URL whether or not a browser opened', async () => {
    const printed: string[] = [];
    const print = (text: string) => void printed.push(text);
    const opener = async () => {
      throw new Error('must not open with --no-browser');
    };
    expect(await openOrPrint(URL_WITH_QUERY, { noBrowser: true, print, open: opener })).toBe(false);
    expect(await openOrPrint(URL_WITH_QUERY, { print, open: async () => false })).toBe(false);
    expect(await openOrPrint(URL_WITH_QUERY, { print, open: async () => true })).toBe(true);
    expect(printed).toEqual([
      `Open this URL in a browser to log in:\n  ${URL_WITH_QUERY}`,
      `Open this URL in a browser to log in:\n  ${URL_WITH_QUERY}`,
      `Opened your browser. If it did not show the login page, open:\n  ${URL_WITH_QUERY}`,
    ]);
  });
});
