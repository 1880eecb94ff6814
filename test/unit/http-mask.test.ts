import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, Masker, maskAuthorization, maskValue } from '../../src/core/http/mask';

const KEY = '0123456789abcdef0123456789abcdef';
const PASSWORD = 'correct horse battery staple';

test('maskValue shows the last 4 characters of long secrets only', () => {
  assert.equal(maskValue(KEY), `${MASK}cdef`);
  assert.equal(maskValue('short'), MASK);
  assert.equal(maskAuthorization('Basic dXNlcjpwYXNzd29yZDEyMw=='), 'Basic ••••Mw==');
  assert.equal(maskAuthorization('Bearer abcdefghijklmnopqrstuvwxyz'), 'Bearer ••••wxyz');
});

test('headers: secret names are masked and reported for reveal, others kept', () => {
  const m = new Masker([KEY], ['x-api-secret', 'Ocp-Apim-Subscription-Key']);
  const revealed: Array<[number, string]> = [];
  const out = m.headers([
    ['Ocp-Apim-Subscription-Key', KEY],
    ['Authorization', 'Bearer tok-tok-tok-tok-1234'],
    ['Cookie', 'session=abcdefghijklmnop'],
    ['X-Api-Secret', 'abc'],
    ['X-Other', 'plain'],
    ['X-Echo', `prefix ${KEY}`],
  ], (i, raw) => revealed.push([i, raw]));
  assert.deepEqual(out, [
    ['Ocp-Apim-Subscription-Key', `${MASK}cdef`],
    ['Authorization', `Bearer ${MASK}1234`],
    ['Cookie', `${MASK}mnop`],
    ['X-Api-Secret', MASK],
    ['X-Other', 'plain'],
    ['X-Echo', `prefix ${MASK}cdef`],
  ]);
  assert.deepEqual(revealed.map(([i]) => i), [0, 1, 2, 3, 5]);
  assert.equal(revealed[0]?.[1], KEY);
});

test('URLs: the key query parameter is masked whatever its value; known secrets anywhere', () => {
  const m = new Masker([KEY, PASSWORD], [], 'subscription-key');
  assert.equal(m.url('https://gw/x?a=1&subscription-key=zzzzzzzzzzzzzzzz&b=2'), `https://gw/x?a=1&subscription-key=${MASK}zzzz&b=2`);
  assert.equal(m.url(`https://gw/x?other=${KEY}`), `https://gw/x?other=${MASK}cdef`);
  assert.equal(m.requestLine(`GET /x?q=${encodeURIComponent(PASSWORD)} HTTP/1.1`), `GET /x?q=${MASK}aple HTTP/1.1`);
});

test('bodies: echoed secrets and token fields are masked', () => {
  const m = new Masker([KEY], []);
  const body = JSON.stringify({ echoed: KEY, access_token: 'eyJhbGciOiJIUzI1NiJ9.payload.sig', nested: { password: 'p' } });
  const out = m.text(body);
  assert.ok(!out.includes(KEY));
  assert.ok(!out.includes('eyJhbGciOiJIUzI1NiJ9'));
  assert.ok(out.includes(`"password":"${MASK}"`));
  assert.equal(m.text('grant_type=client_credentials&client_secret=s3cr3t-s3cr3t-s3cr3t'), `grant_type=client_credentials&client_secret=${MASK}cr3t`);
});

test('secrets learned later (a token) are masked from then on', () => {
  const m = new Masker([], []);
  assert.equal(m.text('tok-1234567890-xyz'), 'tok-1234567890-xyz');
  m.addSecret('tok-1234567890-xyz');
  assert.equal(m.text('a tok-1234567890-xyz b'), `a ${MASK}-xyz b`);
});
