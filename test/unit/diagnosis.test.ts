import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseExchange } from '../../src/core/diagnosis';
import type { Exchange } from '../../src/core/trace';

let n = 0;
function exchange(method: string, keySentAs: Exchange['keySentAs'], status: number, body: unknown, extra: Partial<Exchange> = {}): Exchange {
  n += 1;
  return {
    id: `ex${n}`, operationId: 'op', seq: n, state: 'done', attempt: 1, keySentAs, warnings: [],
    timings: { start: 0 },
    request: { method, url: 'https://gw.example.com/scim/v2/Groups/42', line: `${method} /scim/v2/Groups/42 HTTP/1.1`, headers: [], wire: true, bodySize: 0 },
    response: {
      status, statusText: '', headers: [['content-type', 'application/json']], body: typeof body === 'string' ? body : JSON.stringify(body),
      bodySize: 0, truncated: false, answeredBy: 'gateway',
    },
    ...extra,
  };
}

const missing = { statusCode: 401, message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.' };

test('the motivating failure: key sent on GET, not on PATCH', () => {
  const get = exchange('GET', 'header', 200, { id: '42' });
  const patch = exchange('PATCH', 'none', 401, missing);
  const d = diagnoseExchange(patch, { history: [get] });
  assert.equal(d?.code, 'gateway.key-missing');
  assert.equal(d?.summary, 'gateway rejected PATCH: subscription key missing (sent on GET; not on PATCH)');
  assert.match(d.fix!, /Ocp-Apim-Subscription-Key/);
});

test('key sent but the gateway did not see it: the name is wrong', () => {
  const d = diagnoseExchange(exchange('GET', 'header', 401, missing), { keyHeader: 'X-Key' });
  assert.equal(d?.code, 'gateway.key-name-mismatch');
  assert.match(d.summary, /although it was sent as header `X-Key`/);
});

test('followed location without credentials is named as the cause', () => {
  const ex = exchange('GET', 'none', 401, missing, { location: { policy: 'follow', from: 'http://backend:8080/scim/v2/Groups/42', to: 'http://backend:8080/scim/v2/Groups/42', credentialsWithheld: true } });
  assert.equal(diagnoseExchange(ex)?.code, 'gateway.key-missing-followed-location');
});

test('gateway errors are told apart: invalid key, rate limit, quota, no operation', () => {
  assert.equal(diagnoseExchange(exchange('GET', 'header', 401, { statusCode: 401, message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' }))?.code, 'gateway.key-invalid');
  const rl = exchange('GET', 'header', 429, { statusCode: 429, message: 'Rate limit is exceeded. Try again in 26 seconds.' });
  rl.response!.headers.push(['retry-after', '26']);
  assert.match(diagnoseExchange(rl)!.summary, /retry after 26 s/);
  assert.equal(diagnoseExchange(exchange('GET', 'header', 403, { statusCode: 403, message: 'Out of call volume quota. Quota will be replenished in 00:01:00.' }))?.code, 'gateway.quota');
  assert.equal(diagnoseExchange(exchange('PATCH', 'header', 404, { statusCode: 404, message: 'Resource not found' }))?.code, 'gateway.no-operation');
});

test('SCIM errors carry status, scimType and detail; HTML pages are named', () => {
  const scim = exchange('PATCH', 'header', 400, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidPath', detail: 'bad path' });
  scim.response!.answeredBy = 'backend';
  const d = diagnoseExchange(scim)!;
  assert.equal(d.source, 'scim');
  assert.match(d.summary, /400 invalidPath: bad path/);
  const html = exchange('GET', 'header', 502, '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>');
  html.response!.headers = [['content-type', 'text/html']];
  assert.match(diagnoseExchange(html)!.summary, /HTML page \("502 Bad Gateway"\)/);
});

test('network errors: reset, refused, TLS, timeout', () => {
  const net = (code: string, message: string) => ({ ...exchange('GET', 'header', 0, ''), response: undefined, error: { code, message } });
  assert.equal(diagnoseExchange(net('network', 'read ECONNRESET'))?.code, 'network.reset');
  assert.equal(diagnoseExchange(net('network', 'connect ECONNREFUSED 127.0.0.1:1'))?.code, 'network.refused');
  assert.equal(diagnoseExchange(net('network', 'self-signed certificate'))?.code, 'tls.certificate');
  assert.equal(diagnoseExchange(net('timeout', 'no answer in 30000 ms'))?.code, 'network.timeout');
});
