import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendQuery, decideLocation, dropQueryParams, joinBase, mapOntoBase, resolveServerUrl,
} from '../../src/core/http/locations';
import { ScimxError } from '../../src/core/errors';

test('mapOntoBase keeps the part after the SCIM base path', () => {
  const cases: Array<[base: string, foreign: string, expected: string | undefined]> = [
    ['https://gw/scim/v2', 'http://10.0.0.5:8080/scim/v2/Groups/1', 'https://gw/scim/v2/Groups/1'],
    ['https://gw/scim/v2', 'http://10.0.0.5:8080/backend/scim/v2/Groups/1', 'https://gw/scim/v2/Groups/1'],
    ['https://gw/api/scim/v2', 'http://backend/scim/v2/Users/abc', 'https://gw/api/scim/v2/Users/abc'],
    ['https://gw/scim', 'https://tenant.accounts.ondemand.com/scim/Users/42', 'https://gw/scim/Users/42'],
    ['https://gw/scim/v2', 'http://backend/identity/scim/Users/1', 'https://gw/scim/v2/Users/1'],
    ['https://gw/scim/v2', 'http://backend/v2/Devices/7', 'https://gw/scim/v2/Devices/7'],
    ['https://gw/scim/v2', 'http://backend/scim/v2/Devices/7', 'https://gw/scim/v2/Devices/7'],
    ['https://gw', 'http://backend/scim/v2/Users/1', 'https://gw/Users/1'],
    ['https://gw', 'http://backend/Custom/9', 'https://gw/Custom/9'],
    ['https://gw/scim/v2', 'http://backend/scim/v2', 'https://gw/scim/v2'],
    ['https://gw/scim/v2/', 'http://backend/SCIM/V2/Groups/1', 'https://gw/scim/v2/Groups/1'],
    ['https://gw/scim/v2', 'http://backend/Users/v2', 'https://gw/scim/v2/Users/v2'],
    ['https://gw/scim/v2', 'http://backend/elsewhere/thing', undefined],
  ];
  for (const [base, foreign, expected] of cases) {
    assert.equal(mapOntoBase(base, foreign), expected, `${foreign} onto ${base}`);
  }
});

test('mapOntoBase keeps the query but drops the key parameter, without re-encoding', () => {
  assert.equal(
    mapOntoBase('https://gw/scim/v2', 'http://b/scim/v2/Users?filter=userName%20eq%20%22a%22&subscription-key=abc&count=5', ['subscription-key']),
    'https://gw/scim/v2/Users?filter=userName%20eq%20%22a%22&count=5',
  );
});

test('relative server URLs resolve against the base URL', () => {
  assert.equal(resolveServerUrl('https://gw/scim/v2', 'Users/1'), 'https://gw/scim/v2/Users/1');
  assert.equal(resolveServerUrl('https://gw/scim/v2', '/Users/1'), 'https://gw/scim/v2/Users/1');
  assert.equal(resolveServerUrl('https://gw/scim/v2', '/scim/v2/Users/1'), 'https://gw/scim/v2/Users/1');
  assert.equal(resolveServerUrl('https://gw/scim/v2', 'http://x/y'), 'http://x/y');
  assert.equal(joinBase('https://gw/scim/v2/', '/Groups/1'), 'https://gw/scim/v2/Groups/1');
});

test('query helpers', () => {
  assert.equal(dropQueryParams('?a=1&k=2&b=3', ['k']), '?a=1&b=3');
  assert.equal(dropQueryParams('?k=2', ['k']), '');
  assert.equal(appendQuery('https://gw/x', [['a b', 'c d']]), 'https://gw/x?a%20b=c%20d');
  assert.equal(appendQuery('https://gw/x?y=1', [['k', 'v']]), 'https://gw/x?y=1&k=v');
});

test('decideLocation: same origin keeps credentials; rewrite, follow, strict on another origin', () => {
  const base = 'https://gw.example.com/scim/v2';
  const same = decideLocation(base, 'rewrite', 'https://gw.example.com/scim/v2/Users/1');
  assert.equal(same.credentials, true);
  assert.equal(same.location, undefined);

  const rw = decideLocation(base, 'rewrite', 'http://10.0.0.5:8080/scim/v2/Groups/1');
  assert.equal(rw.url, 'https://gw.example.com/scim/v2/Groups/1');
  assert.equal(rw.credentials, true);
  assert.equal(rw.location?.policy, 'rewrite');
  assert.ok(rw.warning);

  const fo = decideLocation(base, 'follow', 'http://10.0.0.5:8080/scim/v2/Groups/1?subscription-key=x', { dropQuery: ['subscription-key'] });
  assert.equal(fo.url, 'http://10.0.0.5:8080/scim/v2/Groups/1');
  assert.equal(fo.credentials, false);
  assert.equal(fo.location?.credentialsWithheld, true);

  assert.throws(() => decideLocation(base, 'strict', 'http://10.0.0.5:8080/scim/v2/Groups/1'), (e: unknown) => {
    assert.ok(e instanceof ScimxError);
    assert.equal(e.code, 'location');
    assert.match(e.message, /http:\/\/10\.0\.0\.5:8080/);
    assert.match(e.message, /https:\/\/gw\.example\.com/);
    return true;
  });
  assert.throws(() => decideLocation(base, 'rewrite', 'http://b/nothing/here'), /Cannot map/);
  assert.throws(() => decideLocation(base, 'follow', 'ftp://b/x'), /only http and https/);
});
