// The one neutraliser of control characters (src/core/text.ts) and the short-secret rule of the masker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { hasControls, showControls, showControlsInline } from '../../src/core/text';
import { MASK, Masker } from '../../src/core/http/mask';
import { shortSecretWarnings } from '../../src/core/profile';
import { sandboxProfile } from '../helpers/profile';

test('C0 (but LF), DEL, C1 and bidi controls are shown as \\uXXXX; text and LF stay', () => {
  assert.equal(showControls('a\u001b[31mb\r\n\t\u007f\u009b\u202e\u2066\u200f\ufeffz'), 'a\\u001b[31mb\\u000d\n\\u0009\\u007f\\u009b\\u202e\\u2066\\u200f\\ufeffz');
  assert.equal(showControlsInline('a\nb'), 'a\\u000ab');
  assert.equal(showControls('plain ü 漢字 😀'), 'plain ü 漢字 😀');
  assert.ok(hasControls('\u0085') && !hasControls('ok\n'));
});

test('shown inside a JSON string, the escape reads back as the same value', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
    const doc = showControls(JSON.stringify({ v: s }));
    assert.ok(!hasControls(doc.replace(/\n/g, '')));
    assert.equal((JSON.parse(doc) as { v: string }).v, s);
  }), { seed: 10, numRuns: 500 });
});

test('short secrets: masked where they stand (header value, user info, query value, secret fields), never in free text', () => {
  const m = new Masker(['2024', 'x', 'long-secret-0123456789'], ['x-pin'], 'subscription-key');
  assert.equal(m.text('created 2024-01-01, x marks the spot'), 'created 2024-01-01, x marks the spot');
  assert.equal(m.url('https://gw/scim/v2/Users?startIndex=2024&q=x&y=2025'), `https://gw/scim/v2/Users?startIndex=${MASK}&q=${MASK}&y=2025`);
  assert.equal(m.text('see http://u:2024@proxy:3128/ and http://u:other@p/'), `see http://u:${MASK}@proxy:3128/ and http://u:${MASK}@p/`);
  assert.equal(m.text('{"password":"x","Authorization":"Basic abc","clientSecret":"2024"}'), `{"password":"${MASK}","Authorization":"${MASK}","clientSecret":"${MASK}"}`);
  assert.deepEqual(m.header('X-Echo', '2024'), { value: MASK, masked: true });
  assert.deepEqual(m.header('X-Date', '2024-01-01'), { value: '2024-01-01', masked: false });
  assert.equal(m.text('a long-secret-0123456789 b'), `a ${MASK}6789 b`);
});

test('shortSecretWarnings names every short secret of a profile with its key', () => {
  const p = sandboxProfile({ gatewayUrl: 'https://gw/scim/v2', key: 'k1', keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key', auth: { type: 'basic', username: 'u', password: '2024' } });
  assert.deepEqual(shortSecretWarnings(p).map((w) => w.key), ['profiles.sandbox.gateway.subscriptionKey', 'profiles.sandbox.auth.password']);
  assert.match(shortSecretWarnings(p)[1]!.message, /^auth\.password is shorter than 8 characters \(4\)/);
  assert.deepEqual(shortSecretWarnings({ ...p, auth: { type: 'basic', username: 'u', password: 'long-enough' }, gateway: { ...p.gateway, subscriptionKey: 'k-0123456789' } }), []);
});
