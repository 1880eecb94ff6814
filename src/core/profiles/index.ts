// Profiles: the profiles file (./file.ts) and the command-line flags (./flags.ts) read into resolved Profiles.
// Inside: the YAML reader (./reader.ts, ./level.ts), one builder per section (./sections), substitutions
// (./substitutions.ts), the rules shared with the pipeline (./rules.ts), messages and suggestions.
export { DEFAULT_PROFILES_FILE, formatProblem, loadProfilesFile, MAX_PROFILES_FILE_BYTES, parseProfiles, problemsError, selectProfile } from './file';
export { profileFromFlags, type ProfileFlags } from './flags';
export { MAX_MERGED_ENTRIES } from './reader';
export type { BrokenProfile, ProfilesFile, ProfilesFileOptions } from './types';
