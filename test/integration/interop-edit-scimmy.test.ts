// test-isolation: own process (SCIMMY's resource registry is process-wide: its server and the sandbox cannot share one)
// Edit as a minimal PATCH against SCIMMY 1.3.5 through its own scimmy-routers (plain storage handlers), behind
// the APIM-like gateway: the scenarios are test/helpers/interop-edit.ts.
import { editScenarios } from '../helpers/interop-edit';
import { startFronted } from '../helpers/third-party/index';

editScenarios('SCIMMY (scimmy-routers)', () => startFronted('scimmy', { users: 10, groups: 2, groupSize: 4 }));
