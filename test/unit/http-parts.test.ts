// The pipeline's parts on their own: the one place that places the gateway key, how interceptors compose,
// the defaults, the one APIM error-body check (shared by "who answered" and the diagnosis), and the one list of
// reserved headers (shared by the pipeline, the profiles file, the flags and the JSON Schema).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { asGatewayError } from '../../src/core/diagnosis';
import { jsonTooDeep, parseJsonBody, parseJsonObject, readJsonObject } from '../../src/core/http/body';
import { compose, type Dispatch, type DispatchResult, type Interceptor } from '../../src/core/http/chain';
import { keyPlacementOnWire, placeKey } from '../../src/core/http/gateway-key';
import { PIPELINE_DEFAULTS, pipelineSettings } from '../../src/core/http/options';
import { whoAnswered } from '../../src/core/http/who-answered';
import type { GatewayConfig } from '../../src/core/profile';
import { parseProfiles, profileFromFlags } from '../../src/core/profiles';
import { RESERVED_HEADERS } from '../../src/core/profiles/rules';
import { Trace } from '../../src/core/trace';

const KEY = 'gw-key-of-this-test';
const gw = (sendAs: GatewayConfig['sendAs'], withKey = true): GatewayConfig =>
  ({ ...(withKey ? { subscriptionKey: KEY } : {}), header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs });

describe('placeKey: the one place the gateway key goes on a request', () => {
  it('header, query or both, per sendAs; a key parameter already in the URL is replaced', () => {
    const url = 'https://gw.example.com/scim/Users?subscription-key=stale&filter=x';
    assert.deepEqual(placeKey(gw('header'), url, true), {
      url: 'https://gw.example.com/scim/Users?filter=x', header: ['Ocp-Apim-Subscription-Key', KEY],
    });
    assert.deepEqual(placeKey(gw('query'), url, true), { url: `https://gw.example.com/scim/Users?filter=x&subscription-key=${KEY}` });
    const both = placeKey(gw('both'), url, true);
    assert.equal(both.url, `https://gw.example.com/scim/Users?filter=x&subscription-key=${KEY}`);
    assert.deepEqual(both.header, ['Ocp-Apim-Subscription-Key', KEY]);
  });

  it('without credentials (another origin) or without a key, no key goes, and a key parameter is dropped', () => {
    for (const sendAs of ['header', 'query', 'both'] as const) {
      assert.deepEqual(placeKey(gw(sendAs), 'https://other.example.com/Users/1?subscription-key=k&a=1', false), { url: 'https://other.example.com/Users/1?a=1' });
      assert.deepEqual(placeKey(gw(sendAs, false), 'https://gw.example.com/Users', true), { url: 'https://gw.example.com/Users' });
    }
  });

  it('keyPlacementOnWire reads where the key went from headers and request target', () => {
    const g = gw('header');
    assert.equal(keyPlacementOnWire(g, [['ocp-apim-subscription-key', 'x']], '/Users'), 'header');
    assert.equal(keyPlacementOnWire(g, [], '/Users?a=1&subscription-key=x'), 'query');
    assert.equal(keyPlacementOnWire(g, [['Ocp-Apim-Subscription-Key', 'x']], '/Users?subscription-key=x'), 'both');
    assert.equal(keyPlacementOnWire(g, [['X-Other', 'x']], '/Users?a=1'), 'none');
  });
});

describe('compose: as undici composes interceptors', () => {
  it('the last interceptor given is the outermost: a request meets it first, its answer last', async () => {
    const seen: string[] = [];
    const tag = (name: string): Interceptor => (next) => async (req) => {
      seen.push(`> ${name}`);
      const r = await next(req);
      seen.push(`< ${name}`);
      return r;
    };
    const send: Dispatch = async (req) => {
      seen.push('send');
      return { hop: req.hop } as DispatchResult;
    };
    const dispatch = compose(send, tag('inner'), tag('outer'));
    const trace = new Trace();
    await dispatch({ operation: trace.startOperation('t', 'p'), spec: { method: 'GET', url: '/' }, hop: { method: 'GET', url: 'http://x/', credentials: true, warnings: [] }, attempt: 1 });
    assert.deepEqual(seen, ['> outer', '> inner', 'send', '< inner', '< outer']);
  });
});

describe('pipeline defaults: one object', () => {
  it('options left out take PIPELINE_DEFAULTS; options given win', () => {
    const trace = new Trace();
    const s = pipelineSettings({ trace });
    assert.equal(s.userAgent, PIPELINE_DEFAULTS.userAgent);
    assert.equal(s.maxRetries, 3);
    assert.equal(s.maxRetryAfterMs, 60_000);
    assert.equal(s.maxRedirects, 5);
    const t = pipelineSettings({ trace, userAgent: 'ua', maxRetries: 0, maxRetryAfterMs: 5 });
    assert.deepEqual([t.userAgent, t.maxRetries, t.maxRetryAfterMs], ['ua', 0, 5]);
  });
});

describe("APIM's error body: one check for 'who answered' and the diagnosis", () => {
  const bodies: Array<[unknown, 'gateway' | 'backend' | 'unknown']> = [
    [{ statusCode: 401, message: 'Access denied due to missing subscription key.' }, 'gateway'],
    [{ statusCode: 429, message: 'Rate limit is exceeded.', extra: 1 }, 'gateway'],
    [{ statusCode: 404, message: 'Cannot GET /x', error: 'Not Found' }, 'backend'],
    [{ statusCode: 400, message: 'x', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] }, 'backend'],
    [{ statusCode: '401', message: 'x' }, 'unknown'],
    [{ message: 'x' }, 'unknown'],
  ];
  for (const [body, by] of bodies) {
    it(`${JSON.stringify(body)}: ${by}`, () => {
      const who = whoAnswered({ 'content-type': 'application/json' }, JSON.stringify(body));
      assert.equal(who.by, by);
      assert.equal(asGatewayError(body) !== undefined, by === 'gateway', 'the diagnosis reads the same body the same way');
    });
  }
});

describe('reserved headers: one list for the pipeline, the profiles file, the flags and the schema', () => {
  const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'scim-profiles.schema.json'), 'utf8')) as {
    definitions: { profile: { properties: { headers: { propertyNames: { pattern: string } } } } };
  };
  const pattern = new RegExp(schema.definitions.profile.properties.headers.propertyNames.pattern);
  for (const name of RESERVED_HEADERS) {
    const spelt = name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => `${d}${c.toUpperCase()}`);
    it(`${spelt} is refused by the file, the flags and the schema`, async () => {
      const pf = await parseProfiles(['profiles:', '  a:', '    baseUrl: https://x.example.com', '    headers:', `      ${spelt}: x`, ''].join('\n'), 'scim-profiles.yaml', { env: {} });
      assert.deepEqual(pf.problems.map((p) => p.key), [`profiles.a.headers.${spelt}`]);
      assert.match(pf.problems[0]!.message, /set by the HTTP client/);
      assert.throws(() => profileFromFlags({ baseUrl: 'https://x.example.com', header: [`${spelt}: x`] }, {}), /set by the HTTP client/);
      assert.equal(pattern.test(spelt), false, 'the schema refuses it too');
    });
  }
  it('an ordinary header passes all three', async () => {
    const pf = await parseProfiles('profiles:\n  a:\n    baseUrl: https://x.example.com\n    headers:\n      X-Tenant: t\n', 'scim-profiles.yaml', { env: {} });
    assert.deepEqual(pf.problems, []);
    assert.deepEqual(profileFromFlags({ baseUrl: 'https://x.example.com', header: ['X-Tenant: t'] }, {}).headers, { 'X-Tenant': 't' });
    assert.equal(pattern.test('X-Tenant'), true);
  });
});

describe('reading an answer body as a JSON object', () => {
  /** What the attempt did before readJsonObject: scan the text for its depth, then parse an object. */
  const byScan = (text: string): { parsed?: unknown; tooDeep?: number } => {
    const tooDeep = jsonTooDeep(text);
    const parsed = tooDeep === undefined ? parseJsonObject(text) : undefined;
    return { ...(parsed !== undefined ? { parsed } : {}), ...(tooDeep !== undefined ? { tooDeep } : {}) };
  };
  /** What parseJsonBody did before: scan the text for its depth, then parse any JSON value. */
  const bodyByScan = (text: string): unknown => {
    if (!text.trim() || jsonTooDeep(text) !== undefined) return undefined;
    try { return JSON.parse(text) as unknown; } catch { return undefined; }
  };
  const nest = (n: number, open: string, close: string, inner = '1'): string => open.repeat(n) + inner + close.repeat(n);

  it('gives what scanning the text first gave: objects, deep ones (with the offset), arrays, invalid JSON, strings with brackets', () => {
    const texts = [
      '{"a":1}', ' {"Resources":[{"id":"x","name":{"givenName":"{[\\"["}}]} ', '{}', '[]', '', 'null', '<html>{</html>',
      `{"a":${nest(99, '[', ']')}}`, `{"a":${nest(100, '[', ']')}}`, `{"a":${nest(150, '{"b":', '}')}}`,
      `{"s":"${'['.repeat(300)}","a":${nest(50, '[', ']')}}`, `{"s":"\\\\","a":${nest(120, '[', ']')}}`,
      nest(150, '[', ']'), `{"a":${nest(150, '[', ']')}`, `{"a":${nest(150, '[', ']')}} trailing`, `{"a":[1,2,{"b":[{"c":{}}]}]}`,
    ];
    for (const t of texts) {
      assert.deepEqual(readJsonObject(t), byScan(t), t.slice(0, 80));
      assert.deepEqual(parseJsonBody('application/json', t), bodyByScan(t), t.slice(0, 80));
    }
  });

  it('the same on generated bodies', () => {
    fc.assert(fc.property(fc.oneof(fc.json({ depthSize: 'large' }), fc.jsonValue({ maxDepth: 130 }).map((v) => JSON.stringify(v)), fc.string()), (text) => {
      assert.deepEqual(readJsonObject(text), byScan(text));
      const wrapped = `{"v":${text}}`;
      assert.deepEqual(readJsonObject(wrapped), byScan(wrapped));
      for (const t of [text, wrapped]) assert.deepEqual(parseJsonBody('application/scim+json', t), bodyByScan(t));
    }), { numRuns: 300 });
  });
});
