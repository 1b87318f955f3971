/**
 * IAM authentication: a function holds no password. It connects as its database role with a token
 * its own IAM role signs for each new connection (faked here at the signer), over TLS verify-full.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../db/access.ts';
import { closeLambdaDatabase, lambdaDatabase, resolveDatabaseAccess, type TokenSigner } from '../../functions/_shared/database.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();
const login = `flowlink_t_iam_${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  await closeLambdaDatabase();
  await database.current.sql.unsafe(`drop role if exists ${login}`);
});

describe('IAM authentication', () => {
  it('builds a URL without a password, as DB_USER, with verify-full, and signs a token per connection', async () => {
    const signed: unknown[] = [];
    const sign: TokenSigner = async (target) => {
      signed.push(target);
      return `token-${signed.length}`;
    };
    const env = { DB_USER: ROLES.app, DB_HOST: 'proxy.example', DB_NAME: 'flowlink', DB_CA_BUNDLE: '/var/runtime/ca-cert.pem', AWS_REGION: 'eu-west-1' };
    const access = await resolveDatabaseAccess(env, sign);
    const url = new URL(access.url);
    expect({ user: url.username, password: url.password, host: url.hostname, sslmode: url.searchParams.get('sslmode'), ca: url.searchParams.get('sslrootcert') }).toEqual({
      user: ROLES.app,
      password: '',
      host: 'proxy.example',
      sslmode: 'verify-full',
      ca: '/var/runtime/ca-cert.pem',
    });
    expect(await access.password!()).toBe('token-1');
    expect(await access.password!()).toBe('token-2');
    expect(signed[0]).toEqual({ hostname: 'proxy.example', port: 5432, username: ROLES.app, region: 'eu-west-1' });
    // the secret is for the migrations alone: DB_USER wins, and nothing asks Secrets Manager
    expect((await resolveDatabaseAccess({ ...env, DB_SECRET_ARN: 'arn:secret' }, sign)).url).not.toContain('arn');
  });

  it('connects with the signed password of each new connection', async () => {
    const token = randomBytes(12).toString('hex');
    await database.current.sql.unsafe(`create role ${login} login password '${token}' in role ${ROLES.app}`);
    const url = new URL(database.current.url);
    url.username = login;
    url.password = '';
    let signs = 0;
    await closeLambdaDatabase();
    const handle = await lambdaDatabase(async () => ({ url: url.toString(), password: async () => (signs++, token) }));
    const [row] = await handle.sql`select current_user as role`;
    expect(row).toEqual({ role: login });
    // one token for the one connection (none where the server trusts the client and never asks: the CI's PostgreSQL 15)
    expect(signs).toBeLessThanOrEqual(1);
  });
});
