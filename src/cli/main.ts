// Entry of `scimx` (bundled to dist/cli.js). Wires run() to the process: output, Ctrl-C, exit code.
import { createInterface } from 'node:readline/promises';
import { run } from './run';

/** A yes/no question on the terminal (stderr, so that stdout stays the command's output). */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  // First Ctrl-C cancels the running operation (run resolves 130); a second one leaves at once.
  if (interrupts > 1) process.exit(130);
  controller.abort();
  // Whatever still holds the process (a server started by `scimx sandbox` without its own handler) gets 5 s.
  setTimeout(() => process.exit(130), 5000).unref();
});

// A closed pipe (`scimx list Users | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

run(process.argv.slice(2), {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  env: process.env,
  cwd: process.cwd(),
  stderrIsTTY: process.stderr.isTTY === true,
  signal: controller.signal,
  // only a terminal can be asked: a pipe or a script gets none, and writes that ask are refused without --yes
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm } : {}),
}).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`scimx: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
