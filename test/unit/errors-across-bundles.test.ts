// The extension's files now share one copy of each module (scripts/build.mjs), but it once shipped two bundles:
// its UI (dist/extension.js) and the core it loaded lazily, each with its own copy of ScimxError, so an error the
// core threw was not `instanceof` the UI's class (any other copy still is not). The UI must still read it as a ScimxError: its diagnosis and hint in the notification, the report of a change that
// lost members (the "Restore N members" action), a cancellation. Seen in the real VS Code (test/e2e): without
// this, a loss showed no Restore action and the seed's failure showed no diagnosis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSync } from 'esbuild';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Bundles one source file on its own (as scripts/build.mjs does for each bundle) and loads that copy. */
function loadCopy<T>(entry: string): T {
  const out = buildSync({ entryPoints: [path.join(root, entry)], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent' });
  const mod = { exports: {} as T };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the bundle just built, as node would load it
  const load = new Function('module', 'exports', 'require', out.outputFiles[0]!.text) as (m: typeof mod, e: T, r: NodeJS.Require) => void;
  load(mod, mod.exports, require);
  return mod.exports;
}

type Errors = typeof import('../../src/core/errors');
type Messages = typeof import('../../src/extension/messages');
type CommandMessages = typeof import('../../src/extension/command-messages');

test('an error from another bundle\'s copy of the core is read as a ScimxError: diagnosis, hint, loss report, cancellation', () => {
  const core = loadCopy<Errors>('src/core/errors.ts');
  const ui = loadCopy<Messages>('src/extension/messages.ts');
  const commandUi = loadCopy<CommandMessages>('src/extension/command-messages.ts');
  const mine = loadCopy<Errors>('src/core/errors.ts');
  const diagnosed = new core.ScimxError('http', 'PUT … 401', {
    diagnosis: { severity: 'error', source: 'location', code: 'location.credentials-withheld', summary: 'PUT went to another origin', fix: 'Set `locations: rewrite`.' },
  });
  assert.ok(!(diagnosed instanceof mine.ScimxError), 'two copies of the class: instanceof fails across them');
  assert.ok(mine.isScimxError(diagnosed));
  assert.equal(ui.failureLine(diagnosed), 'PUT went to another origin. Set `locations: rewrite`.');
  assert.equal(ui.failureLine(new core.ScimxError('lost', 'Members are gone.', { hint: 'Restore them.' })), 'Members are gone. Restore them.');
  const report = { lost: ['u1', 'u2'], journalId: 'j1' };
  assert.equal(commandUi.membershipFailureReport(Object.assign(new core.ScimxError('lost', 'gone'), { report })), report);
  assert.equal(ui.isCancellation(new core.ScimxError('cancelled', 'Cancelled.')), true);
  assert.equal(mine.toScimxError(diagnosed), diagnosed, 'not wrapped again');
  // not fooled by lookalikes
  assert.equal(mine.isScimxError(Object.assign(new Error('x'), { code: 'http', name: 'ScimxError' })), false);
  assert.equal(mine.isScimxError({ code: 'http' }), false);
});
