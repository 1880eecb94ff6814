// test-isolation: own process (a fake `vscode` through the module loader, and the extension modules required with it)
// Command ids live in one constant (src/extension/command-ids.ts). What registerCommands registers (run here on
// a fake `vscode`), what package.json contributes, what its menus and `command:` links name, and the constant
// must all agree; and the extension's code names a command through the constant, never as a string of its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { COMMANDS, VSCODE_COMMANDS } from '../../src/extension/command-ids';
// types only at the top (erased): the module itself is required once the fake `vscode` is in place
import type * as CommandsModule from '../../src/extension/commands/index';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { commands: Array<{ command: string }>; menus: Record<string, Array<{ command: string }>> };
};
const ids = Object.values(COMMANDS) as string[];
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

const registered: string[] = [];
const fake = {
  commands: {
    registerCommand: (id: string) => { registered.push(id); return { dispose() {} }; },
    executeCommand: async () => undefined,
  },
  window: {}, workspace: {}, env: {}, Uri: {}, Position: class {}, Range: class {},
};
const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const load = M._load;
before(() => {
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    return request === 'vscode' ? fake : load.call(this, request, parent, isMain);
  };
});
after(() => { M._load = load; });

test('registerCommands registers every id of COMMANDS once, and nothing else', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the fake vscode is in place
  const { registerCommands } = require('../../src/extension/commands/index') as typeof CommandsModule;
  const subscriptions: Array<{ dispose(): void }> = [];
  const part = {} as never;
  registerCommands({
    context: { subscriptions, extensionUri: {} } as never,
    log: part, trace: part, secrets: part, profiles: part, clients: part, tree: part, view: part, status: part, docs: part, waits: part, requestFiles: part,
  });
  assert.equal(new Set(registered).size, registered.length, `registered twice: ${registered.filter((id, i) => registered.indexOf(id) !== i).join(', ')}`);
  assert.deepEqual(sorted(registered), sorted(ids));
  assert.equal(subscriptions.length, registered.length, 'every registration is disposed with the extension');
});

test('each area of commands (loaded on first use) registers exactly the ids AREAS lists for it', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the fake vscode is in place
  const { AREAS, areaHandlers } = require('../../src/extension/commands/index') as typeof CommandsModule;
  const part = {} as never;
  const kit = { x: { context: { subscriptions: [], extensionUri: {} } }, panelDeps: part, register: part, target: part, profileOf: part, membersOf: part, exchangeFor: part, showFailure: part } as never;
  for (const { area, ids } of AREAS) assert.deepEqual(sorted(areaHandlers(kit, area).keys()), sorted(ids), area);
});

test('COMMANDS names each id once, and package.json contributes exactly those commands', () => {
  assert.equal(new Set(ids).size, ids.length);
  const contributed = pkg.contributes.commands.map((c) => c.command);
  assert.equal(new Set(contributed).size, contributed.length, 'a command contributed twice');
  assert.deepEqual(sorted(contributed), sorted(ids));
});

test('every menu entry and every command: link in package.json names a known command', () => {
  for (const [menu, entries] of Object.entries(pkg.contributes.menus)) {
    for (const e of entries) assert.ok(ids.includes(e.command), `${menu}: ${e.command} is not in COMMANDS`);
  }
  const text = readFileSync(join(root, 'package.json'), 'utf8');
  const links = [...text.matchAll(/command:(scim\.[A-Za-z0-9_.]+)/g)].map((m) => m[1]!);
  assert.ok(links.length > 0);
  for (const id of links) assert.ok(ids.includes(id), `command:${id} is not in COMMANDS`);
});

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('the extension names commands through the constants: no executeCommand or item command with a string of its own', () => {
  const offenders: string[] = [];
  for (const f of files(join(root, 'src', 'extension'))) {
    if (f.endsWith('command-ids.ts')) continue;
    const text = readFileSync(f, 'utf8');
    const patterns = [
      /executeCommand\s*(<[^>]*>)?\s*\(\s*['"`]/g, // executeCommand('…') / executeCommand<T>('…')
      /registerCommand\s*\(\s*['"`]/g,
      /\bcommand\s*[:=]\s*['"`]/g, // a tree item's or the status bar's { command: '…' } / item.command = '…'
    ];
    for (const re of patterns) {
      for (const m of text.matchAll(re)) offenders.push(`${f.slice(root.length + 1)}:${text.slice(0, m.index).split('\n').length}`);
    }
  }
  assert.deepEqual(offenders, []);
  assert.ok(Object.values(VSCODE_COMMANDS).every((id) => !id.startsWith('scim.')), "VS Code's own commands only");
});
