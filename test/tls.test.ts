import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../db/client.ts';
import { tlsFromUrl } from '../db/tls.ts';
import { resolveDatabaseUrl } from '../functions/_shared/database.ts';

/**
 * Every Lambda connection verifies the server: the chain against the CA bundle the URL names, and
 * the name against the host. A PostgreSQL-speaking TLS endpoint (it answers the SSLRequest, then
 * completes the handshake with a certificate of our own CA, then hangs up) shows what each driver
 * accepts.
 */
const dir = mkdtempSync(join(tmpdir(), 'flowlink-tls-'));
const file = (name: string) => join(dir, name);
function openssl(...args: string[]) {
  execFileSync('openssl', args, { stdio: 'pipe' });
}
/** A CA, and a server certificate it signs for `dnsName`. */
function makeCa(name: string) {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    file(`${name}.key`),
    '-out',
    file(`${name}.pem`),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
}
function makeServerCert(ca: string, dnsName: string) {
  const base = `${ca}-${dnsName}`;
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${dnsName}`, '-keyout', file(`${base}.key`), '-out', file(`${base}.csr`));
  writeFileSync(file(`${base}.ext`), `subjectAltName=DNS:${dnsName}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    file(`${base}.csr`),
    '-CA',
    file(`${ca}.pem`),
    '-CAkey',
    file(`${ca}.key`),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file(`${base}.ext`),
    '-out',
    file(`${base}.pem`),
  );
  return { key: readFileSync(file(`${base}.key`)), cert: readFileSync(file(`${base}.pem`)) };
}

interface FakeServer {
  port: number;
  /** Startup messages received over TLS: each from a client that accepted our certificate. */
  startups: number;
  close(): Promise<void>;
}
const ACCEPTED = 'fake server: the certificate was accepted';
/** A FATAL ErrorResponse (PostgreSQL protocol): what the driver reports when it got this far. */
function errorResponse(message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C28000\0M${message}\0\0`);
  const head = Buffer.alloc(5);
  head.write('E');
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}
async function tlsPostgres(credentials: { key: Buffer; cert: Buffer }): Promise<FakeServer> {
  const state = { startups: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      // the SSLRequest: yes
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, ...credentials });
      secure.once('data', () => {
        state.startups++;
        secure.end(errorResponse(ACCEPTED));
      });
      secure.on('error', () => socket.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    get startups() {
      return state.startups;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** The error each driver raises on its first query, or none. */
async function viaPostgresJs(url: string): Promise<string> {
  const handle = connect(url, { max: 1, prepare: false });
  try {
    await handle.sql`select 1`;
    return 'connected';
  } catch (err) {
    return String((err as { code?: string }).code ?? (err as Error).message);
  } finally {
    await handle.sql.end({ timeout: 0 });
  }
}
async function viaNodePostgres(url: string): Promise<string> {
  const { url: plain, ssl } = tlsFromUrl(url);
  const client = new pg.Client({ connectionString: plain, ssl, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return 'connected';
  } catch (err) {
    return String((err as { code?: string }).code ?? (err as Error).message);
  } finally {
    await client.end().catch(() => {});
  }
}

describe('TLS verify-full on every connection', () => {
  let server: FakeServer;
  beforeAll(async () => {
    makeCa('trusted');
    makeCa('stranger');
    server = await tlsPostgres(makeServerCert('trusted', 'localhost'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (host: string, ca: string) => `postgres://u:p@${host}:${server.port}/db?sslmode=verify-full&sslrootcert=${encodeURIComponent(file(`${ca}.pem`))}`;

  it('builds Lambda URLs with verify-full and the runtime CA bundle', async () => {
    const secrets = { send: async () => ({ SecretString: JSON.stringify({ username: 'flowlink', password: 'p/w', host: 'ignored', port: 5432 }) }) };
    const resolved = new URL(await resolveDatabaseUrl({ DB_SECRET_ARN: 'arn', DB_HOST: 'proxy.example', DB_NAME: 'flowlink', DB_CA_BUNDLE: '/var/runtime/ca-cert.pem' }, secrets as never));
    expect(resolved.searchParams.get('sslmode')).toBe('verify-full');
    expect(resolved.searchParams.get('sslrootcert')).toBe('/var/runtime/ca-cert.pem');
    expect(resolved.hostname).toBe('proxy.example');
    // the drivers get the options, not the parameters (postgres.js would send sslrootcert to the server as a setting)
    const { url: plain, ssl } = tlsFromUrl(url('localhost', 'trusted'));
    expect(new URL(plain).search).toBe('');
    expect(ssl).toMatchObject({ rejectUnauthorized: true, host: 'localhost' });
  });

  for (const [driver, attempt] of [
    ['postgres.js', viaPostgresJs],
    ['node-postgres', viaNodePostgres],
  ] as const) {
    it(`${driver}: accepts a certificate of the named CA for the host`, async () => {
      const before = server.startups;
      expect(await attempt(url('localhost', 'trusted'))).toMatch(/28000|the certificate was accepted/);
      expect(server.startups).toBeGreaterThan(before);
    });

    it(`${driver}: refuses a certificate of another CA`, async () => {
      const before = server.startups;
      expect(await attempt(url('localhost', 'stranger'))).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/i);
      expect(server.startups).toBe(before);
    });

    it(`${driver}: refuses a certificate for another host name`, async () => {
      const before = server.startups;
      expect(await attempt(url('127.0.0.1', 'trusted'))).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|does not match/);
      expect(server.startups).toBe(before);
    });
  }
});
