// The provider cache against better-auth 1.7.5's SCIM plugin (memory adapter): what it refuses (the users filter
// on groups.value, the CLI's name lookup) is learnt once; the warm add of 1 member is the read before, the PATCH
// and the read after.
import { providerCacheScenario } from '../helpers/interop-cache';

providerCacheScenario('better-auth', 'better-auth', 3);
