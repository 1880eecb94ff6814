import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, type CliIo } from '../../src/cli/run';
import { attr, redactor, table } from '../../src/cli/format';

interface Result { code: number; stdout: string; stderr: string }

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'scimx-cli-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

async function scimx(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    env: opts.env ?? {},
    cwd: opts.cwd ?? dir,
    stderrIsTTY: false,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}

describe('scimx help and usage errors (exit 2)', () => {
  it('no command prints the usage on stderr and exits 2', async () => {
    const r = await scimx([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Usage: scimx/);
    assert.equal(r.stdout, '');
  });

  it('--help, help COMMAND and COMMAND --help exit 0', async () => {
    const g = await scimx(['--help']);
    assert.equal(g.code, 0);
    assert.match(g.stdout, /Commands:/);
    const l = await scimx(['list', '--help']);
    assert.equal(l.code, 0);
    assert.match(l.stdout, /^Usage: scimx \[GLOBAL OPTIONS\] list TYPE/);
    const m = await scimx(['help', 'members']);
    assert.equal(m.code, 0);
    assert.match(m.stdout, /members add\|remove/);
    const v = await scimx(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^scimx \d+\.\d+\.\d+/);
  });

  const usageCases: Array<[string, string[], RegExp]> = [
    ['unknown command', ['frobnicate'], /^scimx: unknown command "frobnicate"/],
    ['unknown option', ['discover', '--nope'], /^scimx: unknown option --nope/],
    ['unknown option, no command', ['--bogus'], /^scimx: unknown option --bogus/],
    ['option of another command', ['get', 'Users', '1', '--filter', 'x'], /^scimx: --filter is an option of list, not get/],
    ['missing TYPE', ['list'], /^scimx: missing arguments: scimx list TYPE/],
    ['too many arguments', ['get', 'Users', '1', '2'], /^scimx: unexpected argument "2"/],
    ['members without users', ['members', 'add', 'g1'], /^scimx: missing arguments/],
    ['members bad action', ['members', 'put', 'g1', 'u1'], /^scimx: members takes add, remove, restore, undo or journal, not "put"/],
    ['missing option value', ['list', 'Users', '--filter'], /^scimx: .*--filter/],
    ['profile flag without --base-url', ['discover', '--user', 'u'], /^scimx: --user needs --base-url/],
    ['--base-url with --config', ['discover', '--base-url', 'http://127.0.0.1:9', '--config', 'x.yaml'], /do not combine/],
  ];
  for (const [name, argv, re] of usageCases) {
    it(`${name}: exit 2, one message line`, async () => {
      const r = await scimx(argv);
      assert.equal(r.code, 2, r.stderr);
      assert.match(firstLine(r.stderr), re);
      assert.equal(r.stdout, '');
    });
  }

  it('no profiles file and no --base-url: exit 2 saying what to do', async () => {
    const r = await scimx(['discover']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no profile: pass --config FILE, create \.\/scim-profiles\.yaml, or build one with --base-url/);
  });

  it('a flag naming an unset env var: exit 2 naming the variable', async () => {
    const r = await scimx(['discover', '--base-url', 'http://127.0.0.1:9/scim', '--subscription-key-env', 'APIM_KEY_UNSET']);
    assert.equal(r.code, 2);
    assert.match(firstLine(r.stderr), /^scimx: --subscription-key-env: environment variable APIM_KEY_UNSET is not set$/);
  });

  it('a bad --base-url: exit 2', async () => {
    const r = await scimx(['probe', '--base-url', 'ftp://x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--base-url ftp:\/\/x: .*http/);
  });
});

describe('scimx profiles file errors (exit 2, file:line:column)', () => {
  it('reports every problem with file, line, column and key', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'profiles:\n  dev:\n    baseUrl: https://x.example.com\n    gateway:\n      sendAs: cookie\n    colour: red\n');
    const r = await scimx(['--config', file, 'discover']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:5:15: profiles\.dev\.gateway\.sendAs: "cookie" is not allowed; expected one of: header, query, both/);
    assert.match(r.stderr, /bad\.yaml:6:5: profiles\.dev\.colour: unknown key "colour"/);
    assert.match(firstLine(r.stderr), /^scimx: /);
  });

  it('a missing env var in the file names it; --json adds a JSON error document', async () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, 'profiles:\n  dev:\n    baseUrl: https://x.example.com\n    gateway: { subscriptionKey: "${env:APIM_KEY}" }\n');
    const r = await scimx(['--json', '--config', file, 'discover']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /env\.yaml:4:34: profiles\.dev\.gateway\.subscriptionKey: environment variable APIM_KEY is not set/);
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; problems: Array<{ line: number; key: string }> } };
    assert.equal(doc.ok, false);
    assert.equal(doc.error.code, 'config');
    assert.equal(doc.error.problems[0]!.line, 4);
  });

  it('several profiles and no --profile: exit 2 listing them', async () => {
    writeFileSync(join(dir, 'scim-profiles.yaml'), 'profiles:\n  a: { baseUrl: "https://a.example.com" }\n  b: { baseUrl: "https://b.example.com" }\n');
    try {
      const r = await scimx(['discover']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /has 2 profiles; choose one with --profile NAME \(a, b\)/);
      const u = await scimx(['--profile', 'c', 'discover']);
      assert.equal(u.code, 2);
      assert.match(u.stderr, /no profile "c"/);
    } finally {
      rmSync(join(dir, 'scim-profiles.yaml'));
    }
  });

  it('a missing --config file: exit 2', async () => {
    const r = await scimx(['--config', 'nope.yaml', 'probe']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /profiles file not found: .*nope\.yaml/);
  });
});

describe('scimx cancellation', () => {
  it('an already aborted signal exits 130', async () => {
    const ac = new AbortController();
    ac.abort();
    const code = await run(['discover'], { stdout: () => {}, stderr: () => {}, env: {}, cwd: dir, signal: ac.signal });
    assert.equal(code, 130);
  });
});

describe('scimx output helpers', () => {
  it('redactor masks raw, JSON-escaped and URL-encoded secrets', () => {
    const r = redactor(['abc"def-123456', 'pw', 'k e y-1234567890']);
    assert.equal(r('x abc"def-123456 y'), 'x ••••3456 y');
    assert.equal(r(JSON.stringify({ v: 'abc"def-123456' })), '{"v":"••••3456"}');
    assert.equal(r('?subscription-key=k%20e%20y-1234567890'), '?subscription-key=••••7890');
    assert.equal(r('pw stays: too short to redact without mangling text'), 'pw stays: too short to redact without mangling text');
  });

  it('table aligns columns, clips and flattens cells', () => {
    const t = table(['ID', 'NAME'], [['1', 'alice'], ['22', 'b\nob'], ['3', 'x'.repeat(60)]], 10);
    assert.deepEqual(t.split('\n'), ['ID  NAME', '1   alice', '22  b ob', `3   ${'x'.repeat(9)}…`, '']);
  });

  it('attr reads dotted paths, primary values and case-insensitive names', () => {
    const u = { id: '1', userName: 'a', name: { givenName: 'Ann' }, emails: [{ value: 'x@y', primary: false }, { value: 'p@y', primary: true }] };
    assert.equal(attr(u, 'username'), 'a');
    assert.equal(attr(u, 'name.givenName'), 'Ann');
    assert.equal(attr(u, 'emails.value'), 'p@y');
    assert.equal(attr(u, 'emails'), '[2]');
    assert.equal(attr(u, 'nope.x'), '');
  });
});
