// The last step of `npm test` (scripts/secret-scan.mjs) must find a raw secret wherever the tests could leak it:
// printed output, the ledger of sandbox secrets, artifacts; as written, URL-encoded or JSON-escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('declared secret constants are found; names of headers are not secrets', async () => {
  const { declaredSecrets } = await import('../../scripts/secret-scan.mjs');
  const src = [
    "const KEY = 'k-0123456789';",
    'const PASSWORD = "pa\\"ss word";',
    'const API_TOKEN = `tok-abcdefgh`;',
    "const KEY_HEADER = 'Ocp-Apim-Subscription-Key';",
    "const SECRET_HEADER = 'header-value-1234';",
    'const TEMPLATE_SECRET = `x${y}`;',
    "const USERS = 'not-a-secret-name';",
  ].join('\n');
  assert.deepEqual(declaredSecrets(src).map((s) => [s.from, s.value]), [
    ['KEY', 'k-0123456789'], ['PASSWORD', 'pa"ss word'], ['API_TOKEN', 'tok-abcdefgh'], ['SECRET_HEADER', 'header-value-1234'],
  ]);
});

test('a ledger secret in printed output, URL-encoded in an artifact, JSON-escaped in a log: each a leak', async () => {
  const { scanForSecrets } = await import('../../scripts/secret-scan.mjs');
  const root = mkdtempSync(join(tmpdir(), 'scimx-scan-'));
  try {
    mkdirSync(join(root, 'test'));
    mkdirSync(join(root, 'artifacts'));
    mkdirSync(join(root, '.vscode-test', 'run', 'user-data', 'logs'), { recursive: true });
    const secret = 'p@ss "w0rd"/+&';
    const ledger = join(root, 'ledger');
    writeFileSync(ledger, `${JSON.stringify({ value: secret, from: 'sandbox password' })}\n${JSON.stringify({ value: 'short', from: 'too short to look for' })}\n{"value": "partial`);
    writeFileSync(join(root, 'artifacts', 'report.txt'), `url ?x=${encodeURIComponent(secret)}`);
    writeFileSync(join(root, 'artifacts', 'shot.png'), Buffer.from([0x89, 0x50, 0, 0, ...Buffer.from(secret)])); // binary: skipped
    writeFileSync(join(root, '.vscode-test', 'run', 'user-data', 'logs', 'SCIM.log'), `{"password":${JSON.stringify(secret)}}`);
    const clean = scanForSecrets({ root, ledger, printed: [{ what: 'unit output', text: 'masked: ••••/+&' }] });
    assert.equal(clean.secrets, 1, 'the short ledger value is not looked for');
    const scan = scanForSecrets({ root, ledger, printed: [{ what: 'unit output', text: `line 1\nAuthorization: ${secret}` }] });
    assert.deepEqual(scan.leaks.sort(), [
      'secret "••••"/+&" (sandbox password) in .vscode-test/run/user-data/logs/SCIM.log, line 1',
      'secret "••••"/+&" (sandbox password) in artifacts/report.txt, line 1',
      'secret "••••"/+&" (sandbox password) in unit output, line 2',
    ].sort());
    assert.equal(clean.leaks.length, 2, 'the artifact and the log leak on their own');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the forms include how node\'s reporters print a string (util.inspect), and every VS Code profile\'s logs are scanned', async () => {
  const { forms, scanForSecrets } = await import('../../scripts/secret-scan.mjs');
  const { inspect } = await import('node:util');
  const secret = 'k3y\\with "quotes" and \'apostrophes\'';
  assert.ok(forms(secret).includes(inspect(secret).slice(1, -1)));
  const root = mkdtempSync(join(tmpdir(), 'scimx-scan-'));
  try {
    mkdirSync(join(root, 'test'));
    mkdirSync(join(root, '.vscode-test', 'e2e-run', 'user-data-untrusted', 'logs'), { recursive: true });
    const ledger = join(root, 'ledger');
    writeFileSync(ledger, `${JSON.stringify({ value: secret, from: 'sandbox key' })}\n`);
    writeFileSync(join(root, '.vscode-test', 'e2e-run', 'user-data-untrusted', 'logs', 'SCIM.log'), 'nothing here');
    const printed = [{ what: 'unit output', text: `AssertionError: ${inspect({ key: secret })}` }];
    assert.deepEqual(scanForSecrets({ root, ledger, printed }).leaks, [`secret "••••hes'" (sandbox key) in unit output, line 1`]);
    writeFileSync(join(root, '.vscode-test', 'e2e-run', 'user-data-untrusted', 'logs', 'SCIM.log'), `key=${secret}`);
    assert.equal(scanForSecrets({ root, ledger, printed: [] }).leaks.length, 1, 'the untrusted session\'s log is scanned too');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
