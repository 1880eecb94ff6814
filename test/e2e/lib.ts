// Shared helpers of the e2e suite: one VS Code (code-server) session driven through headless Chromium, with the
// packaged .vsix installed, and the UI moves the tests make (palette, tree, context menus, notifications,
// dialogs, the trace panel, screenshots). Recipe: /work/shared/E2E-RECIPE.md; server: scripts/vscode-server.mjs.
//
// A test file starts one session in its `before` (startSession) and stops it in `after`; its tests share it.
// Where Chromium or the build tools are missing (not CI) startSession returns { skip } and the tests skip with
// that one line; with CI=true it throws instead.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import type { startSandbox } from '../../src/sandbox';

export type VsServer = typeof import('../../scripts/vscode-server.mjs', { with: { 'resolution-mode': 'import' } });
type Packager = typeof import('../../scripts/package.mjs', { with: { 'resolution-mode': 'import' } });
export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
type Running = Awaited<ReturnType<VsServer['startCodeServer']>>;

export const root = path.resolve(__dirname, '..', '..');
export const artifacts = path.join(root, 'artifacts', 'e2e');
export const CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];
export const KEY_HEADER = 'Ocp-Apim-Subscription-Key';

/** Bounded waits (ms). Generous: a cold code-server build is paid in `before`, not in a test. */
export const T = { workbench: 90_000, ui: 30_000, op: 45_000 };

export const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Why the suite cannot run here (no Chromium, no build tools for a first build), or undefined. */
export function skipReason(vs: VsServer | undefined): string | undefined {
  if (!existsSync(chromiumPath)) return `e2e skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (vs) {
    const p = vs.paths();
    const missing = existsSync(p.codeServerStamp) ? [] : vs.missingBuildDeps();
    if (missing.length) return `e2e skipped: building code-server needs ${missing.join(', ')} (apt-get install -y build-essential python3)`;
  }
  return undefined;
}

/** Polls `cond` every 200 ms until it holds, or throws naming `what`. */
export async function waitFor(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = T.op): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface SessionOptions {
  /** names the run folder (.vscode-test/e2e-NAME) */
  name: string;
  /** files written into the workspace folder before VS Code starts (relative path → content) */
  files?: Record<string, string>;
}

export interface Session {
  ui: Ui;
  server: Running;
  browser: Browser;
  /** the workspace folder VS Code has open */
  folder: string;
  timings: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * Packages the extension, ensures the cached code-server build, writes the workspace, starts code-server with
 * the .vsix installed, opens the workbench in headless Chromium. `{ skip }` when the suite cannot run here.
 */
export async function startSession(opts: SessionOptions): Promise<Session | { skip: string }> {
  const vs: VsServer = await import('../../scripts/vscode-server.mjs');
  const reason = skipReason(vs);
  if (reason) {
    if (CI) throw new Error(`${reason.replace(/^e2e skipped: /, 'e2e cannot run: ')} (CI=true: a failure, not a skip)`);
    return { skip: reason };
  }
  const runDir = path.join(root, '.vscode-test', `e2e-${opts.name}`);
  mkdirSync(artifacts, { recursive: true });
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const timings: Record<string, number> = {};

  let t0 = Date.now();
  const pkg: Packager = await import('../../scripts/package.mjs');
  const { vsixPath } = pkg.packageExtension({ out: path.join(runDir, 'scim-explorer-e2e.vsix'), quiet: true });
  timings.packageMs = Date.now() - t0;

  t0 = Date.now();
  await vs.ensureCodeServer({ env: vs.withoutKerberosHeaders() });
  timings.codeServerMs = Date.now() - t0;

  const folder = path.join(runDir, 'workspace');
  mkdirSync(folder, { recursive: true });
  for (const [file, text] of Object.entries(opts.files ?? {})) writeFileSync(path.join(folder, file), text);

  t0 = Date.now();
  const server = await vs.startCodeServer({
    vsixPath, folder, userDataDir: path.join(runDir, 'user-data'), extensionsDir: path.join(runDir, 'extensions'), port: 0,
  });
  timings.serverStartMs = Date.now() - t0;
  let browser: Browser | undefined;
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(T.ui);
    t0 = Date.now();
    await page.goto(server.url, { timeout: T.workbench });
    await page.locator('.monaco-workbench').waitFor({ timeout: T.workbench });
    timings.workbenchMs = Date.now() - t0;
    const b = browser;
    return {
      ui: new Ui(page, server.userDataDir), server, browser: b, folder, timings,
      async stop() {
        await b.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    throw e;
  }
}

/** One line of the session's timings, for the test log. */
export function timingsLine(timings: Record<string, number>): string {
  return Object.entries(timings).map(([k, v]) => `${k}=${k.endsWith('Ms') ? `${(v / 1000).toFixed(1)}s` : v}`).join(' ');
}

export interface Toast { el: Locator; text: string }

/** The UI moves of the tests, on one workbench page. */
export class Ui {
  constructor(readonly page: Page, private readonly userDataDir: string) {}

  /** Saves a screenshot of the whole window as artifacts/e2e/NAME; returns its path. */
  async shot(name: string): Promise<string> {
    const file = path.join(artifacts, name);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Runs a command from the palette (F1) by its title. */
  async command(title: string): Promise<void> {
    const pg = this.page;
    const input = pg.locator('.quick-input-widget input');
    for (let attempt = 1; ; attempt++) {
      await pg.keyboard.press('Escape');
      await pg.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        await input.fill(`>${title}`, { timeout: 5_000 });
        await pg.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible', timeout: 10_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
        // a focused webview (the trace panel) keeps the key to itself, or the palette closed as the focus moved:
        // move the focus to the side bar's title and open it again
        await pg.locator('.sidebar .composite.title').first().click().catch(() => undefined);
      }
    }
    await pg.keyboard.press('Enter');
  }

  /** Shows the SCIM view from its activity bar icon (unless it is already the side bar's view). */
  async openScimView(): Promise<void> {
    // one view in the container: its title is merged into the side bar's ("SCIM: Explorer")
    const title = this.page.locator('.sidebar .composite.title', { hasText: /SCIM/ }).first();
    if (await title.isVisible().catch(() => false)) return;
    const activity = this.page.locator('.activitybar').getByRole('tab', { name: /^SCIM/ }).first();
    await activity.waitFor({ state: 'visible', timeout: T.workbench });
    await activity.click();
    await title.waitFor({ state: 'visible' });
  }

  /** The first tree item whose accessible name starts with `label` (a word boundary after it), or matches. */
  treeItem(label: string | RegExp, within?: Locator): Locator {
    const scope = within ?? this.page.locator('.pane-body');
    const name = typeof label === 'string' ? new RegExp(`^${esc(label)}(\\s|$)`) : label;
    return scope.getByRole('treeitem', { name }).first();
  }

  /** Expands a tree item, and again if a refresh of the tree (profiles reloaded) folds it back meanwhile. */
  async expand(item: Locator): Promise<void> {
    await item.waitFor({ state: 'visible' });
    const expanded = async () => (await item.getAttribute('aria-expanded').catch(() => null)) === 'true';
    const deadline = Date.now() + T.op;
    while (Date.now() < deadline) {
      if (await expanded()) {
        await this.page.waitForTimeout(300); // still expanded a moment later: no refresh folded it
        if (await expanded()) return;
        continue;
      }
      await item.click().catch(() => undefined);
      for (const until = Date.now() + 3000; Date.now() < until && !(await expanded());) await this.page.waitForTimeout(100);
    }
    throw new Error(`tree item did not expand: ${await item.getAttribute('aria-label').catch(() => '?')}`);
  }

  /** Folds a tree item when it is expanded. */
  async collapse(item: Locator): Promise<void> {
    if ((await item.getAttribute('aria-expanded').catch(() => null)) === 'true') await item.click();
  }

  /** `parent`'s children as shown now. Custom trees render as a flat list: children follow their parent with
   * aria-level + 1. */
  async childRowsNow(parent: Locator): Promise<Array<{ row: Locator; label: string }>> {
    const level = Number(await parent.getAttribute('aria-level'));
    const parentLabel = await parent.getAttribute('aria-label');
    const rows = this.page.locator('.pane-body [role="treeitem"]');
    const n = await rows.count();
    const out: Array<{ row: Locator; label: string }> = [];
    let inside = false;
    for (let i = 0; i < n; i++) {
      const r = rows.nth(i);
      const lv = Number(await r.getAttribute('aria-level'));
      const label = (await r.getAttribute('aria-label')) ?? '';
      if (!inside) { if (label === parentLabel && lv === level) inside = true; continue; }
      if (lv <= level) break;
      if (lv === level + 1) out.push({ row: r, label });
    }
    return out;
  }

  /** Labels of `parent`'s children, waiting until at least one is shown (children load asynchronously). */
  async childLabels(parent: Locator): Promise<string[]> {
    let labels: string[] = [];
    await waitFor(async () => (labels = (await this.childRowsNow(parent)).map((c) => c.label)).length > 0,
      `children of ${await parent.getAttribute('aria-label')}`);
    return labels;
  }

  /** The row of `parent`'s child whose label matches, once it is shown. */
  async childItem(parent: Locator, label: RegExp, timeoutMs = T.op): Promise<Locator> {
    let found: Locator | undefined;
    await waitFor(async () => {
      found = (await this.childRowsNow(parent)).find((c) => label.test(c.label))?.row;
      return !!found;
    }, `a child ${label} of ${await parent.getAttribute('aria-label')}`, timeoutMs);
    return found!;
  }

  /**
   * Expands a tree item until its children show. VS Code can lose an expansion asked for while the item's parent
   * is being redrawn (the extension host logs "No tree item with id … found" and the item stays open and empty):
   * the item is folded and expanded again, up to 3 times.
   */
  async expandWithChildren(item: Locator): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.expand(item);
      try {
        await waitFor(async () => (await this.childRowsNow(item)).length > 0, 'children', 8_000);
        await this.settled(item);
        return;
      } catch (e) {
        if (attempt === 3) throw new Error(`${await item.getAttribute('aria-label').catch(() => '?')} shows no children after 3 expansions`, { cause: e });
        await this.collapse(item);
        await this.page.waitForTimeout(300);
      }
    }
  }

  /**
   * Waits until the item's label has not changed for 700 ms (at most 5 s). A list redraws its own item once its
   * children are read (its count appears), and VS Code applies that redraw about 200 ms later, forgetting the
   * children it had: an item among them expanded inside that window stays empty for good (issue noted in the
   * e2e report). The tests move on once the redraw is in.
   */
  async settled(item: Locator): Promise<void> {
    let last = await item.getAttribute('aria-label').catch(() => null);
    let since = Date.now();
    for (const until = Date.now() + 5_000; Date.now() < until && Date.now() - since < 700;) {
      await this.page.waitForTimeout(100);
      const now = await item.getAttribute('aria-label').catch(() => null);
      if (now !== last) { last = now; since = Date.now(); }
    }
  }

  /** Expands each step from `start` down: profile → "Groups" → "group-01" → "Members", scoped to its parent. */
  async open(start: Locator, ...steps: RegExp[]): Promise<Locator> {
    let item = start;
    await this.expandWithChildren(item);
    for (const step of steps) {
      item = await this.childItem(item, step);
      await this.expandWithChildren(item);
    }
    return item;
  }

  /** Runs a tree item's context-menu action (code-server draws its own HTML menus). Right-clicking an item of a
   * multi-selection keeps the selection: the action gets all of it. */
  async contextAction(item: Locator, title: string): Promise<void> {
    // right-click selects the item (or keeps the multi-selection it is in) without toggling its expansion
    await item.click({ button: 'right' });
    const entry = this.page.locator('.context-view .action-menu-item, .context-view .action-label', { hasText: title }).first();
    await entry.waitFor({ state: 'visible' });
    // VS Code 1.139's menus ignore a click that lands right after they open (a guard against the release of
    // the right button choosing an entry): point at the entry first, and click again while the menu stays.
    const menu = this.page.locator('.context-view .monaco-menu');
    for (let i = 0; i < 5; i++) {
      await entry.hover();
      await this.page.waitForTimeout(250);
      await entry.click().catch(() => undefined);
      try {
        await menu.waitFor({ state: 'hidden', timeout: 1_000 });
        return;
      } catch { /* still open: the click was swallowed */ }
    }
    throw new Error(`the context menu entry "${title}" did not run`);
  }

  /** The modal dialog, once shown, and its text (whitespace folded). */
  async dialog(timeoutMs = T.op): Promise<{ el: Locator; text: string }> {
    const el = this.page.locator('.monaco-dialog-box');
    await el.waitFor({ state: 'visible', timeout: timeoutMs });
    return { el, text: (await el.innerText()).replace(/\s+/g, ' ') };
  }

  /** True when a modal dialog shows up within `timeoutMs`. */
  async dialogShown(timeoutMs = 2_000): Promise<boolean> {
    return this.page.locator('.monaco-dialog-box').waitFor({ state: 'visible', timeout: timeoutMs }).then(() => true, () => false);
  }

  /** Presses a modal dialog's button. */
  async dialogButton(name: RegExp): Promise<void> {
    const el = this.page.locator('.monaco-dialog-box');
    await el.getByRole('button', { name }).first().click();
    await el.waitFor({ state: 'hidden', timeout: T.ui });
  }

  /** The visible notification toast whose text matches, and its message (whitespace folded). */
  async toast(text: RegExp, timeoutMs = T.op): Promise<Toast> {
    const el = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    try {
      await el.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch (e) {
      const shown = await this.page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
      const center = await this.notificationCenter().catch(() => []);
      throw new Error(`no notification ${text} within ${timeoutMs} ms; shown: ${JSON.stringify(shown.map((s) => s.replace(/\s+/g, ' ')))}; in the notification center: ${JSON.stringify(center)}`, { cause: e });
    }
    // the message alone (the toast's whole text runs its source and buttons first)
    const message = el.locator('.notification-list-item-message').first();
    return { el, text: (await message.innerText()).replace(/\s+/g, ' ').trim() };
  }

  /** The messages the notification center holds (it is opened to read them, then closed). */
  async notificationCenter(): Promise<string[]> {
    await this.command('Notifications: Show Notifications');
    const items = this.page.locator('.notifications-center .notification-list-item-message');
    await this.page.waitForTimeout(500);
    const out = (await items.allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
    await this.page.keyboard.press('Escape');
    return out;
  }

  /** Labels of a toast's buttons. */
  async toastButtons(t: Toast): Promise<string[]> {
    const buttons = t.el.locator('.notification-list-item-buttons-container .monaco-button');
    const out: string[] = [];
    for (let i = 0; i < await buttons.count(); i++) out.push((await buttons.nth(i).innerText()).trim());
    return out;
  }

  /** Presses a toast's button (hovering first: a toast's buttons take clicks once it has the pointer). */
  async toastButton(t: Toast, name: RegExp): Promise<void> {
    await t.el.hover();
    await t.el.getByRole('button', { name }).first().click();
  }

  /** Closes every notification (so that the next toast looked for is the next one shown). */
  async clearNotifications(): Promise<void> {
    await this.command('Notifications: Clear All Notifications');
    await waitFor(async () => (await this.page.locator('.notifications-toasts .notification-toast').count()) === 0, 'the notifications to clear', T.ui);
  }

  /** "Add Members…" on a group in the tree: searches `userName` in the QuickPick, picks it, presses OK. A modal
   * that follows (a PUT's confirmation) is left to the caller. */
  async addMemberViaPicker(group: Locator, userName: string): Promise<void> {
    const pg = this.page;
    await this.contextAction(group, 'Add Members');
    const qi = pg.locator('.quick-input-widget');
    await qi.locator('input').first().waitFor({ state: 'visible' });
    await qi.locator('input.input, .quick-input-box input').first().fill(userName);
    // (a row's text runs its label into its description: "user0002User 0002 · 5c1e…"; a search by a userName
    // prefix lists that user first)
    const pick = () => qi.locator('.quick-input-list .monaco-list-row', { hasText: userName }).first();
    await pick().waitFor({ state: 'visible', timeout: T.op });
    // the list is refreshed while the search settles: (re)check the row until the count shows 1 selected
    const selected = qi.locator('.quick-input-count');
    await waitFor(async () => {
      if (/\b1\b/.test(await selected.innerText().catch(() => ''))) return true;
      const row = pick();
      const box = row.locator('.quick-input-list-checkbox, input[type="checkbox"], .monaco-custom-toggle').first();
      await ((await box.count()) ? box : row).click({ timeout: 5_000 }).catch(() => undefined);
      await pg.waitForTimeout(300);
      return /\b1\b/.test(await selected.innerText().catch(() => ''));
    }, 'the QuickPick to show 1 selected', T.ui);
    await qi.locator('.quick-input-action .monaco-button, .quick-input-action a', { hasText: /^OK$/ }).first().click();
    await qi.waitFor({ state: 'hidden', timeout: T.ui });
  }

  /** Opens the trace panel (palette) and returns its webview's inner frame. */
  async showTrace(): Promise<FrameLocator> {
    await this.command('SCIM: Show Trace');
    return this.traceFrame();
  }

  /** The trace panel's inner frame (the panel must be open). */
  traceFrame(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  }

  /**
   * The "SCIM" output channel (a LogOutputChannel) is backed by a file under the user data dir:
   * logs/<session>/exthost<N>/<publisher.name>/SCIM.log. Reading it is steadier than scraping the Output view.
   */
  outputChannelLog(): string {
    const logs = path.join(this.userDataDir, 'logs');
    const found: string[] = [];
    const walk = (d: string, depth: number) => {
      if (depth > 4) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f, depth + 1);
        else if (e.name === 'SCIM.log' && /scim-explorer/.test(d)) found.push(f);
      }
    };
    if (existsSync(logs)) walk(logs, 0);
    return found.map((f) => readFileSync(f, 'utf8')).join('\n');
  }
}

// ---- the sandbox, seen from the test (it runs in the test's process) ----

export interface SandboxUser { id: string; userName: string; displayName?: string }

/** Headers that get through the sandbox's gateway (key + auth). */
export function sandboxHeaders(sb: Sandbox): Record<string, string> {
  const headers: Record<string, string> = { [sb.keyHeader]: sb.key, accept: 'application/scim+json' };
  const auth = sb.auth ?? { type: 'none' as const };
  if (auth.type === 'basic') headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  else if (auth.type === 'bearer') headers.authorization = `Bearer ${auth.token}`;
  return headers;
}

/** The sandbox's users, read through its gateway. */
export async function listUsers(sb: Sandbox): Promise<SandboxUser[]> {
  const res = await fetch(`${sb.gatewayUrl.replace(/\/$/, '')}/Users?count=200`, { headers: sandboxHeaders(sb) });
  assert.equal(res.status, 200, `listing users through the gateway: ${res.status}`);
  const body = (await res.json()) as { Resources?: Array<{ id: string; userName: string; displayName?: string }> };
  return (body.Resources ?? []).map((u) => ({ id: u.id, userName: u.userName, displayName: u.displayName }));
}

/** Whether `text` names the user (by any of the labels the extension may show: displayName, userName, id). */
export function namesUser(text: string, u: SandboxUser): boolean {
  return [u.displayName, u.userName, u.id].some((s) => !!s && text.includes(s));
}

/** The value of `name` in a received request's headers, or undefined. */
export function headerOf(r: { rawHeaders: Array<[string, string]> }, name: string): string | undefined {
  return r.rawHeaders.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}
