import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHar } from '../../src/core/http/har';
import { Trace } from '../../src/core/trace';

test('HAR 1.2: one page per operation, one entry per exchange, required fields present', () => {
  const trace = new Trace();
  const op = trace.startOperation('add 1 member to G', 'dev');
  const ex1 = trace.addExchange(op, {
    state: 'done', attempt: 1, keySentAs: 'header', warnings: [],
    timings: { start: Date.parse('2025-01-01T00:00:00Z'), sent: 5, headers: 20, end: 25 },
    request: { method: 'PATCH', url: 'https://gw/scim/v2/Groups/1?a=b%20c', line: 'PATCH /scim/v2/Groups/1?a=b%20c HTTP/1.1', headers: [['Content-Type', 'application/scim+json'], ['Ocp-Apim-Subscription-Key', '••••abcd']], wire: true, body: '{}', bodySize: 2 },
    response: { status: 429, statusText: 'Too Many Requests', headers: [['Retry-After', '1'], ['Content-Type', 'application/json']], body: '{"statusCode":429,"message":"x"}', bodySize: 32, truncated: false, answeredBy: 'gateway' },
  });
  trace.addExchange(op, {
    state: 'failed', attempt: 2, retryOf: ex1.id, keySentAs: 'header', warnings: [],
    timings: { start: Date.parse('2025-01-01T00:00:01Z'), waited: 1000, end: 3 },
    request: { method: 'PATCH', url: 'https://gw/scim/v2/Groups/1', line: 'PATCH /scim/v2/Groups/1 HTTP/1.1', headers: [], wire: false, bodySize: 0 },
    error: { code: 'network', message: 'connection refused' },
  });
  const op2 = trace.startOperation('list users', 'dev');
  const har = toHar([op, op2], { creator: { name: 'scimx', version: '9' } });
  assert.equal(har.log.version, '1.2');
  assert.equal(har.log.creator.name, 'scimx');
  assert.equal(har.log.pages?.length, 2);
  assert.equal(har.log.entries.length, 2);
  const [e1, e2] = har.log.entries;
  assert.ok(e1 && e2);
  assert.equal(e1.pageref, op.id);
  assert.equal(e1.request.postData?.text, '{}');
  assert.deepEqual(e1.request.queryString, [{ name: 'a', value: 'b c' }]);
  assert.equal(e1.response.status, 429);
  assert.equal(e1.response.content.mimeType, 'application/json');
  assert.equal(e1.timings.wait, 15);
  assert.equal(e1.timings.receive, 5);
  assert.equal(e1.startedDateTime, '2025-01-01T00:00:00.000Z');
  assert.equal(e2.response.status, 0);
  assert.equal(e2._retryOf, ex1.id);
  assert.equal(e2._waited, 1000);
  // Serializable, and every entry has the required HAR fields.
  const round = JSON.parse(JSON.stringify(har)) as typeof har;
  for (const e of round.log.entries) {
    for (const k of ['startedDateTime', 'time', 'request', 'response', 'cache', 'timings']) assert.ok(k in e, k);
    for (const k of ['method', 'url', 'httpVersion', 'cookies', 'headers', 'queryString', 'headersSize', 'bodySize']) assert.ok(k in e.request, k);
    for (const k of ['status', 'statusText', 'httpVersion', 'cookies', 'headers', 'content', 'redirectURL', 'headersSize', 'bodySize']) assert.ok(k in e.response, k);
  }
});
