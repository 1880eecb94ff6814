// Chunk "browse" (dist/browse.js): what the first expand of a profile in the tree needs and activation does not:
// reading the profiles files (yaml), the ScimClient with its one pipeline (undici), the membership journal, the
// provider cache.
// Loaded through ../core-loader.ts; scripts/build.mjs (LAZY) keeps it out of dist/extension.js.
export { ScimClient } from '../../core/scim/client';
export { parseProfiles } from '../../core/profiles';
export { shortSecretWarnings } from '../../core/profile';
export { FileJournal } from '../../core/journal';
export { clearCacheDir } from '../../core/scim/cache';
