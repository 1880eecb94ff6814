// Property-based tests of the profiles parser (fast-check, fixed seeds: deterministic). Whatever the text,
// parseProfiles resolves to a result (problems, never a throw); a generated valid profile round-trips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import YAML from 'yaml';
import { parseProfiles, problemsError, selectProfile } from '../../src/core/profiles';
import { ConfigError } from '../../src/core/errors';

const F = 'scim-profiles.yaml';
const RUNS = { seed: 20240601, numRuns: 300 };

async function neverThrows(text: string): Promise<void> {
  const pf = await parseProfiles(text, F, { env: { A: 'x' } });
  assert.ok(Array.isArray(pf.problems) && Array.isArray(pf.profiles) && Array.isArray(pf.broken));
  for (const p of pf.problems) {
    assert.equal(typeof p.message, 'string');
    assert.ok(p.line >= 0 && p.column >= 0, 'positions are numbers');
  }
  if (pf.problems.length) assert.ok(problemsError(pf) instanceof ConfigError);
  try {
    selectProfile(pf);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `selectProfile throws ConfigError only, got ${String(e)}`);
  }
}

/** Fragments that make text look like YAML (and like a profiles file) more often than random characters do. */
const yamlish = fc.array(fc.oneof(
  fc.constantFrom('profiles:', 'baseUrl:', 'auth:', 'gateway:', 'headers:', 'type:', 'basic', 'https://x.example.com/scim', '  ', '    ', '\n', '\t', '- ', ': ', '{', '}', '[', ']', ',', '"', "'", '&a ', '*a', '!!str ', '!!binary ', '${env:A}', '${secret:s}', '$${', '#', '---', '...', '|', '>', '? ', '%YAML 1.2', '~', 'null', 'true', '0x1F', '1e999', '-1'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
), { maxLength: 60 }).map((parts) => parts.join(''));

test('arbitrary YAML-ish text never throws: a result with problems', async () => {
  await fc.assert(fc.asyncProperty(yamlish, neverThrows), RUNS);
});

test('arbitrary Unicode text (binary garbage included) never throws', async () => {
  await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), neverThrows), RUNS);
});

test('arbitrary objects dumped to YAML, under `profiles:` and at the top, never throw', async () => {
  const value = fc.anything({ maxDepth: 4, withNullPrototype: true, withBigInt: false, withDate: true, withMap: false, withSet: false, withTypedArray: false, withSparseArray: true, withBoxedValues: false });
  await fc.assert(fc.asyncProperty(value, fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 4 }), async (v, profile) => {
    const texts = [
      YAML.stringify(v ?? null),
      YAML.stringify({ profiles: v ?? null }),
      YAML.stringify({ profiles: { p: profile } }),
      YAML.stringify({ profiles: { p: { baseUrl: 'https://x.example.com', ...profile } } }),
      YAML.stringify({ profiles: { p: { baseUrl: 'https://x.example.com', auth: v, gateway: v, headers: v, tls: v, timeoutMs: v } } }),
    ];
    for (const t of texts) await neverThrows(t);
  }), { ...RUNS, numRuns: 150 });
});

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
const safeText = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('${') && !/[\r\n\0]/.test(s) && s.trim() === s && s.length > 0);

test('valid generated profiles round-trip through YAML', async () => {
  const profile = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/),
    host: fc.domain(),
    path: fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxLength: 3 }),
    auth: fc.oneof(
      fc.constant({ type: 'none' as const }),
      fc.record({ type: fc.constant('basic' as const), username: safeText, password: safeText }),
      fc.record({ type: fc.constant('bearer' as const), token: safeText }),
    ),
    gateway: fc.record({ subscriptionKey: safeText, header: token, query: token, sendAs: fc.constantFrom('header', 'query', 'both') }),
    headers: fc.dictionary(token.filter((h) => !['host', 'content-length', 'connection', 'te', 'trailer', 'upgrade', 'keep-alive', 'transfer-encoding'].includes(h.toLowerCase())), safeText, { maxKeys: 3 }),
    writes: fc.constantFrom('auto', 'patch', 'put'),
    locations: fc.constantFrom('rewrite', 'follow', 'strict'),
    provider: fc.constantFrom('generic', 'entra', 'sap', 'aws', 'google'),
    timeoutMs: fc.integer({ min: 1, max: 3_600_000 }),
    pageSize: fc.integer({ min: 1, max: 100_000 }),
    concurrency: fc.integer({ min: 1, max: 64 }),
  });
  await fc.assert(fc.asyncProperty(profile, async (g) => {
    // header names are case-insensitive: keep one spelling per name
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(g.headers)) if (!Object.keys(headers).some((h) => h.toLowerCase() === k.toLowerCase()) && k.toLowerCase() !== g.gateway.header.toLowerCase()) headers[k] = v;
    const baseUrl = `https://${g.host}${g.path.length ? `/${g.path.join('/')}` : ''}`;
    const doc = { profiles: { [g.name]: { baseUrl, auth: g.auth, gateway: g.gateway, headers, writes: g.writes, locations: g.locations, provider: g.provider, timeoutMs: g.timeoutMs, pageSize: g.pageSize, concurrency: g.concurrency } } };
    const pf = await parseProfiles(YAML.stringify(doc), F, { env: {} });
    assert.deepEqual(pf.problems, [], YAML.stringify(doc));
    const p = pf.profiles[0]!;
    assert.equal(p.name, g.name);
    assert.equal(p.baseUrl, new URL(baseUrl).toString().replace(/\/$/, ''));
    assert.deepEqual({ ...p.auth }, { ...g.auth });
    assert.deepEqual({ ...p.gateway }, { ...g.gateway });
    assert.deepEqual(p.headers, headers);
    for (const k of ['writes', 'locations', 'provider', 'timeoutMs', 'pageSize', 'concurrency'] as const) assert.equal(p[k], g[k]);
  }), RUNS);
});
