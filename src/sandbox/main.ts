// `npm start` / `scimx sandbox` / `node dist/sandbox.js`: start the sandbox, say how to use it, run until
// SIGINT/SIGTERM, stop cleanly.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FAULT_MODES, startSandbox, type FaultMode, type SandboxOptions } from './index';
import { FAULT_MODE_INFO } from './modes';

const width = Math.max(...FAULT_MODES.map((m) => m.length));
const USAGE = `usage: sandbox [--port N] [--users N] [--groups N] [--big-group N] [--fault MODE]... [--fault-rate R]
               [--latency-ms N] [--seed N] [--key KEY] [--write-profiles FILE] [--json]
fault and quirk modes (--fault MODE, several allowed; each modelled on a real provider or public issue):
${FAULT_MODES.map((m) => `  ${m.padEnd(width)}  ${FAULT_MODE_INFO[m].does} [${FAULT_MODE_INFO[m].models}]`).join('\n')}`;

function int(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} expects an integer between ${min} and ${max}, got "${value}"`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  let opts: SandboxOptions;
  let json: boolean;
  let profilesFile: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'backend-port': { type: 'string' },
        users: { type: 'string' },
        groups: { type: 'string' },
        'big-group': { type: 'string' },
        fault: { type: 'string', multiple: true },
        'fault-rate': { type: 'string' },
        'latency-ms': { type: 'string' },
        seed: { type: 'string' },
        key: { type: 'string' },
        'write-profiles': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const faults = (values.fault ?? []).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
    for (const f of faults) if (!(FAULT_MODES as readonly string[]).includes(f)) throw new Error(`unknown fault mode "${f}" (known: ${FAULT_MODES.join(', ')})`);
    const rate = values['fault-rate'] === undefined ? undefined : Number(values['fault-rate']);
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new Error(`--fault-rate expects a number between 0 and 1, got "${values['fault-rate']}"`);
    const latencyMs = int('latency-ms', values['latency-ms'], 0, 60_000);
    opts = {
      gatewayPort: int('port', values.port, 0, 65535),
      backendPort: int('backend-port', values['backend-port'], 0, 65535),
      users: int('users', values.users, 0, 100_000),
      groups: int('groups', values.groups, 0, 100_000),
      bigGroupMembers: int('big-group', values['big-group'], 0, 100_000),
      seed: int('seed', values.seed, 0, 2 ** 31),
      faults: faults as FaultMode[],
      ...(rate !== undefined ? { faultRate: rate } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(values.key !== undefined ? { key: values.key } : {}),
    };
    json = values.json ?? false;
    profilesFile = values['write-profiles'];
  } catch (ex) {
    process.stderr.write(`sandbox: ${(ex as Error).message}\nusage: see sandbox --help\n`);
    return 2;
  }

  const started = performance.now();
  let sandbox;
  try {
    sandbox = await startSandbox(opts);
  } catch (ex) {
    process.stderr.write(`sandbox: could not start: ${(ex as Error).message}\n`);
    return 1;
  }
  const ms = Math.round(performance.now() - started);
  const yaml = sandbox.profileYaml('sandbox');
  if (profilesFile) {
    try {
      writeFileSync(profilesFile, yaml, { mode: 0o600 });
    } catch (ex) {
      process.stderr.write(`sandbox: could not write ${profilesFile}: ${(ex as Error).message}\n`);
      await sandbox.stop();
      return 1;
    }
  }
  const auth = sandbox.auth ?? { type: 'none' as const };
  if (json) {
    process.stdout.write(`${JSON.stringify({
      gatewayUrl: sandbox.gatewayUrl, backendUrl: sandbox.backendUrl, key: sandbox.key, keyHeader: sandbox.keyHeader,
      keyQuery: sandbox.keyQuery, auth, faults: opts.faults ?? [], profilesFile: profilesFile ?? null, pid: process.pid,
    })}\n`);
  } else {
    const who = auth.type === 'basic' ? `basic  ${auth.username} / ${auth.password}` : auth.type === 'bearer' ? `bearer ${auth.token}` : 'none';
    process.stdout.write([
      `SCIM sandbox ready in ${ms} ms (${opts.users ?? 50} users, ${opts.groups ?? 10} groups${opts.bigGroupMembers ? `, big-group with ${opts.bigGroupMembers} members` : ''}${opts.faults?.length ? `, faults: ${opts.faults.join(', ')}` : ''})`,
      '',
      `  gateway   ${sandbox.gatewayUrl}      (APIM-like: needs the subscription key)`,
      `  backend   ${sandbox.backendUrl}      (the SCIM server itself, no key)`,
      `  key       ${sandbox.keyHeader}: ${sandbox.key}   (or ?${sandbox.keyQuery}=...)`,
      `  auth      ${who}`,
      '',
      profilesFile ? `Profile written to ${profilesFile}:` : 'Profile for scim-profiles.yaml:',
      '',
      yaml.trimEnd(),
      '',
      `Try: npx scimx --config ${profilesFile ?? 'scim-profiles.yaml'} --profile sandbox discover`,
      'Ctrl+C to stop.',
      '',
    ].join('\n'));
  }

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sandbox.stop();
  if (!json) process.stdout.write('sandbox stopped\n');
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (ex: unknown) => {
      process.stderr.write(`sandbox: ${(ex as Error).stack ?? String(ex)}\n`);
      process.exit(1);
    },
  );
}
