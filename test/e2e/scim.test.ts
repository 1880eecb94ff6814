// End to end in a real VS Code: code-server (VS Code 1.139 in the browser) driven through headless Chromium by
// playwright-core, with the packaged .vsix installed and the sandbox (SCIM service behind an APIM-like gateway)
// running in this process. Recipe: /work/shared/E2E-RECIPE.md; helpers: scripts/vscode-server.mjs.
//
// It proves, from the UI itself: the SCIM view and its tree (profile → Groups → group → Members), adding a
// member through the QuickPick search, removing another from the tree's context menu, and the trace panel
// showing the PATCH exchange with the subscription key masked and a 2xx status. The gateway's own record
// (sb.received) proves the PATCH carried the key.
//
// code-server is built the way `npm start` builds it (ensureCodeServer), in an environment that cannot find the
// Kerberos headers (withoutKerberosHeaders: pkg-config off PATH), as on a stock Debian with Node; the first test
// proves that build leaves the kerberos addon out and still loads the workbench with the extension active.
// It is the one build of the cache ($SCIMX_VSCODE_CACHE or .vscode-test/), shared with `npm start`.
//
// Screenshots: artifacts/e2e/*.png (tree, trace panel, and failure.png when something fails).
// Where Chromium is missing (not CI) the test skips with one line; with CI=true it fails instead.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { startSandbox } from '../../src/sandbox';

import type * as VsServerModule from '../../scripts/vscode-server.mjs' with { 'resolution-mode': 'import' };
type VsServer = typeof VsServerModule;
import type * as PackagerModule from '../../scripts/package.mjs' with { 'resolution-mode': 'import' };
type Packager = typeof PackagerModule;
type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
type Running = Awaited<ReturnType<VsServer['startCodeServer']>>;

const root = path.resolve(__dirname, '..', '..');
const artifacts = path.join(root, 'artifacts', 'e2e');
const runDir = path.join(root, '.vscode-test', 'e2e-run');
const CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];
const KEY_HEADER = 'Ocp-Apim-Subscription-Key';

// Bounded waits (ms). Generous: a cold code-server build is paid in `before`, not here.
const T = { workbench: 90_000, ui: 30_000, op: 45_000 };

function skipReason(vs: VsServer | undefined): string | undefined {
  if (!existsSync(chromiumPath)) return `e2e skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (vs) {
    const p = vs.paths();
    const missing = existsSync(p.codeServerStamp) ? [] : vs.missingBuildDeps();
    if (missing.length) return `e2e skipped: building code-server needs ${missing.join(', ')} (apt-get install -y build-essential python3)`;
  }
  return undefined;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('SCIM Explorer in a real VS Code (code-server + Chromium)', { concurrency: false }, () => {
  let vs: VsServer | undefined;
  let reason: string | undefined;
  let sb: Sandbox | undefined;
  let server: Running | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let vsixPath = '';
  let built: Awaited<ReturnType<VsServer['ensureCodeServer']>> | undefined;
  const timings: Record<string, number> = {};

  before(async () => {
    vs = await import('../../scripts/vscode-server.mjs');
    reason = skipReason(vs);
    if (reason) {
      if (CI) throw new Error(`${reason.replace(/^e2e skipped: /, 'e2e cannot run: ')} (CI=true: a failure, not a skip)`);
      return;
    }
    mkdirSync(artifacts, { recursive: true });
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });

    let t0 = Date.now();
    const pkg: Packager = await import('../../scripts/package.mjs');
    const packaged = pkg.packageExtension({ out: path.join(runDir, 'scim-explorer-e2e.vsix'), quiet: true });
    vsixPath = packaged.vsixPath;
    timings.packageMs = Date.now() - t0;

    t0 = Date.now();
    // as `npm start` builds it, on a machine without the Kerberos headers
    const cs = await vs.ensureCodeServer({ env: vs.withoutKerberosHeaders() });
    built = cs;
    timings.codeServerInstallMs = Date.now() - t0;
    timings.codeServerCached = cs.cached ? 1 : 0;

    sb = await startSandbox({ users: 30, groups: 5 });
    const ws = path.join(runDir, 'workspace');
    mkdirSync(ws, { recursive: true });
    writeFileSync(path.join(ws, 'scim-profiles.yaml'), sb.profileYaml('sandbox'));

    t0 = Date.now();
    server = await vs.startCodeServer({
      vsixPath,
      folder: ws,
      userDataDir: path.join(runDir, 'user-data'),
      extensionsDir: path.join(runDir, 'extensions'),
      port: 0,
    });
    timings.serverStartMs = Date.now() - t0;

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(T.ui);
    t0 = Date.now();
    await page.goto(server.url, { timeout: T.workbench });
    await page.locator('.monaco-workbench').waitFor({ timeout: T.workbench });
    timings.workbenchMs = Date.now() - t0;
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await sb?.stop();
    const shown = Object.entries(timings).map(([k, v]) => `${k}=${k.endsWith('MsInHost') ? `${v}ms` : k.endsWith('Ms') ? `${(v / 1000).toFixed(1)}s` : v}`).join(' ');
    if (shown) console.log(`# e2e timings: ${shown}`);
  });

  // ---- UI helpers ----
  const p = (): Page => { assert.ok(page, 'no page'); return page; };

  async function shot(name: string): Promise<string> {
    const file = path.join(artifacts, name);
    await p().screenshot({ path: file });
    return file;
  }

  async function command(title: string): Promise<void> {
    const pg = p();
    await pg.keyboard.press('Escape');
    await pg.keyboard.press('F1');
    const input = pg.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = pg.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible' });
    await pg.keyboard.press('Enter');
  }

  function treeItem(label: string | RegExp, within?: Locator): Locator {
    const scope = within ?? p().locator('.pane-body');
    const name = typeof label === 'string' ? new RegExp(`^${esc(label)}(\\s|$)`) : label;
    return scope.getByRole('treeitem', { name }).first();
  }

  /** Expands a tree item, and again if a refresh of the tree (profiles reloaded) folds it back meanwhile. */
  async function expand(item: Locator): Promise<void> {
    await item.waitFor({ state: 'visible' });
    const expanded = async () => (await item.getAttribute('aria-expanded').catch(() => null)) === 'true';
    const deadline = Date.now() + T.op;
    while (Date.now() < deadline) {
      if (await expanded()) {
        await p().waitForTimeout(300); // still expanded a moment later: no refresh folded it
        if (await expanded()) return;
        continue;
      }
      await item.click().catch(() => undefined);
      for (const until = Date.now() + 3000; Date.now() < until && !(await expanded());) await p().waitForTimeout(100);
    }
    throw new Error(`tree item did not expand: ${await item.getAttribute('aria-label').catch(() => '?')}`);
  }

  /** Runs a tree item's context-menu action (code-server draws its own HTML menus). */
  async function contextAction(item: Locator, title: string): Promise<void> {
    // right-click selects the item without toggling its expansion
    await item.click({ button: 'right' });
    const entry = p().locator('.context-view .action-menu-item, .context-view .action-label', { hasText: title }).first();
    await entry.waitFor({ state: 'visible' });
    // VS Code 1.139's menus ignore a click that lands right after they open (a guard against the release of
    // the right button choosing an entry): point at the entry first, and click again while the menu stays.
    const menu = p().locator('.context-view .monaco-menu');
    for (let i = 0; i < 5; i++) {
      await entry.hover();
      await p().waitForTimeout(250);
      await entry.click().catch(() => undefined);
      try {
        await menu.waitFor({ state: 'hidden', timeout: 1_000 });
        return;
      } catch { /* still open: the click was swallowed */ }
    }
    throw new Error(`the context menu entry "${title}" did not run`);
  }

  /** Confirms a modal dialog when one appears (e.g. a PUT-based change's membership diff). */
  async function confirmIfAsked(buttonText: RegExp): Promise<void> {
    const dialog = p().locator('.monaco-dialog-box');
    try {
      await dialog.waitFor({ state: 'visible', timeout: 2_000 });
    } catch { return; }
    await dialog.getByRole('button', { name: buttonText }).first().click();
  }

  /** Labels of a tree item's children, waiting until at least one is shown (children load asynchronously). */
  async function childLabels(parent: Locator): Promise<string[]> {
    let labels: string[] = [];
    await waitFor(async () => (labels = await childLabelsNow(parent)).length > 0, `children of ${await parent.getAttribute('aria-label')}`);
    return labels;
  }

  async function childLabelsNow(parent: Locator): Promise<string[]> {
    return (await childRowsNow(parent)).map((c) => c.label);
  }

  /** `parent`'s children as shown now. Custom trees render as a flat list: children follow the parent with
   * aria-level + 1. */
  async function childRowsNow(parent: Locator): Promise<Array<{ row: Locator; label: string }>> {
    const level = Number(await parent.getAttribute('aria-level'));
    const rows = p().locator('.pane-body [role="treeitem"]');
    const n = await rows.count();
    const parentLabel = await parent.getAttribute('aria-label');
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

  test('code-server built without the Kerberos headers: no kerberos addon, the workbench loads, the extension is active', { timeout: 2 * 60_000 }, async (t) => {
    if (reason) { t.skip(reason); return; }
    assert.ok(vs && built && server && page, 'set-up did not finish');
    const kerberos = built.leftOut.find((l) => l.addon === 'kerberos');
    if (!kerberos) {
      // a cache built by `npm start` on a machine that has libkrb5-dev: it has the addon, nothing to prove here
      const why = `the cached code-server in ${built.codeServerDir} was built with the kerberos addon (delete it to prove the build without)`;
      if (CI) assert.fail(why);
      t.skip(why);
      return;
    }
    assert.match(kerberos.reason, /pkg-config|gssapi|krb5/, `reason: ${kerberos.reason}`);
    // built here (pkg-config off PATH) or by `npm start` on a machine without libkrb5-dev: either way the headers
    // were out of reach, and are for this suite's build environment
    assert.notEqual(vs.kerberosBuildable(vs.withoutKerberosHeaders()), '', 'the e2e build environment reaches the Kerberos headers');
    assert.match(vs.leftOutLines(built.leftOut)[0] ?? '', /^Kerberos proxy authentication inside this VS Code is unavailable: /);
    // with VS Code's Node, from VS Code's folder: the addons it needs load, kerberos does not (its JavaScript is
    // there, its binary is not; VS Code imports it lazily, on a proxy's Negotiate challenge)
    const vscodeDir = path.join(built.codeServerPkg, 'lib', 'vscode');
    assert.ok(existsSync(path.join(vscodeDir, 'node_modules', 'kerberos', 'package.json')), 'kerberos is not installed at all');
    const probe = spawnSync(built.nodeBin, ['-e', `
      for (const m of ['@vscode/spdlog', '@vscode/sqlite3', 'node-pty', '@parcel/watcher']) require(m);
      try { require('kerberos'); console.log('kerberos loads'); } catch (e) { console.log('kerberos: ' + String(e.message).split('\\n')[0]); }
    `], { cwd: vscodeDir, encoding: 'utf8' });
    assert.equal(probe.status, 0, `VS Code's native addons do not load: ${probe.stderr}`);
    assert.match(probe.stdout, /^kerberos: Could not locate the bindings file/, probe.stdout);
    // the workbench loaded in before(); the extension is active: its tree shows the profile and, expanded,
    // what it read through the sandbox's gateway
    await openScimView();
    const profile = treeItem('sandbox');
    await expand(profile);
    await treeItem('Groups').waitFor({ state: 'visible', timeout: T.op });
    assert.ok(sb && sb.received.some((r) => r.method === 'GET'), 'the extension sent nothing to the gateway');
    assert.doesNotMatch(server.logs(), /kerberos/i, 'the VS Code server mentioned kerberos');
  });

  test('browse, add a member, remove a member, read the PATCH in the trace panel', { timeout: 8 * 60_000 }, async (t) => {
    if (reason) { t.skip(reason); return; }
    assert.ok(sb && server && page, 'set-up did not finish');
    const pg = p();
    const sandbox = sb;
    try {
      // 1. The SCIM view in the activity bar.
      await openScimView();

      // 2. profile → Groups → a group → Members
      const profile = treeItem('sandbox');
      await expand(profile);
      const groups = treeItem('Groups');
      await expand(groups);
      const groupLabels = (await childLabels(groups)).filter((l) => !/load more/i.test(l));
      assert.ok(groupLabels.length > 0, 'no groups under Groups');
      // the first group that has at least one member (to remove one later)
      let groupName = '';
      let gid = '';
      for (const label of groupLabels) {
        // the accessible name is the label, maybe followed by the description: try word prefixes
        const words = label.replace(/,/g, ' ').split(/\s+/).filter(Boolean);
        const candidates = words.map((_, i) => words.slice(0, words.length - i).join(' '));
        for (const candidate of candidates) {
          const id = sandbox.groupIdByName(candidate.trim());
          if (id && sandbox.members(id).length > 0) { groupName = candidate.trim(); gid = id; break; }
        }
        if (gid) break;
      }
      assert.ok(gid, `none of the groups ${JSON.stringify(groupLabels)} is known to the sandbox with members`);
      const group = treeItem(groupName);
      await expand(group);
      const membersNode = treeItem('Members');
      await expand(membersNode);
      const before = sandbox.members(gid);
      const beforeLabels = await childLabels(membersNode);
      assert.ok(beforeLabels.length > 0, 'Members shows no members');
      await shot('1-tree-members.png');

      // 3. Add a member through the QuickPick search: a user who is not a member yet.
      const memberIds = new Set(before.map(memberId));
      const users = await listUsers(sandbox);
      const newcomer = users.find((u) => !memberIds.has(u.id));
      assert.ok(newcomer, 'every user is already a member');
      await contextAction(group, 'Add Members');
      const qi = pg.locator('.quick-input-widget');
      await qi.locator('input').first().waitFor({ state: 'visible' });
      await qi.locator('input.input, .quick-input-box input').first().fill(newcomer.userName);
      const pick = qi.locator('.quick-input-list .monaco-list-row', { hasText: newcomer.userName }).first();
      await pick.waitFor({ state: 'visible', timeout: T.op });
      // the list is refreshed while the search settles: (re)check the row until the count shows 1 selected
      const selected = qi.locator('.quick-input-count');
      await waitFor(async () => {
        if (/\b1\b/.test(await selected.innerText().catch(() => ''))) return true;
        const row = qi.locator('.quick-input-list .monaco-list-row', { hasText: newcomer.userName }).first();
        const box = row.locator('.quick-input-list-checkbox, input[type="checkbox"], .monaco-custom-toggle').first();
        await ((await box.count()) ? box : row).click({ timeout: 5_000 }).catch(() => undefined);
        await pg.waitForTimeout(300);
        return /\b1\b/.test(await selected.innerText().catch(() => ''));
      }, 'the QuickPick to show 1 selected', T.ui);
      await qi.locator('.quick-input-action .monaco-button, .quick-input-action a', { hasText: /^OK$/ }).first().click();
      await confirmIfAsked(/^(Add|Apply|Continue|OK|Yes)/i);
      const shownName = newcomer.displayName || newcomer.userName;
      await waitFor(async () => sandbox.members(gid).some((m) => memberId(m) === newcomer.id), 'the sandbox to record the new member');
      await treeItem(new RegExp(`^(${esc(shownName)}|${esc(newcomer.userName)})`), pg.locator('.pane-body')).waitFor({ state: 'visible', timeout: T.op });

      // 4. Remove another member from the tree.
      const victimLabel = beforeLabels[0]!;
      const victim = pg.locator('.pane-body').getByRole('treeitem', { name: victimLabel, exact: true }).first();
      await contextAction(victim, 'Remove from Group');
      await confirmIfAsked(/^(Remove|Apply|Continue|OK|Yes)/i);
      // exactly one of the original members is gone, and the newcomer stays
      await waitFor(async () => {
        const now = new Set(sandbox.members(gid));
        return now.has(newcomer.id) && before.filter((id) => !now.has(id)).length === 1 && now.size === before.length;
      }, 'the sandbox to record the removal of one original member');
      await waitFor(async () => (await pg.locator('.pane-body').getByRole('treeitem', { name: victimLabel, exact: true }).count()) === 0, 'the removed member to leave the tree');
      await shot('2-tree-after-add-remove.png');

      // 5. The trace panel: the PATCH exchange, its masked key and its 2xx status.
      await command('SCIM: Show Trace');
      const frame: FrameLocator = pg.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const patchRow = frame.locator('.ex-row[data-method="PATCH"]').first();
      await patchRow.waitFor({ state: 'visible', timeout: T.op });
      await patchRow.click();
      await frame.locator('#detail').waitFor({ state: 'visible' });
      const rows = frame.locator('#req-headers tr');
      await rows.first().waitFor({ state: 'visible' });
      const headers: Array<[string, string]> = [];
      for (let i = 0; i < await rows.count(); i++) {
        const r = rows.nth(i);
        if (!(await r.locator('td.h-name').count())) continue;
        headers.push([(await r.locator('td.h-name').innerText()).trim(), (await r.locator('td.h-value').innerText()).trim()]);
      }
      const keyRow = headers.find(([n]) => n.toLowerCase() === KEY_HEADER.toLowerCase());
      assert.ok(keyRow, `the PATCH's request headers in the panel have no ${KEY_HEADER}: ${JSON.stringify(headers.map(([n]) => n))}`);
      const key = sandboxKey(sandbox);
      assert.ok(keyRow[1].startsWith('••••'), `the key is not masked in the panel: "${keyRow[1].slice(0, 6)}…"`);
      assert.ok(keyRow[1].endsWith(key.slice(-4)), 'the masked key does not end with the key\'s last 4 characters');
      assert.ok(!keyRow[1].includes(key), 'the full key is visible in the panel');
      const status = (await frame.locator('.status-line').first().innerText()).trim();
      assert.match(status, /\b2\d\d\b/, `status line is not 2xx: ${status}`);
      await shot('3-trace-panel-patch.png');

      // The gateway's own record: every PATCH it received carried the key.
      const patches = sandbox.received.filter((r) => r.method === 'PATCH');
      assert.ok(patches.length >= 1, 'the gateway received no PATCH');
      for (const r of patches) {
        const sent = r.rawHeaders.find(([n]) => n.toLowerCase() === KEY_HEADER.toLowerCase());
        assert.ok(sent, `PATCH ${r.url} reached the gateway without ${KEY_HEADER}`);
        assert.equal(sent[1], key, `PATCH ${r.url} carried a different key`);
      }

      // The output channel has one line per exchange and never a secret.
      const channel = outputChannelLog();
      assert.match(channel, /PATCH/, 'the SCIM output channel logged no PATCH exchange');
      assert.ok(!channel.includes(key), 'the SCIM output channel contains the unmasked subscription key');
      if (sandbox.auth?.type === 'basic') assert.ok(!channel.includes(sandbox.auth.password), 'the SCIM output channel contains the sandbox password');

      // Activation time from the "SCIM" output channel (reported, never asserted).
      const activation = readActivationMs();
      if (activation !== undefined) { timings.activationMsInHost = activation; t.diagnostic(`extension activated in ${activation} ms`); } else t.diagnostic('activation time: no "activated in X ms" line found in the SCIM output channel');
    } catch (e) {
      await shot('failure.png').catch(() => undefined);
      if (server) {
        const tail = server.logs().slice(-3000);
        if (tail) t.diagnostic(`code-server log tail:\n${tail}`);
      }
      throw e;
    }
  });

  /** Shows the SCIM view from its activity bar icon (unless it is already the side bar's view). */
  async function openScimView(): Promise<void> {
    const pg = p();
    // one view in the container: its title is merged into the side bar's ("SCIM: Explorer")
    const title = pg.locator('.sidebar .composite.title', { hasText: /SCIM/ }).first();
    if (await title.isVisible().catch(() => false)) return;
    const activity = pg.locator('.activitybar').getByRole('tab', { name: /^SCIM/ }).first();
    await activity.waitFor({ state: 'visible', timeout: T.workbench });
    await activity.click();
    await title.waitFor({ state: 'visible' });
  }

  /** The row of `parent`'s child whose label matches, once it is shown. */
  async function childItem(parent: Locator, label: RegExp): Promise<Locator> {
    let found: Locator | undefined;
    await waitFor(async () => {
      found = (await childRowsNow(parent)).find((c) => label.test(c.label))?.row;
      return !!found;
    }, `a child ${label} of ${await parent.getAttribute('aria-label')}`);
    return found!;
  }

  /** The visible toast whose text matches, and its text. */
  async function toast(text: RegExp, timeoutMs = T.op): Promise<{ el: Locator; text: string }> {
    const el = p().locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    await el.waitFor({ state: 'visible', timeout: timeoutMs });
    return { el, text: (await el.innerText()).replace(/\s+/g, ' ') };
  }

  test('secrets: a missing one is asked once; a stored one pointed at another host asks first; a 429 wait counts down and is cancelled', { timeout: 5 * 60_000 }, async (t) => {
    if (reason) { t.skip(reason); return; }
    assert.ok(server && page, 'set-up did not finish');
    const pg = p();
    const key = `vault-${Date.now().toString(36)}-0123456789abcdef`;
    // Two services, two origins, one key: only the user may decide that the key also goes to the second one.
    const a = await startSandbox({ users: 5, groups: 1, key, auth: { type: 'none' } });
    const b = await startSandbox({ users: 5, groups: 1, key, auth: { type: 'none' }, retryAfterSeconds: 6 });
    const file = path.join(server.folder, 'scim-profiles-vault.yaml');
    const write = (url: string, note: string) => writeFileSync(file, [
      `# ${note}`, 'profiles:', '  vault:', `    baseUrl: ${url}`, '    auth:', '      type: none', '    gateway:',
      '      subscriptionKey: ${secret:vault-key}', '',
    ].join('\n'));
    const withKey = (s: Sandbox) => s.received.filter((r) => r.rawHeaders.some(([n, v]) => n.toLowerCase() === KEY_HEADER.toLowerCase() && v === key));
    try {
      await openScimView();
      // 1. A profile referring to a secret that is not stored yet: listed without asking anything; its first use
      //    asks once, in a password box.
      write(a.gatewayUrl, 'first host');
      const box = pg.locator('.quick-input-widget');
      const vault = treeItem('vault');
      await treeItem(/^vault .*secret not set/).waitFor({ state: 'visible', timeout: T.op });
      assert.equal(await box.locator('.quick-input-title', { hasText: 'vault-key' }).isVisible().catch(() => false), false, 'reading the file asks nothing');
      await expand(vault);
      await box.locator('.quick-input-title', { hasText: 'SCIM secret "vault-key"' }).waitFor({ state: 'visible', timeout: T.op });
      assert.equal(await box.locator('input[type="password"]').count(), 1, 'the secret is typed into a password box');
      await box.locator('input[type="password"]').fill(key);
      await box.locator('input[type="password"]').press('Enter');
      await box.waitFor({ state: 'hidden' });
      await childItem(vault, /^Users/);
      await waitFor(async () => withKey(a).length > 0, 'the first host to receive the key');
      // asked once: a reload of the profiles (the file changes) does not ask again
      write(a.gatewayUrl, 'first host, again');
      await pg.waitForTimeout(1500);
      assert.equal(await box.locator('.quick-input-title', { hasText: 'vault-key' }).isVisible().catch(() => false), false, 'not asked a second time');
      await shot('4-secret-asked-once.png');

      // 2. The same file now sends the stored key to another host: its first use asks first; Cancel sends nothing.
      //    The profile is still expanded (step 1), so VS Code reads its children again for the new host at once:
      //    that re-read is the profile's first use there, and the question comes with the save (the tree shows
      //    the new host only once it is answered: VS Code waits for the expanded node's children).
      assert.equal(await vault.getAttribute('aria-expanded'), 'true', 'the profile is still expanded from step 1');
      write(b.gatewayUrl, 'second host');
      const dialog = pg.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: T.op });
      const origin = new URL(b.gatewayUrl).origin;
      assert.match((await dialog.innerText()).replace(/\s+/g, ' '), new RegExp(`Send secret vault-key to ${esc(origin)}\\?`));
      await shot('5-secret-new-host-asked.png');
      await dialog.getByRole('button', { name: /^Cancel$/ }).click();
      await treeItem(/^vault.*not approved/).waitFor({ state: 'visible', timeout: T.op });
      await pg.waitForTimeout(1500);
      assert.equal(await dialog.isVisible().catch(() => false), false, 'asked once: Cancel is not followed by the same question');
      assert.equal(b.received.length, 0, 'nothing was sent to the host the user refused');

      // 3. Asked again on use once the file changes; Allow: the key goes there, with every request.
      b.scriptFault('GET', '429'); // …and its first GET is rate-limited (Retry-After: 6)
      write(b.gatewayUrl, 'second host, allowed');
      // the error node goes, the profile comes back (clicking the error node would open the file instead)
      const vault2 = treeItem(new RegExp(`^vault · ${esc(new URL(b.gatewayUrl).host)}$`));
      await vault2.waitFor({ state: 'visible', timeout: T.op });
      await expand(vault2);
      await dialog.waitFor({ state: 'visible', timeout: T.op });
      await dialog.getByRole('button', { name: /^Allow$/ }).click();
      await waitFor(async () => withKey(b).length > 0, 'the second host to receive the key once allowed');

      // 4. The 429 wait: a notification counts down; its Cancel stops the wait and nothing more is sent.
      const first = await toast(/waiting \d+ s \(429 Retry-After\)/);
      const secs = (s: string) => Number(/waiting (\d+) s/.exec(s)?.[1]);
      let later = first;
      await waitFor(async () => secs((later = await toast(/waiting \d+ s \(429 Retry-After\)/)).text) < secs(first.text),
        `the countdown to move from "${first.text}"`, 4_000);
      await shot('6-wait-countdown.png');
      const sentBefore = b.received.length;
      await later.el.hover();
      await later.el.getByRole('button', { name: /^Cancel$/ }).click();
      await waitFor(async () => !(await pg.locator('.notifications-toasts .notification-toast', { hasText: /429 Retry-After/ }).isVisible().catch(() => false)), 'the countdown to go away');
      await pg.waitForTimeout(7000); // longer than the Retry-After: a retry would have been sent by now
      assert.equal(b.received.length, sentBefore, 'no retry after the wait was cancelled');
      const gets429 = b.received.filter((r) => r.status === 429);
      assert.equal(gets429.length, 1, 'one request was rate-limited');
    } catch (e) {
      await shot('failure-secrets.png').catch(() => undefined);
      throw e;
    } finally {
      rmSync(file, { force: true });
      await a.stop();
      await b.stop();
    }
  });

  test('"SCIM: Start Local Sandbox" runs the shipped sandbox from the .vsix and adds a browsable profile', { timeout: 3 * 60_000 }, async (t) => {
    if (reason) { t.skip(reason); return; }
    assert.ok(server && page, 'set-up did not finish');
    try {
      await openScimView();
      // fold the profile the first test opened, so that this one's rows are the only ones of their names
      const other = treeItem('sandbox');
      if ((await other.getAttribute('aria-expanded').catch(() => null)) === 'true') await other.click();
      await command('SCIM: Start Local Sandbox');
      const local = treeItem(/^local-sandbox · 127\.0\.0\.1:\d+$/);
      await local.waitFor({ state: 'visible', timeout: T.op });
      const host = /· (\S+)$/.exec((await local.getAttribute('aria-label')) ?? '')?.[1] ?? '';
      const { text } = await toast(/Sandbox running at /);
      assert.match(text, new RegExp(`Sandbox running at http://${esc(host)}/scim/v2; profile "local-sandbox" added`));
      await expand(local);
      await childItem(local, /^Groups/);
      const groups = treeItem('Groups');
      await expand(groups);
      assert.ok((await childLabels(groups)).some((l) => /^group-\d+/.test(l)), 'the sandbox\'s seeded groups are listed');
      await p().locator('.statusbar', { hasText: 'SCIM: local-sandbox' }).waitFor({ state: 'visible', timeout: T.ui }); // the active profile
      await shot('7-local-sandbox.png');
      assert.doesNotMatch(outputChannelLog(), /TreeError/, 'no tree error in a whole session of reloads, edits and a new profile');
    } catch (e) {
      await shot('failure-local-sandbox.png').catch(() => undefined);
      throw e;
    }
  });

  test('an untrusted workspace: its profiles file is not read and nothing is sent until it is trusted; the view says why; trusting it brings the profile', { timeout: 3 * 60_000 }, async (t) => {
    if (reason) { t.skip(reason); return; }
    assert.ok(vs && browser, 'set-up did not finish');
    const own = await startSandbox({ users: 3, groups: 1 });
    const ws = path.join(runDir, 'untrusted');
    mkdirSync(ws, { recursive: true });
    writeFileSync(path.join(ws, 'scim-profiles.yaml'), own.profileYaml('untrusted-profile'));
    const srv = await vs.startCodeServer({
      vsixPath, folder: ws, userDataDir: path.join(runDir, 'user-data-untrusted'), extensionsDir: path.join(runDir, 'extensions-untrusted'),
      port: 0, workspaceTrust: true,
    });
    const trusted = page;
    const pg = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    pg.setDefaultTimeout(T.ui);
    page = pg; // the helpers below drive this window
    try {
      await pg.goto(srv.url, { timeout: T.workbench });
      await pg.locator('.monaco-workbench').waitFor({ timeout: T.workbench });
      // VS Code may ask whether to trust the authors of the folder: say no. Either way it is in Restricted Mode.
      const ask = pg.locator('.monaco-dialog-box');
      if (await ask.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) await ask.getByRole('button', { name: /^No/ }).click();
      await pg.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible', timeout: T.op });
      await openScimView();
      await treeItem(/^Workspace profiles files are ignored until you trust this workspace/).waitFor({ state: 'visible', timeout: T.op });
      await pg.waitForTimeout(1500);
      assert.equal(await treeItem('untrusted-profile').count(), 0, 'the workspace profile is not listed');
      assert.equal(own.received.length, 0, 'nothing was sent to the host the untrusted file names');
      await shot('8-untrusted-workspace.png');
      // trusted now (Workspace Trust editor): the file is read, its profile listed and usable
      await command('Workspaces: Manage Workspace Trust');
      await pg.getByRole('button', { name: /^Trust$/ }).first().click();
      const profile = treeItem('untrusted-profile');
      await profile.waitFor({ state: 'visible', timeout: T.op });
      // close the Workspace Trust editor, which VS Code 1.139 opens as a modal over the side bar
      const trustEditor = pg.getByText('You trust this folder');
      await trustEditor.waitFor({ state: 'visible', timeout: T.ui });
      await command('View: Close Editor');
      await trustEditor.waitFor({ state: 'hidden', timeout: T.ui });
      await expand(profile);
      await childItem(profile, /^Users/);
      assert.ok(own.received.length > 0, 'once trusted, the profile is used');
    } catch (e) {
      await shot('failure-untrusted.png').catch(() => undefined);
      throw e;
    } finally {
      page = trusted;
      await pg.close().catch(() => undefined);
      await srv.stop();
      await own.stop();
    }
  });

  async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = T.op): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * The "SCIM" output channel (a LogOutputChannel) is backed by a file under the user data dir:
   * logs/<session>/exthost<N>/<publisher.name>/SCIM.log. Reading it is steadier than scraping the Output view.
   */
  function outputChannelLog(): string {
    assert.ok(server);
    const logs = path.join(server.userDataDir, 'logs');
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

  function readActivationMs(): number | undefined {
    const m = /activated in (\d+(?:\.\d+)?) ?ms/.exec(outputChannelLog());
    return m ? Number(m[1]) : undefined;
  }
});

// ---- sandbox helpers (the sandbox runs in this process) ----
interface SandboxUser { id: string; userName: string; displayName?: string }

function memberId(m: string): string { return m; }

function sandboxKey(sb: Sandbox): string { return sb.key; }

/** Lists users through the gateway (key + auth), to choose one that is not a member yet. */
async function listUsers(sb: Sandbox): Promise<SandboxUser[]> {
  const headers: Record<string, string> = { [sb.keyHeader]: sb.key, accept: 'application/scim+json' };
  const auth = sb.auth ?? { type: 'none' as const };
  if (auth.type === 'basic') headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  else if (auth.type === 'bearer') headers.authorization = `Bearer ${auth.token}`;
  const res = await fetch(`${sb.gatewayUrl.replace(/\/$/, '')}/Users?count=200`, { headers });
  assert.equal(res.status, 200, `listing users through the gateway: ${res.status}`);
  const body = (await res.json()) as { Resources?: Array<{ id: string; userName: string; displayName?: string; name?: { formatted?: string } }> };
  return (body.Resources ?? []).map((u) => ({ id: u.id, userName: u.userName, displayName: u.displayName ?? u.name?.formatted }));
}
