// The profile store's pure logic: which profiles a reload refreshes, Problems-panel ranges, the status bar
// text, the "Create Profiles File" message and a profile listed before its secrets are asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Profile } from '../../src/core/profile';
import { parseProfiles } from '../../src/core/profiles';
import {
  SECRET_NOT_SET, changedProfiles, createdProfilesFileMessage, problemRanges, profileFingerprint, statusView,
} from '../../src/extension/profile-set';
import { viewOf } from '../../src/extension/tree-model';

const F = '/w/scim-profiles.yaml';
const two = (bHost: string, extra = ''): string => [
  'profiles:', '  a:', '    baseUrl: https://a.example.com/scim', '  b:', `    baseUrl: https://${bHost}/scim`, extra, '',
].join('\n');
async function prints(text: string): Promise<Map<string, string>> {
  const pf = await parseProfiles(text, F, { env: {} });
  return new Map(pf.profiles.map((p) => [p.name, profileFingerprint(p)]));
}

test('a save refreshes only the profiles it changed: an edit, an addition, a removal; a moved line is no change', async () => {
  const before = await prints(two('b.example.com'));
  assert.deepEqual([...changedProfiles(before, await prints(two('b.example.com')))], [], 'the same file: nothing');
  assert.deepEqual([...changedProfiles(before, await prints(two('b2.example.com')))], ['b']);
  assert.deepEqual([...changedProfiles(before, await prints(`# a comment moves every line\n${two('b.example.com')}`))], [], 'lines moved only');
  assert.deepEqual([...changedProfiles(before, await prints(two('b.example.com', '  c:\n    baseUrl: https://c.example.com')))], ['c']);
  assert.deepEqual([...changedProfiles(before, await prints('profiles:\n  a:\n    baseUrl: https://a.example.com/scim\n'))], ['b']);
  assert.deepEqual([...changedProfiles(before, await prints(two('b.example.com', '    timeoutMs: 5000')))], ['b']);
});

test('a profile whose secret is not stored is listed (nothing asked), and says so on its node', async () => {
  const asked: string[] = [];
  const text = ['profiles:', '  my-service:', '    baseUrl: https://gateway.example.com/scim/v2', '    auth:', '      type: bearer',
    '      token: ${secret:my-service-token}', '    gateway:', '      subscriptionKey: ${secret:my-service-apim-key}', ''].join('\n');
  // what ProfileStore.read does: stored values only, a stand-in for the others
  const pf = await parseProfiles(text, F, { env: {}, secrets: { get: async (n) => { asked.push(n); return SECRET_NOT_SET; } } });
  assert.deepEqual(pf.problems, []);
  assert.equal(pf.profiles.length, 1);
  const v = viewOf({ kind: 'profile', key: 'profile/my-service', profile: pf.profiles[0]!, unsetSecrets: ['my-service-token', 'my-service-apim-key'] });
  assert.equal(v.description, 'gateway.example.com · secrets not set');
  assert.match(v.tooltip ?? '', /asked for when you first use this profile/);
  assert.match(v.tooltip ?? '', /\$\{secret:my-service-token\}, \$\{secret:my-service-apim-key\}/);
});

test('Problems panel ranges: a key up to its colon, a value to the end of the line without its comment, line 0 on line 1', () => {
  const text = ['profiles:', '  dev:', '    baseUrl: ftp://x.example.com   # old', '    bogus: 1', '    auth: { type: bearer, token: ${env:T} }'].join('\n');
  const [value, key, sub, none] = problemRanges([
    { file: F, line: 3, column: 14, key: 'profiles.dev.baseUrl', message: 'must be http(s)' },
    { file: F, line: 4, column: 5, key: 'profiles.dev.bogus', message: 'unknown key' },
    { file: F, line: 5, column: 34, key: 'profiles.dev.auth.token', message: 'quote it' },
    { file: F, line: 0, column: 0, key: '', message: 'cannot read' },
  ], text);
  assert.deepEqual(value, { line: 2, column: 13, endLine: 2, endColumn: 13 + 'ftp://x.example.com'.length, message: 'must be http(s)', key: 'profiles.dev.baseUrl' });
  assert.deepEqual([key!.line, key!.column, key!.endColumn], [3, 4, 9]);
  assert.equal(text.split('\n')[4]!.slice(sub!.column, sub!.endColumn), '${env:T} }');
  assert.deepEqual([none!.line, none!.column, none!.endColumn], [0, 0, 'profiles:'.length]);
  const [past] = problemRanges([{ file: F, line: 99, column: 99, key: '', message: 'x' }], 'a: 1');
  assert.deepEqual([past!.line, past!.column, past!.endColumn], [0, 4, 5], 'a position past the end is kept inside the file');
});

const p = (name: string, insecure = false): Pick<Profile, 'name' | 'baseUrl' | 'tls'> => ({ name, baseUrl: `https://${name}.example.com`, tls: { insecure } });

test('status bar: reading, none, the only one, the chosen one among several files, a choice that went away', () => {
  assert.equal(statusView({ loaded: false, profiles: [] }).text, '$(server-environment) SCIM');
  assert.equal(statusView({ loaded: true, profiles: [] }).text, '$(server-environment) SCIM: no profile');
  assert.equal(statusView({ loaded: true, profiles: [p('dev')] }).text, '$(server-environment) SCIM: dev');
  const several = [p('dev'), p('sandbox'), p('prod', true)];
  assert.equal(statusView({ loaded: true, profiles: several }).text, '$(server-environment) SCIM: choose a profile (3)');
  const chosen = statusView({ loaded: true, profiles: several, chosen: 'prod' });
  assert.deepEqual([chosen.text, chosen.active, chosen.warning], ['$(server-environment) SCIM: prod', 'prod', true]);
  assert.match(chosen.tooltip, /3 profiles/);
  const gone = statusView({ loaded: true, profiles: several, chosen: 'old' });
  assert.equal(gone.active, undefined);
  assert.match(gone.tooltip, /"old" is no longer defined/);
  assert.equal(statusView({ loaded: true, profiles: [p('dev')], chosen: 'old' }).active, 'dev', 'the only profile stands in for one that went away');
});

test('"Create Profiles File" says when the file was there already, and asks for nothing', () => {
  assert.equal(createdProfilesFileMessage('scim-profiles.yaml', true), 'scim-profiles.yaml already exists: opened it (nothing was written).');
  const created = createdProfilesFileMessage('scim-profiles.yaml', false);
  assert.match(created, /^Created scim-profiles\.yaml/);
  assert.match(created, /asked for when the profile is first used/);
  assert.match(created, /"SCIM: Set Secret…"/);
  assert.doesNotMatch(created, /SCIM Explorer:/);
});
