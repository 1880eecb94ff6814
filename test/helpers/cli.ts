// `scimx` in this process: run(argv, io) from src/cli/run.ts (what dist/cli.js runs), wired the way
// src/cli/main.ts wires it to a process whose stdin and stderr are pipes (no terminal: no progress line, no
// question), so a test gets what a spawned `node dist/cli.js` prints and the exit code it would end with,
// without the process: a spawn costs a node start and the 500 KB bundle, about 0.3 s of CPU each.
// The tests that are about the process itself (Ctrl-C, `scimx sandbox`, exit codes as a shell sees them) still
// spawn dist/cli.js; test/integration/bundle.test.ts checks the bundle.
import { run } from '../../src/cli/run';

export interface CliResult { code: number | null; stdout: string; stderr: string }
/** what an in-process run gives: always an exit code (no signal can end it) */
export interface InProcessResult extends CliResult { code: number }

export interface InProcessOptions {
  /** the command's environment, as `env` of a spawn: nothing of this process's own environment is added */
  env: NodeJS.ProcessEnv;
  /** working directory (default files, relative paths); default this process's */
  cwd?: string;
}

/** Runs `scimx ...args` in this process. Never rejects: an internal error is reported as main.ts reports it. */
export async function scimxInProcess(args: string[], o: InProcessOptions): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  let code: number;
  try {
    code = await run(args, {
      stdout: (t) => { stdout += t; },
      stderr: (t) => { stderr += t; },
      // as a spawn passes it: a variable set to undefined is not set
      env: Object.fromEntries(Object.entries(o.env).filter(([, v]) => v !== undefined)),
      cwd: o.cwd ?? process.cwd(),
      stderrIsTTY: false,
    });
  } catch (e) {
    stderr += `scimx: internal error: ${e instanceof Error ? e.message : String(e)}\n`;
    code = 1;
  }
  return { code, stdout, stderr };
}
