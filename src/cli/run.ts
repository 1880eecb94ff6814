// `scimx`: the command-line face on core. `run(argv, io)` does everything and returns the exit code, so
// tests drive it in-process; ./main.ts wires it to the process (stdout, stderr, Ctrl-C, exit code).
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, ScimxError, isScimxError, toScimxError } from '../core/errors';
import { DEFAULT_PROFILES_FILE, formatProblem, loadProfilesFile, profileFromFlags, selectProfile } from '../core/profiles';
import { profileSecrets, type Profile } from '../core/profile';
import type { Clock } from '../core/clock';
import { countDown } from '../core/http/retry';
import { Trace } from '../core/trace';
import { showControls } from '../core/text';
import { locationNotes } from '../core/diagnosis';
// The client and the HAR writer are loaded when needed: --help and usage errors stay instant.
type ClientModule = typeof import('../core/scim/client');
type JournalModule = typeof import('../core/journal');
type CacheModule = typeof import('../core/scim/cache');
type MembershipReport = import('../core/scim/types').MembershipReport;
type HarModule = typeof import('../core/http/har');
type CurlModule = typeof import('../core/http/curl');
import {
  ALL_OPTIONS, COMMAND_OPTIONS, GLOBAL_OPTIONS, PROFILE_OPTIONS, commandHelp, commandsWithOption, globalHelp, isCommand,
  type CommandName,
} from './args';
import { redactor } from './format';
import { runCommand, type CommandContext } from './commands';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Directory for the default profiles file and relative paths; default process.cwd(). */
  cwd?: string;
  /** Progress lines are written to stderr only when it is a terminal. */
  stderrIsTTY?: boolean;
  /** Aborting it cancels the run (Ctrl-C); run then resolves 130. */
  signal?: AbortSignal;
  /** Asks a yes/no question (a terminal); absent: none can be asked, and a write that needs an answer is refused. */
  confirm?: (question: string) => Promise<boolean>;
  /** What retries, re-applies and their countdowns wait on; default the system clock (tests pass a fake one). */
  clock?: Clock;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../../package.json') as { version: string }).version;

interface SandboxModule {
  main(argv: string[]): Promise<number>;
}

/** dist/sandbox.js next to the bundled dist/cli.js; src/sandbox/main.ts when running from sources (tsx). */
function loadSandbox(): SandboxModule {
  const candidates = [
    join(__dirname, 'sandbox.js'),
    join(__dirname, '..', 'sandbox', 'main.ts'),
    join(__dirname, '..', '..', 'dist', 'sandbox.js'),
  ];
  for (const file of candidates) {
    if (existsSync(file)) {
      // A computed path: esbuild leaves this require alone, so the sandbox is not bundled into cli.js.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as SandboxModule;
    }
  }
  throw new ScimxError('usage', 'the sandbox is not built: run `npm run build` first');
}

function usage(message: string, hint?: string): ScimxError {
  return new ScimxError('usage', message, hint ? { hint } : {});
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (io.signal) {
    if (io.signal.aborted) return EXIT.cancelled;
    io.signal.addEventListener('abort', onAbort, { once: true });
  }
  // The CLI's only write points: every text passes the masker (every secret the pipeline knows, those it
  // learnt at run time included) and then has its control characters shown, never sent raw to a terminal.
  let redact: (t: string) => string = (t) => t;
  const out = (t: string) => io.stdout(showControls(redact(t)));
  const err = (t: string) => io.stderr(showControls(redact(t)));
  let jsonMode = argv.includes('--json');
  let harFile: string | undefined;
  let curl = false;
  let trace: Trace | undefined;
  let profile: Profile | undefined;
  let code: number;
  let ctx: CommandContext | undefined;
  try {
    // 1. Find the command word (options may come before or after it).
    const pre = parseArgs({ args: argv, options: ALL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
    const first = pre.tokens?.find((t) => t.kind === 'positional');
    const commandIndex = first && first.kind === 'positional' ? first.index : -1;
    const word = commandIndex >= 0 ? argv[commandIndex] as string : undefined;

    if (word === undefined) {
      if (pre.values.version === true) { out(`scimx ${VERSION}\n`); return EXIT.ok; }
      if (pre.values.help === true) { out(globalHelp()); return EXIT.ok; }
      const unknown = pre.tokens?.find((t) => t.kind === 'option' && !(t.name in ALL_OPTIONS));
      if (unknown && unknown.kind === 'option') throw usage(`unknown option ${unknown.rawName}`, 'scimx --help');
      err(globalHelp());
      return EXIT.usage;
    }
    if (word === 'help') {
      const topic = argv[commandIndex + 1];
      if (topic !== undefined && isCommand(topic)) out(commandHelp(topic));
      else out(globalHelp());
      return EXIT.ok;
    }
    if (!isCommand(word)) throw usage(`unknown command "${word}"`, 'commands: discover, list, get, members, probe, edit, apply, create, delete, compat, send, sandbox (scimx --help)');
    const command: CommandName = word;

    // 2. The sandbox takes the rest of the command line as its own.
    if (command === 'sandbox') {
      const before = argv.slice(0, commandIndex);
      const g = strictParse(before, { ...GLOBAL_OPTIONS }, command);
      if (g.values.help === true) { out(commandHelp('sandbox')); return EXIT.ok; }
      return await loadSandbox().main(argv.slice(commandIndex + 1));
    }

    // 3. Strict parse: global, profile and this command's options.
    const parsed = strictParse(argv, { ...GLOBAL_OPTIONS, ...PROFILE_OPTIONS, ...COMMAND_OPTIONS[command] }, command);
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    const args = parsed.positionals.slice(1);
    jsonMode = values.json === true;
    if (values.help === true) { out(commandHelp(command)); return EXIT.ok; }
    if (values.version === true) { out(`scimx ${VERSION}\n`); return EXIT.ok; }
    checkArity(command, args);
    harFile = typeof values.har === 'string' ? values.har : undefined;
    if (harFile === '') throw usage('--har needs a file name');
    curl = values.curl === true;

    // 4. The profile: from flags, or from the profiles file.
    profile = await resolveProfile(values, io);
    redact = redactor(profileSecrets(profile));

    // 5. Run the command through the core client.
    trace = new Trace();
    ctx = {
      profile, trace, io, out, err, json: jsonMode, args, values, signal: controller.signal,
      mask: (t) => redact(t),
      progress: progressWriter(io, (t) => showControls(redact(t))),
    };
    const commandCtx = ctx;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ScimClient } = require('../core/scim/client') as ClientModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FileJournal, defaultStateDir } = require('../core/journal') as JournalModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { defaultCacheDir } = require('../core/scim/cache') as CacheModule;
    const client = new ScimClient(profile, {
      trace,
      journal: new FileJournal(defaultStateDir(io.env)),
      cacheDir: defaultCacheDir(io.env),
      userAgent: `scimx/${VERSION}`,
      clock: io.clock,
      // a wait before a retry, counted down on the progress line (Ctrl-C cancels it like any step)
      onWait: (n) => { countDown(n, (text) => commandCtx.progress(`${n.operation.title}: ${text}`), undefined, io.clock); },
    });
    // From here on, the pipeline's masker: the profile's secrets and every secret learnt at run time (OAuth
    // access tokens), short ones masked where they stand (headers, user info, query values), not in free text.
    redact = (t) => client.pipeline.mask(t);
    try {
      code = await runCommand(command, client, commandCtx);
    } finally {
      commandCtx.progress(undefined);
      for (const n of client.cacheNotes()) commandCtx.err(`note: ${n}\n`);
      await client.close().catch(() => undefined);
    }
  } catch (e) {
    code = reportError(e, { err, out, json: jsonMode && !ctx?.jsonWritten, harFile, trace, cancelled: controller.signal.aborted });
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
  }
  // server URLs on another origin, rewritten or followed: said after the outcome, never silent
  if (trace && profile) for (const line of locationNotes(trace.operations().flatMap((o) => o.exchanges), profile.baseUrl)) err(`note: ${line}\n`);
  if (harFile !== undefined && trace) {
    const path = resolvePath(io.cwd ?? process.cwd(), harFile);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { toHar } = require('../core/http/har') as HarModule;
      writeFileSync(path, redact(JSON.stringify(toHar(trace.operations(), { creator: { name: 'scimx', version: VERSION } }), null, 2)));
      if (!jsonMode) err(`trace: ${countExchanges(trace)} exchange(s) written to ${harFile}\n`);
    } catch (e) {
      err(`scimx: cannot write ${harFile}: ${(e as Error).message}\n`);
      if (code === EXIT.ok) code = EXIT.failed;
    }
  }
  if (curl && trace && profile) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { toCurl } = require('../core/http/curl') as CurlModule;
    for (const op of trace.operations()) {
      for (const ex of op.exchanges) err(`# ${op.title} (${ex.seq})\n${toCurl(ex, profile)}\n`);
    }
  }
  if (controller.signal.aborted && code !== EXIT.usage) return EXIT.cancelled;
  return code;
}

function countExchanges(trace: Trace): number {
  return trace.operations().reduce((n, op) => n + op.exchanges.length, 0);
}

function strictParse(argv: string[], options: typeof ALL_OPTIONS, command: CommandName) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    const m = /Unknown option '(--?[^']+)'/.exec(msg);
    if (m) {
      const name = (m[1] as string).replace(/^-+/, '');
      const owners = commandsWithOption(name);
      if (owners.length) throw usage(`${m[1]} is an option of ${owners.join(', ')}, not ${command}`, `scimx ${command} --help`);
      throw usage(`unknown option ${m[1]}`, `scimx ${command} --help`);
    }
    throw usage(msg.split('\n')[0] ?? msg, `scimx ${command} --help`);
  }
}

function checkArity(command: CommandName, args: string[]): void {
  const need = (min: number, max: number, shape: string) => {
    if (args.length < min || args.length > max) {
      throw usage(`${args.length < min ? 'missing arguments' : `unexpected argument "${args[max]}"`}: scimx ${command} ${shape}`.trimEnd(), `scimx ${command} --help`);
    }
  };
  switch (command) {
    case 'discover': case 'probe': need(0, 0, ''); break;
    case 'list': need(1, 1, 'TYPE'); break;
    case 'get': need(2, 2, 'TYPE ID'); break;
    case 'send': need(1, 1, 'FILE'); break;
    case 'edit': need(2, 2, 'TYPE ID'); break;
    case 'apply': need(3, 3, 'TYPE ID FILE'); break;
    case 'create': need(1, 2, 'TYPE FILE'); break;
    case 'delete': need(2, 2, 'TYPE ID'); break;
    case 'compat': need(0, 0, ''); break;
    case 'members':
      if (args[0] === 'restore' || args[0] === 'undo' || args[0] === 'journal') {
        need(1, 1, `${args[0]}${args[0] === 'journal' ? '' : ' [--from ENTRY]'}`);
        break;
      }
      need(3, Infinity, 'add|remove GROUP_ID USER_ID...');
      if (args[0] !== 'add' && args[0] !== 'remove') throw usage(`members takes add, remove, restore, undo or journal, not "${args[0]}"`, 'scimx members --help');
      break;
    default: break;
  }
}

async function resolveProfile(values: Record<string, string | boolean | string[] | undefined>, io: CliIo): Promise<Profile> {
  const s = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const flagNames = Object.keys(PROFILE_OPTIONS).filter((k) => values[k] !== undefined);
  const cwd = io.cwd ?? process.cwd();
  if (s('base-url') !== undefined) {
    if (s('config') !== undefined || s('profile') !== undefined) throw usage('--base-url builds a profile from flags: do not combine it with --config/--profile');
    const header = values.header;
    return profileFromFlags({
      baseUrl: s('base-url'), user: s('user'), passwordEnv: s('password-env'), bearerEnv: s('bearer-env'),
      subscriptionKeyEnv: s('subscription-key-env'), keyHeader: s('key-header'), keyQuery: s('key-query'),
      sendKeyAs: s('send-key-as'), header: Array.isArray(header) ? header : undefined,
      insecure: values.insecure === true, timeoutMs: s('timeout-ms'),
    }, io.env);
  }
  const fileOnly = flagNames.filter((k) => k !== 'insecure' && k !== 'timeout-ms');
  if (fileOnly.length) throw usage(`--${fileOnly[0]} needs --base-url (flags build a profile only without a profiles file)`);
  let file = s('config') ?? io.env.SCIMX_CONFIG;
  if (file === undefined || file === '') {
    if (!existsSync(join(cwd, DEFAULT_PROFILES_FILE))) {
      throw new ConfigError(`no profile: pass --config FILE, create ./${DEFAULT_PROFILES_FILE}, or build one with --base-url URL (scimx --help)`);
    }
    file = DEFAULT_PROFILES_FILE;
  }
  const pf = await loadProfilesFile(resolvePath(cwd, file), { env: io.env });
  const name = s('profile') ?? (io.env.SCIMX_PROFILE || undefined);
  let profile = selectProfile(pf, name);
  if (values.insecure === true) profile = { ...profile, tls: { ...profile.tls, insecure: true } };
  if (s('timeout-ms') !== undefined) {
    const t = s('timeout-ms') as string;
    const n = /^\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 3_600_000) throw usage(`--timeout-ms must be an integer from 1 to 3600000, not "${t}"`);
    profile = { ...profile, timeoutMs: n };
  }
  return profile;
}

/** Progress on stderr, one rewritten line, only when stderr is a terminal. `undefined` clears it. The line's
 * own `\r` + erase-line are the only control characters the CLI writes; `clean` treats the text itself. */
function progressWriter(io: CliIo, clean: (t: string) => string): (text: string | undefined) => void {
  let shown = false;
  return (text) => {
    if (!io.stderrIsTTY) return;
    if (text === undefined) {
      if (shown) io.stderr('\r\x1b[K');
      shown = false;
      return;
    }
    io.stderr(`\r\x1b[K${clean(text.length > 100 ? `${text.slice(0, 99)}…` : text)}`);
    shown = true;
  };
}

function reportError(e: unknown, o: {
  err: (t: string) => void; out: (t: string) => void; json: boolean; harFile?: string; trace?: Trace; cancelled: boolean;
}): number {
  const error = o.cancelled && !(isScimxError(e) && (e.code === 'usage' || e.code === 'config'))
    ? new ScimxError('cancelled', 'cancelled') : toScimxError(e);
  const lines: string[] = [`scimx: ${error.message}`];
  if (error instanceof ConfigError) {
    for (const p of error.problems) {
      const text = formatProblem(p);
      if (!error.message.includes(text)) lines.push(`  ${text}`);
    }
  }
  const diagnosis = error.diagnosis ?? lastDiagnosis(o.trace);
  if (diagnosis && diagnosis.summary && !error.message.includes(diagnosis.summary)) lines.push(`  ${diagnosis.summary}`);
  const fix = diagnosis?.fix ?? error.hint;
  if (fix) lines.push(`  ${error.code === 'usage' && !diagnosis?.fix ? 'help' : 'fix'}: ${fix}`);
  const exitCode = error.code === 'usage' || error.code === 'config' ? EXIT.usage : error.code === 'cancelled' ? EXIT.cancelled : EXIT.failed;
  // A membership failure carries its report: every lost member is named (the message names the first 20),
  // with the journal entry that restore puts back.
  const report = 'report' in error ? (error as { report?: MembershipReport }).report : undefined;
  if (report?.lost.length) {
    lines.push(`  lost (${report.lost.length}): ${report.lost.join(', ')}`);
    if (report.journalId) lines.push(`  restore: scimx members restore --from ${report.journalId}`);
  }
  if (exitCode === EXIT.failed && o.trace && countExchanges(o.trace) > 0) {
    lines.push(o.harFile ? `  trace: see ${o.harFile}` : '  trace: run with --har FILE to see the exchanges');
  }
  o.err(`${lines.join('\n')}\n`);
  if (o.json) {
    const body: Record<string, unknown> = { ok: false, error: { code: error.code, message: error.message } };
    const eb = body.error as Record<string, unknown>;
    if (fix) eb.fix = fix;
    if (diagnosis) eb.diagnosis = diagnosis;
    if (error instanceof ConfigError && error.problems.length) eb.problems = error.problems;
    if (report) body.report = report;
    o.out(`${JSON.stringify(body, null, 2)}\n`);
  }
  return exitCode;
}

function lastDiagnosis(trace?: Trace) {
  if (!trace) return undefined;
  const ops = trace.operations();
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    if (op?.diagnosis) return op.diagnosis;
    const ex = op ? [...op.exchanges].reverse().find((x) => x.diagnosis) : undefined;
    if (ex?.diagnosis) return ex.diagnosis;
  }
  return undefined;
}
