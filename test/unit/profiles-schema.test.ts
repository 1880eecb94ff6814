// The JSON Schema of the profiles file (schemas/scim-profiles.schema.json, contributed to the YAML extension
// through `yamlValidation`) agrees with the reader (src/core/profiles/): the README's example is valid for
// both, and every key, enum value and number range the reader knows is one the schema knows, and the reverse.
// The reader's own lists are read from its messages ("expected one of: …"), so nothing is copied by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { parseProfiles } from '../../src/core/profiles';

const root = join(__dirname, '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'schemas', 'scim-profiles.schema.json'), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false }); // if/then names keys declared by the parent;
ajv.addKeyword('defaultSnippets'); // the YAML extension's completion snippets
const validate = ajv.compile(schema);
const env = { SCIM_PASSWORD: 'pw', APIM_KEY: 'key', TOK: 'tok', NUM: '50', W: 'put' };
const F = join(tmpdir(), 'scim-profiles.yaml');

interface Verdicts { schema: boolean; reader: boolean; schemaErrors: string; readerProblems: string }

async function both(text: string, file = F): Promise<Verdicts> {
  const okSchema = validate(parse(text, { merge: true }));
  const pf = await parseProfiles(text, file, { env });
  return {
    schema: okSchema, reader: pf.problems.length === 0,
    schemaErrors: ajv.errorsText(validate.errors), readerProblems: pf.problems.map((p) => `${p.key}: ${p.message}`).join(' | '),
  };
}

function agree(v: Verdicts, what: string): void {
  assert.equal(v.schema, v.reader, `${what}: schema says ${v.schema ? 'valid' : `invalid (${v.schemaErrors})`}, reader says ${v.reader ? 'valid' : `invalid (${v.readerProblems})`}`);
}

/** The reader's list for a key: what it says after "expected one of:" for a wrong key or value. */
async function readerList(text: string): Promise<string[]> {
  const pf = await parseProfiles(text, F, { env });
  const m = pf.problems.map((p) => /expected one of: (.+)$/.exec(p.message)).find(Boolean);
  assert.ok(m, `no "expected one of" in: ${pf.problems.map((p) => p.message).join(' | ')}`);
  return m[1]!.split(', ').sort();
}

type Obj = Record<string, unknown>;
const defs = schema['definitions'] as Obj;
const profileSchema = defs['profile'] as Obj;
const props = (s: unknown): Obj => ((s as Obj)['properties'] as Obj);
const keysOf = (s: unknown): string[] => Object.keys(props(s)).sort();
const enumOf = (s: unknown): string[] => {
  const o = s as Obj;
  const e = (o['enum'] ?? (o['anyOf'] as Obj[] | undefined)?.find((x) => Array.isArray(x['enum']))?.['enum']) as string[] | undefined;
  assert.ok(e, 'an enum');
  return [...e].sort();
};

const base = ['profiles:', '  p:', '    baseUrl: https://gw.example.com/scim'];
const doc = (...lines: string[]): string => [...base, ...lines, ''].join('\n');

describe('profiles schema', () => {
  it("the README's example profiles file is valid for the schema and for the reader", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Profiles'));
    const m = /```yaml\n([\s\S]*?)```/.exec(section);
    assert.ok(m, 'a yaml block under ## Profiles');
    const dir = mkdtempSync(join(tmpdir(), 'scim-readme-'));
    try {
      writeFileSync(join(dir, 'corp-root-ca.pem'), 'not read by the parser, only checked to exist\n');
      const v = await both(m[1]!, join(dir, 'scim-profiles.yaml'));
      assert.equal(v.schema, true, v.schemaErrors);
      assert.equal(v.reader, true, v.readerProblems);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows every key the reader accepts, at every level, and no other', async () => {
    assert.deepEqual(keysOf(schema), await readerList('profiles:\n  p:\n    baseUrl: https://x.example.com\nbogus: 1\n'));
    assert.deepEqual(keysOf(profileSchema), await readerList(doc('    bogusKey: 1')));
    assert.deepEqual(keysOf(props(profileSchema)['gateway']), await readerList(doc('    gateway:', '      bogusKey: 1')));
    assert.deepEqual(keysOf(props(profileSchema)['tls']), await readerList(doc('    tls:', '      bogusKey: 1')));
    assert.deepEqual(keysOf(props(profileSchema)['auth']), await readerList(doc('    auth:', '      type: none', '      bogusKey: 1')));
    // and each is accepted by both on its own (or refused by both, with the same required partner)
    for (const k of keysOf(profileSchema)) assert.ok(((props(profileSchema)[k] as Obj)['description'] as string | undefined)?.length, `${k} has a description (hover)`);
  });

  it('knows the same values as the reader for every enumerated key', async () => {
    const p = props(profileSchema);
    for (const k of ['writes', 'locations', 'provider', 'groupReads']) assert.deepEqual(enumOf(p[k]), await readerList(doc(`    ${k}: bogus`)), k);
    assert.deepEqual(enumOf(props(p['gateway'])['sendAs']), await readerList(doc('    gateway:', '      sendAs: bogus')));
    assert.deepEqual(enumOf(props(p['auth'])['type']), await readerList(doc('    auth:', '      type: bogus')));
  });

  it('agrees with the reader on which auth keys go with which auth type', async () => {
    const auth = props(profileSchema)['auth'];
    const required: Record<string, string[]> = { none: [], basic: ['username', 'password'], bearer: ['token'], oauth2: ['tokenUrl', 'clientId', 'clientSecret'] };
    const value = (k: string): string => (k === 'tokenUrl' ? 'https://login.example.com/token' : k === 'password' || k === 'token' || k === 'clientSecret' ? '${env:TOK}' : 'x');
    for (const type of enumOf(props(auth)['type'])) {
      const need = required[type] ?? [];
      agree(await both(doc('    auth:', `      type: ${type}`, ...need.map((k) => `      ${k}: ${value(k)}`))), `auth ${type} with its required keys`);
      for (const missing of need) {
        agree(await both(doc('    auth:', `      type: ${type}`, ...need.filter((k) => k !== missing).map((k) => `      ${k}: ${value(k)}`))), `auth ${type} without ${missing}`);
      }
      for (const extra of keysOf(auth).filter((k) => k !== 'type' && !need.includes(k))) {
        agree(await both(doc('    auth:', `      type: ${type}`, ...[...need, extra].map((k) => `      ${k}: ${value(k)}`))), `auth ${type} with ${extra}`);
      }
    }
    agree(await both(doc('    auth:', '      username: x')), 'auth without type');
  });

  it('agrees with the reader on number ranges, booleans, substitutions and wrong types', async () => {
    const p = props(profileSchema);
    for (const k of ['timeoutMs', 'pageSize', 'concurrency', 'maxOperationsPerPatch', 'maxResponseMB', 'discoveryMaxAgeHours']) {
      const range = ((p[k] as Obj)['anyOf'] as Obj[]).find((x) => x['type'] === 'integer')!;
      const min = range['minimum'] as number;
      const max = range['maximum'] as number;
      for (const n of [min - 1, min, max, max + 1, 1.5]) agree(await both(doc(`    ${k}: ${n}`)), `${k}: ${n}`);
      agree(await both(doc(`    ${k}: \${env:NUM}`)), `${k} from a substitution`);
      agree(await both(doc(`    ${k}: "12"`)), `${k} as a quoted string`);
    }
    for (const line of [
      ['    tls:', '      insecure: true'], ['    tls:', '      insecure: yes please'], ['    tls:', '      certFile: ./a.pem'],
      ['    writes: ${env:W}'], ['    baseUrl2: x'], ['    headers:', '      X-Source: scim-explorer'], ['    headers:', '      Host: x'],
      ['    headers:', '      "Bad Header": x'], ['    secretHeaders: X-A'], ['    gateway:', '      header: "bad header"'],
      ['    gateway:', '      subscriptionKey: ${env:APIM_KEY}', '      sendAs: query'], ['    proxy: ftp://proxy.example.com'],
    ]) agree(await both(doc(...line)), line.join(' / ').trim());
    agree(await both('profiles:\n  p:\n    baseUrl: ftp://x.example.com\n'), 'an ftp base URL');
    agree(await both('profiles: {}\n'), 'no profiles');
    agree(await both('profiles:\n  p:\n    auth:\n      type: none\n'), 'no baseUrl');
  });
});

describe('profiles schema: shipped and contributed', () => {
  it('package.json gives it to the YAML extension for scim-profiles*.yaml, and the .vsix carries it', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { yamlValidation?: Array<{ fileMatch: string[]; url: string }> } };
    const entry = pkg.contributes.yamlValidation?.find((v) => v.url === './schemas/scim-profiles.schema.json');
    assert.ok(entry, 'a yamlValidation entry for the schema');
    assert.ok(entry.fileMatch.includes('scim-profiles*.yaml'));
    const ignore = readFileSync(join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim());
    assert.ok(ignore.includes('!schemas/scim-profiles.schema.json'), '.vscodeignore lets the schema into the .vsix');
  });
});
