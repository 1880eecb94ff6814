// Property-based tests of location mapping: a server-provided URL mapped onto the base URL never yields
// another origin, and the location policy gives credentials to the profile's own origin only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ScimxError } from '../../src/core/errors';
import { decideLocation, joinBase, mapOntoBase, resolveServerUrl } from '../../src/core/http/locations';

const RUNS = { seed: 31337, numRuns: 1000 };
const segment = fc.oneof(
  fc.constantFrom('scim', 'v2', 'Users', 'Groups', '..', '.', '%2e%2e', '%2F', '@evil.example', 'evil.example:81', '\\', '\\\\evil.example', '//evil.example', 'http:', 'https:%2F%2Fevil.example', '?', '#', '%00', ';', 'ü'),
  fc.string({ maxLength: 8 }),
);
const path = fc.array(segment, { maxLength: 6 }).map((s) => s.join('/'));
const base = fc.tuple(fc.constantFrom('https://gw.example.com', 'http://127.0.0.1:8080', 'https://gw.example.com:8443'), fc.constantFrom('', '/scim/v2', '/api/scim', '/scim/v2/')).map(([o, p]) => `${o}${p}`);
const foreign = fc.tuple(fc.constantFrom('http://10.0.0.5:8080', 'https://evil.example', 'http://gw.example.com', 'https://user:pw@backend.internal'), path, fc.constantFrom('', '?a=1&subscription-key=k', '#frag', '?x=%2F..')).map(([o, p, q]) => `${o}/${p}${q}`);

test('mapOntoBase never yields another origin', () => {
  fc.assert(fc.property(base, foreign, (b, f) => {
    let out: string | undefined;
    try {
      out = mapOntoBase(b, f, ['subscription-key']);
    } catch (e) {
      assert.ok(e instanceof TypeError && /Invalid URL/.test(e.message), String(e)); // an unparsable input URL only
      return;
    }
    if (out === undefined) return;
    const u = new URL(out);
    assert.equal(u.origin, new URL(b).origin, `${f} -> ${out}`);
    assert.equal(u.username, '');
    assert.ok(!u.searchParams.has('subscription-key'), 'the key parameter is dropped');
  }), RUNS);
});

test('decideLocation: credentials only for the profile origin, whatever the policy and URL', () => {
  fc.assert(fc.property(base, fc.oneof(foreign, path.map((p) => `${'https://gw.example.com'}/${p}`), fc.string({ maxLength: 30 })), fc.constantFrom('rewrite', 'follow', 'strict'), (b, url, policy) => {
    try {
      const d = decideLocation(b, policy, url, { dropQuery: ['subscription-key'] });
      const origin = new URL(d.url).origin;
      if (d.credentials) assert.equal(origin, new URL(b).origin, `${url} -> ${d.url}`);
      else assert.equal(policy, 'follow');
    } catch (e) {
      assert.ok(e instanceof ScimxError && e.code === 'location', String(e));
    }
  }), RUNS);
});

test('relative paths and server URLs without a scheme stay on the base origin', () => {
  fc.assert(fc.property(base, path, (b, p) => {
    // (a server URL with a scheme is absolute: kept by resolveServerUrl, then judged by decideLocation above)
    const schemeLike = (s: string) => /^[a-z][a-z0-9+.-]*:/i.test(s);
    // and `//host/…` is a network-path reference to another host by definition (judged the same way)
    const urls = [joinBase(b, p), ...[p, `/${p}`].filter((x) => !schemeLike(x) && !x.startsWith('//')).map((x) => resolveServerUrl(b, x))];
    for (const url of urls) {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        continue;
      }
      assert.equal(u.origin, new URL(b).origin, `${p} -> ${url}`);
    }
  }), RUNS);
});
