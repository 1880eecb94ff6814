// Profile-file problems in plain words, one per mistake, at the place to fix (the Problems panel shows them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfiles, problemsError } from '../../src/core/profiles';

const F = '/work/scim-profiles.yaml';
const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('profiles file: plain syntax messages', () => {
  it('an unquoted ${ in a flow map is one problem that says to quote it, at the $', async () => {
    const pf = await parseProfiles(y(
      'profiles:', '  dev:', '    baseUrl: https://x.example.com/scim',
      '    gateway: {subscriptionKey: ${secret:k}, sendAs: query}',
      '  prod:', '    baseUrl: https://y.example.com',
    ), F, { env: {} });
    assert.equal(pf.problems.length, 1, pf.problems.map((p) => p.message).join(' | '));
    const p = pf.problems[0]!;
    assert.match(p.message, /quote a value that starts with `\$\{`/);
    assert.doesNotMatch(p.message, /UNEXPECTED_TOKEN|flow-map/);
    assert.deepEqual([p.line, p.column, p.key], [4, 32, 'profiles.dev.gateway.subscriptionKey']);
    assert.doesNotMatch(problemsError(pf).message, /more/);
  });

  it('the same in a flow map of auth: one problem, at the $', async () => {
    const pf = await parseProfiles(y(
      'profiles:', '  dev:', '    baseUrl: https://x.example.com/scim', '    auth: { type: bearer, token: ${env:TOK} }',
      '  prod:', '    baseUrl: https://y.example.com',
    ), F, { env: { TOK: 't' } });
    assert.equal(pf.problems.length, 1);
    assert.equal(pf.problems[0]!.column, 34);
  });

  it('tabs, indentation, unclosed quotes and duplicate keys are said in words, with no parser code names', async () => {
    const cases: Array<[string, RegExp]> = [
      [y('profiles:', '  dev:', '    baseUrl: https://x.example.com', '\tauth: x'), /indent with spaces, not tabs/],
      [y('profiles:', '  dev:', '    baseUrl: https://x.example.com', '   auth: x'), /not indented like the keys around it/],
      [y('profiles:', '  dev:', '    baseUrl: "https://x.example.com'), /quoted value is not closed/],
      [y('profiles:', '  dev:', '    baseUrl: https://x', '  dev:', '    baseUrl: https://y'), /"dev" is given twice/],
    ];
    for (const [text, re] of cases) {
      const pf = await parseProfiles(text, F, { env: {} });
      const first = pf.problems[0]!;
      assert.match(first.message, re);
      assert.doesNotMatch(first.message, /\b[A-Z]+_[A-Z_]+\b/, 'no parser code name');
    }
  });

  it('a missing secret names the command as the palette shows it', async () => {
    const pf = await parseProfiles(y('profiles:', '  dev:', '    baseUrl: https://x.example.com', '    auth:', '      type: bearer', '      token: ${secret:tok}'),
      F, { env: {}, secrets: { get: async () => undefined } });
    assert.match(pf.problems[0]!.message, /"SCIM: Set Secret…"/);
  });
});
