// Edit as a minimal PATCH against better-auth 1.7.5's SCIM plugin (memory adapter), behind the APIM-like gateway:
// the scenarios are test/helpers/interop-edit.ts.
import { editScenarios } from '../helpers/interop-edit';
import { startFronted } from '../helpers/third-party/index';

editScenarios('better-auth (scim plugin)', () => startFronted('better-auth', { users: 10, groups: 2, groupSize: 4 }));
