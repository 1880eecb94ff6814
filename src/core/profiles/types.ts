// The public shapes of a read profiles file.
import type { ConfigProblem } from '../errors';
import type { Profile, SecretResolver } from '../profile';

export interface ProfilesFileOptions {
  /** Environment for `${env:NAME}`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Resolves `${secret:NAME}`; without one, `${secret:}` is an error that says what to do. */
  secrets?: SecretResolver;
}

export interface BrokenProfile {
  name: string;
  /** 1-based line of the profile's key. */
  line: number;
  column: number;
  problems: ConfigProblem[];
}

export interface ProfilesFile {
  file: string;
  /** Every valid profile, in file order. */
  profiles: Profile[];
  /** Every problem of the file (file-level and per profile), in file order. Empty when all is well. */
  problems: ConfigProblem[];
  /** Profiles that are declared but invalid, with their own problems (for a tree node's error). */
  broken: BrokenProfile[];
}
