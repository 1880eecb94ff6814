// test-isolation: own process (SCIMMY's resource registry is process-wide: its server and the sandbox cannot share one)
// The provider cache against SCIMMY 1.3.5 (scimmy-routers, plain handlers): what it refuses is learnt once; the
// warm run sends no discovery.
import { providerCacheScenario } from '../helpers/interop-cache';

providerCacheScenario('scimmy', 'SCIMMY');
