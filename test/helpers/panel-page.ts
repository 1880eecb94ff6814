// The real trace panel in headless Chromium (playwright-core, /usr/bin/chromium): the HTML shell from
// src/extension/trace-html.ts with its CSP and nonce, media/trace-view.js, media/trace.js and media/trace.css,
// served by page.route (never the network), and a stubbed acquireVsCodeApi that records what the panel posts
// (window.__posted). Host messages go in with window.postMessage, as the webview host delivers them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { makeNonce, traceHtml } from '../../src/extension/trace-html';
import type { HostMessage } from '../../src/extension/trace-protocol';

const root = path.resolve(__dirname, '..', '..');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PANEL_ORIGIN = 'https://webview.test';
const PANEL_URL = `${PANEL_ORIGIN}/panel.html`;
const MEDIA = `${PANEL_ORIGIN}/media/`;

// A string, not a function: tsx would wrap a function's inner helpers in __name(), which the page lacks.
const VSCODE_STUB = `
  window.__posted = [];
  window.acquireVsCodeApi = function () {
    return { postMessage: function (m) { window.__posted.push(m); }, getState: function () { return undefined; }, setState: function () {} };
  };
`;

export interface PanelPage {
  page: Page;
  nonce: string;
  /** Every URL the page asked for. */
  requests: string[];
  /** Uncaught errors in the page. */
  errors: string[];
}

export interface PanelOptions {
  /** Load the page without its CSP (to test the escaping alone). */
  bypassCSP?: boolean;
  /** More script run before the panel's own (a string: see VSCODE_STUB). */
  initScript?: string;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH, headless: true, timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

/** The panel's HTML, its two scripts and its stylesheet; a 404 for anything else. */
async function serve(route: Route, nonce: string): Promise<void> {
  const url = route.request().url();
  const file = url.startsWith(MEDIA) ? url.slice(MEDIA.length) : '';
  if (url === PANEL_URL) {
    const html = traceHtml({ cspSource: PANEL_ORIGIN, nonce, scripts: [`${MEDIA}trace-view.js`, `${MEDIA}trace.js`], styles: [`${MEDIA}trace.css`] });
    await route.fulfill({ status: 200, contentType: 'text/html', body: html });
  } else if (/^[a-z-]+\.(js|css)$/.test(file)) {
    const contentType = file.endsWith('.js') ? 'text/javascript' : 'text/css';
    await route.fulfill({ status: 200, contentType, body: readFileSync(path.join(root, 'media', file), 'utf8') });
  } else {
    await route.fulfill({ status: 404, body: '' });
  }
}

/** Opens the panel in a new browser context and waits for its `ready` message. */
export async function openPanelPage(browser: Browser, options: PanelOptions = {}): Promise<PanelPage> {
  const context = await browser.newContext({ bypassCSP: options.bypassCSP ?? false });
  const page = await context.newPage();
  const nonce = makeNonce();
  const requests: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return serve(route, nonce);
  });
  await page.addInitScript(VSCODE_STUB + (options.initScript ?? ''));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(PANEL_URL);
  await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'));
  return { page, nonce, requests, errors };
}

/** Posts one host message to the panel (a plain JSON copy, as the webview host would deliver it). */
export async function postToPanel(page: Page, m: HostMessage): Promise<void> {
  await page.evaluate((msg) => window.postMessage(msg, '*'), JSON.parse(JSON.stringify(m)) as HostMessage);
}
