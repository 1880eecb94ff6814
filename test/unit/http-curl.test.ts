import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { shellQuote, toCurl, secretHeaderVariable } from '../../src/core/http/curl';
import type { Exchange } from '../../src/core/trace';
import type { Profile } from '../../src/core/profile';

function profile(auth: Profile['auth']): Profile {
  return {
    name: 'p', baseUrl: 'https://gw.example.com/scim/v2', auth,
    gateway: { subscriptionKey: 'k'.repeat(32), header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs: 'both' },
    headers: { 'X-Request-Source': 'scim-explorer', 'X-Api-Secret': 'zzz' }, secretHeaders: ['x-api-secret'],
    writes: 'auto', locations: 'rewrite', provider: 'generic', timeoutMs: 1000, pageSize: 100, concurrency: 1,
    maxOperationsPerPatch: 100, tls: { insecure: false },
  };
}

const BODY = `{"Operations":[{"op":"add","value":"it's a \\"test\\"\nline2 $HOME \`x\`"}]}`;

function exchange(method: string, body?: string): Exchange {
  return {
    id: 'ex1', operationId: 'op1', seq: 1, state: 'done', attempt: 1, keySentAs: 'both', warnings: [],
    timings: { start: 0 },
    request: {
      method,
      url: "https://gw.example.com/scim/v2/Groups?filter=members[value eq \"a'b\"]&subscription-key=••••kkkk",
      line: 'x', wire: true, bodySize: body ? Buffer.byteLength(body) : 0, ...(body ? { body } : {}),
      headers: [
        ['host', 'gw.example.com'], ['connection', 'keep-alive'],
        ['Ocp-Apim-Subscription-Key', '••••kkkk'], ['X-Request-Source', 'scim-explorer'], ['X-Api-Secret', '••••'],
        ['Authorization', 'Basic ••••abcd'], ['If-Match', 'W/"3"'], ['content-length', '10'],
      ],
    },
  };
}

/** Runs the command in sh with a fake `curl` that prints its arguments, NUL-separated. */
function argvOf(command: string, env: Record<string, string>): string[] {
  const script = `curl() { for a in "$@"; do printf '%s\\0' "$a"; done; }\n${command}\n`;
  const r = spawnSync('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

test('shellQuote survives quotes, dollars, backticks and newlines', () => {
  for (const s of ["it's", '"$HOME"', '`id`', 'a\nb', '', "''", '\\']) {
    const r = spawnSync('sh', ['-c', `printf '%s' ${shellQuote(s)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, s);
  }
});

test('curl: secrets become variables, everything else is passed exactly', () => {
  const cmd = toCurl(exchange('PATCH', BODY), profile({ type: 'basic', username: "svc'o", password: 'pw' }));
  assert.ok(!cmd.includes('••••'), cmd);
  assert.match(cmd, /APIM_KEY/);
  const argv = argvOf(cmd, { APIM_KEY: 'THEKEY', SCIM_PASSWORD: 'PW', SCIM_HEADER_X_API_SECRET: 'SEC' });
  assert.deepEqual(argv, [
    '-sS', '-g', '-X', 'PATCH',
    '-H', 'Ocp-Apim-Subscription-Key: THEKEY',
    '-H', 'X-Request-Source: scim-explorer',
    '-H', 'X-Api-Secret: SEC',
    '-u', "svc'o:PW",
    '-H', 'If-Match: W/"3"',
    '--data-binary', BODY,
    "https://gw.example.com/scim/v2/Groups?filter=members[value eq \"a'b\"]&subscription-key=THEKEY",
  ]);
});

test('curl: bearer token and GET without body', () => {
  const ex = exchange('GET');
  ex.request.headers = ex.request.headers.map(([n, v]) => (n === 'Authorization' ? [n, 'Bearer ••••abcd'] : [n, v]));
  const cmd = toCurl(ex, profile({ type: 'bearer', token: 't' }));
  const argv = argvOf(cmd, { APIM_KEY: 'K', SCIM_TOKEN: 'TOK', SCIM_HEADER_X_API_SECRET: 'S' });
  assert.ok(argv.includes('Authorization: Bearer TOK'));
  assert.ok(!argv.includes('-X'));
  assert.equal(secretHeaderVariable('X-Api-Secret'), 'SCIM_HEADER_X_API_SECRET');
});
