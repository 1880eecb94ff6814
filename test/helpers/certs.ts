// Certificates made at test time with the system's openssl, into a fresh temp dir: a CA, a server
// certificate for 127.0.0.1/localhost (subjectAltName) signed by it, a client certificate signed by it
// (its key encrypted with a passphrase), and a self-signed server certificate no CA vouches for.
// `opensslOrSkip()` says whether a test can run: without openssl it skips with one clear line, except under
// CI=true, where a missing openssl is a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  /** Encrypted with `clientKeyPassphrase`. */
  clientKeyFile: string;
  clientKeyPassphrase: string;
  selfSignedCertFile: string;
  selfSignedKeyFile: string;
  read(file: string): Buffer;
  cleanup(): void;
}

export function hasOpenssl(): boolean {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** undefined when openssl is usable; else the reason to skip (and throws under CI=true). */
export function opensslSkipReason(): string | undefined {
  if (hasOpenssl()) return undefined;
  const why = 'openssl is not installed (apt-get install -y openssl): TLS tests skipped';
  if (process.env.CI === 'true') throw new Error(`${why}; under CI=true it must be installed`);
  return why;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'scimx-certs-'));
  const f = (n: string): string => join(dir, n);
  const pass = 'client-key-passphrase-0123';
  // CA
  openssl(dir, ['req', '-x509', ...EC, '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=scimx test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  // server, signed by the CA
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl(dir, ['req', ...EC, '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  // client, signed by the CA, key encrypted
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  openssl(dir, ['req', ...EC, '-keyout', 'client.key', '-passout', `pass:${pass}`, '-out', 'client.csr', '-subj', '/CN=scimx test client']);
  openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', 'client.ext']);
  // self-signed server certificate (no CA)
  openssl(dir, ['req', '-x509', ...EC, '-nodes', '-keyout', 'self.key', '-out', 'self.crt', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  return {
    dir,
    caFile: f('ca.crt'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
    clientKeyPassphrase: pass,
    selfSignedCertFile: f('self.crt'),
    selfSignedKeyFile: f('self.key'),
    read: (file) => readFileSync(file),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
