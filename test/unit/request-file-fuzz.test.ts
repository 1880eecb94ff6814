// Property-based tests of the request-file parser (fast-check, fixed seeds: deterministic). Whatever the text,
// parseRequestFile returns blocks and problems (never a throw), every problem inside the text; and a generated
// file of valid requests parses back to exactly those requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { METHODS, parseRequestFile } from '../../src/core/request-files/parse';

const RUNS = { seed: 20261202, numRuns: 400 };

function wellFormed(text: string): void {
  const f = parseRequestFile(text);
  const lineCount = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/).length;
  for (const p of [...f.problems, ...f.blocks.flatMap((b) => b.problems)]) {
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lineCount, `problem line ${p.line} within 1..${lineCount}: ${p.message}`);
    assert.ok(Number.isInteger(p.column) && p.column >= 1, `problem column ${p.column}`);
    assert.equal(typeof p.message, 'string');
  }
  let last = 0;
  f.blocks.forEach((b, i) => {
    assert.equal(b.index, i);
    assert.ok(METHODS.includes(b.method));
    assert.ok(b.startLine > last || i === 0, 'blocks do not overlap');
    assert.ok(b.requestLine >= b.startLine && b.requestLine <= Math.max(b.endLine, b.requestLine));
    last = b.endLine;
  });
}

/** Fragments that make text look like a request file more often than random characters do. */
const fragment = fc.oneof(
  fc.constantFrom('###', '### name', '# @name x', '// c', '#', 'GET ', 'PATCH ', 'post ', 'FETCH ', 'Users', '/Groups/g1', '?filter=a eq "b"', '&count=1',
    'https://gw.example.com/scim/Users', ' HTTP/1.1', 'Authorization: Bearer x', 'If-Match: W/"1"', ': ', 'Name:', '\n', '\r\n', '\r', '  ', '\t',
    '{', '}', '[', ']', '"', ',', ':', '{"a": 1}', '{"schemas": []', '\u0000', '\u007f', '\uFEFF', '\\u12', '1e999', '-'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

test('arbitrary request-ish text never throws; problems are inside the text', () => {
  fc.assert(fc.property(fc.array(fragment, { maxLength: 80 }).map((p) => p.join('')), (t) => wellFormed(t)), RUNS);
});

test('arbitrary Unicode text (binary garbage included) never throws', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (t) => wellFormed(t)), RUNS);
});

const tchar = fc.constantFrom(...'!$%\'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
const headerName = fc.array(tchar, { minLength: 1, maxLength: 12 }).map((c) => c.join('')).filter((n) => !n.startsWith('//'));
const printable = (s: string): string => [...s].filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f).join('');
const headerValue = fc.string({ maxLength: 30 }).map((s) => printable(s).trim());
const pathChar = fc.constantFrom(...'abcXYZ019/?=&"._~-% '.split(''));
const path = fc.tuple(fc.constantFrom('Users', 'Groups', 'Schemas', 'ResourceTypes', 'x'), fc.array(pathChar, { maxLength: 30 }))
  .map(([a, rest]) => `${a}${rest.join('')}`.trimEnd())
  .filter((p) => !/\sHTTP\/\d(\.\d)?$/i.test(p));
const request = fc.record({
  method: fc.constantFrom(...METHODS),
  lower: fc.boolean(),
  path,
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
  body: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  comment: fc.boolean(),
});

test('a generated file of valid requests parses back to the same requests', () => {
  fc.assert(fc.property(fc.array(request, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n'), (reqs, eol) => {
    const text = reqs.map((r, i) => [
      `### request ${i + 1}`,
      ...(r.comment ? ['# a comment', '// another'] : []),
      `${r.lower ? r.method.toLowerCase() : r.method} ${r.path}`,
      ...r.headers.map(([n, v]) => `${n}: ${v}`),
      ...(r.body !== undefined ? ['', JSON.stringify(r.body, null, 2)] : []),
      '',
    ].join(eol)).join(eol);
    const f = parseRequestFile(text);
    assert.deepEqual(f.problems, [], text);
    assert.equal(f.blocks.length, reqs.length);
    reqs.forEach((r, i) => {
      const b = f.blocks[i]!;
      assert.equal(b.name, `request ${i + 1}`);
      assert.equal(b.method, r.method);
      assert.equal(b.target, r.path);
      assert.deepEqual(b.headers.map((h) => [h.name, h.value]), r.headers);
      if (r.body === undefined) assert.equal(b.body, undefined);
      else assert.deepEqual(b.body?.json, JSON.parse(JSON.stringify(r.body)));
    });
  }), { ...RUNS, numRuns: 300 });
});
