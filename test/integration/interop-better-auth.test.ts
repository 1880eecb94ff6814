// Interop matrix, third-party server 2: better-auth 1.7.5 with @better-auth/scim 1.7.5 on its memory adapter
// (test/helpers/third-party/better-auth.ts), behind the APIM-like gateway.
import { fromFronted } from '../helpers/interop';
import { fullMatrix } from '../helpers/interop-matrix';
import { startFronted } from '../helpers/third-party/index';

fullMatrix('better-auth (@better-auth/scim, memory adapter)', async () => {
  const f = await startFronted('better-auth', { users: 30, groups: 3, groupSize: 6 });
  return { target: fromFronted(f, 'better-auth'), stop: () => f.stop() };
});
