import { readFileSync } from 'node:fs';
import { rootCertificates, type ConnectionOptions } from 'node:tls';

/**
 * A connection URL split into what the drivers take: the URL without its TLS parameters, and the
 * TLS options both postgres.js and node-postgres honour.
 *
 * `sslmode=verify-full` (with `sslrootcert=<file>`, e.g. the RDS CA bundle the Lambda runtime ships at
 * /var/runtime/ca-cert.pem) verifies the server's certificate chain against Node's public roots plus
 * that file (the RDS Proxy presents an Amazon Trust Services certificate, the instance an RDS CA one)
 * and its name against the host. The drivers are not left to read `sslmode` themselves: postgres.js
 * turns `require` into no verification at all, and node-postgres lets the URL's parameters override
 * the options it is given.
 *
 * Any other URL passes through unchanged (local runs, tests, `DATABASE_URL` as an operator wrote it).
 */
export function tlsFromUrl(url: string): { url: string; ssl?: ConnectionOptions } {
  const parsed = new URL(url);
  if (parsed.searchParams.get('sslmode') !== 'verify-full') return { url };
  const rootCert = parsed.searchParams.get('sslrootcert');
  parsed.searchParams.delete('sslmode');
  parsed.searchParams.delete('sslrootcert');
  const ca = rootCert ? [...rootCertificates, readFileSync(rootCert, 'utf8')] : undefined;
  // `host` names the server whose identity is checked, also when the URL holds an IP address
  return { url: parsed.toString(), ssl: { rejectUnauthorized: true, host: parsed.hostname, ...(ca ? { ca } : {}) } };
}
