// test-isolation: own process (SCIMMY's resource registry is process-wide: its server and the sandbox cannot share one)
// Interop matrix, third-party server 1: SCIMMY 1.3.5 through its own scimmy-routers 1.3.2, with plain storage
// handlers only (test/helpers/third-party/scimmy.ts), behind the APIM-like gateway.
import { fromFronted } from '../helpers/interop';
import { fullMatrix } from '../helpers/interop-matrix';
import { startFronted } from '../helpers/third-party/index';

fullMatrix('SCIMMY (scimmy-routers, plain handlers)', async () => {
  const f = await startFronted('scimmy', { users: 30, groups: 3, groupSize: 6 });
  return { target: fromFronted(f, 'scimmy'), stop: () => f.stop() };
});
