// Property-based test of masking: a secret never appears raw in the masked output of a text that contains it
// plain, URL-encoded, form-encoded or JSON-escaped, nor in masked headers and URLs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Masker, MASK_MIN_LENGTH } from '../../src/core/http/mask';

const RUNS = { seed: 99, numRuns: 1000 };
const secret = fc.oneof(
  fc.string({ unit: 'binary', minLength: MASK_MIN_LENGTH, maxLength: 40 }),
  fc.string({ minLength: MASK_MIN_LENGTH, maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9+/=_-]{12,48}$/),
).filter((s) => s.trim().length >= MASK_MIN_LENGTH && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')));
const filler = fc.string({ maxLength: 30 });

function forms(s: string): string[] {
  return [s, encodeURIComponent(s), new URLSearchParams({ x: s }).toString().slice(2), JSON.stringify(s).slice(1, -1)];
}

test('a secret never survives masking, in any of its usual encodings', () => {
  fc.assert(fc.property(secret, filler, filler, fc.constantFrom(0, 1, 2, 3), (s, before, after, form) => {
    const m = new Masker([s], ['x-api-key'], 'subscription-key');
    const raw = forms(s)[form]!;
    const text = `${before}${raw}${after}`;
    const out = m.text(text);
    // the raw value must be gone; only its masked form (•••• + last 4) may remain
    for (const f of forms(s)) if (f.length >= 8) assert.ok(!out.includes(f), `form ${form} of ${JSON.stringify(s)} left in ${JSON.stringify(out)}`);
    const url = m.url(`https://gw.example.com/scim/v2/Users?subscription-key=${encodeURIComponent(s)}&q=${encodeURIComponent(before)}`);
    assert.ok(!url.includes(encodeURIComponent(s)) && !url.includes(s), url);
    const h = m.header('X-Api-Key', s);
    assert.ok(!h.value.includes(s) && h.masked);
    const auth = m.header('Authorization', `Bearer ${s}`);
    assert.ok(!auth.value.includes(s));
  }), RUNS);
});

test('JSON bodies that carry the secret in secret fields are masked even when the secret is not known', () => {
  fc.assert(fc.property(secret, fc.constantFrom('access_token', 'refresh_token', 'client_secret', 'password', 'subscriptionKey'), (s, field) => {
    const m = new Masker([], []);
    const out = m.text(JSON.stringify({ [field]: s, other: 'x' }));
    assert.ok(!out.includes(JSON.stringify(s).slice(1, -1)), out);
  }), RUNS);
});
