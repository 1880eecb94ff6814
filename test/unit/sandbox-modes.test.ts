// Every sandbox fault/quirk mode is described: in `scimx sandbox --help` and in README's table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/sandbox/main';
import { FAULT_MODES, FAULT_MODE_INFO, GATEWAY_FAULT_MODES } from '../../src/sandbox/types';

test('every mode has a description, shown by sandbox --help and in README', async () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => { written.push(String(chunk)); return true; });
  let code: number;
  try {
    code = await main(['--help']);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0);
  const help = written.join('');
  for (const m of FAULT_MODES) {
    const info = FAULT_MODE_INFO[m];
    assert.ok(info.does.length > 10 && info.models.length > 3, `${m} described`);
    assert.ok(help.includes(`  ${m} `) && help.includes(info.does), `${m} in sandbox --help`);
    assert.ok(readme.includes(`| \`${m}\` |`), `${m} in README's table`);
  }
});

test('the table says which side plays each mode: the gateway plays exactly its seven', () => {
  assert.deepEqual(GATEWAY_FAULT_MODES, ['ratelimit', 'flaky', 'slow', 'latency', 'patch-not-routed', 'quota', 'html-errors']);
  for (const m of FAULT_MODES) assert.ok(['gateway', 'backend'].includes(FAULT_MODE_INFO[m].side), m);
});
