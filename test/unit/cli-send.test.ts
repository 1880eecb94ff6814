// `scimx send` in-process (run(argv, io)), where nothing reaches the network: a missing FILE, an unreadable one,
// a broken one (FILE:LINE:COLUMN), a URL on another origin, an unknown --name: each a usage error (exit 2) before
// any request. Sending itself is in test/integration/request-files*.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/cli/run';

describe('scimx send: usage errors, nothing sent', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'scimx-send-unit-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function scimx(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    // port 9 (discard) on loopback: were anything sent, it would fail as a network error (exit 1), not 2
    const code = await run(['--base-url', 'http://127.0.0.1:9/scim', ...args], {
      stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: {}, cwd: dir,
    });
    return { code, stdout, stderr };
  }

  it('needs a FILE, and says how to use it', async () => {
    const r = await scimx(['send']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing arguments: scimx send FILE/);
    const help = await scimx(['send', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: scimx \[GLOBAL OPTIONS\] send FILE \[--name N\]/);
  });

  it('an unreadable file, a broken one (FILE:LINE:COLUMN), another origin, an unknown name: exit 2', async () => {
    assert.match((await scimx(['send', 'nope.scim'])).stderr, /cannot read nope\.scim: ENOENT/);
    writeFileSync(join(dir, 'broken.scim'), '### a\nGET Users\n### b\nPOST Users\n\n{"userName": }\n');
    const broken = await scimx(['send', 'broken.scim']);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /scimx: broken\.scim:6:14: The body is not JSON: a value was expected/);
    writeFileSync(join(dir, 'elsewhere.scim'), 'GET https://example.org/scim/Users\n');
    const elsewhere = await scimx(['send', 'elsewhere.scim']);
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.stderr, /elsewhere\.scim:1: https:\/\/example\.org is not the origin of profile .* \(http:\/\/127\.0\.0\.1:9\)/);
    writeFileSync(join(dir, 'ok.scim'), '### a\nGET Users\n');
    const unknown = await scimx(['send', 'ok.scim', '--name', 'b']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /ok\.scim has no request named "b"; it has: a/);
  });
});
