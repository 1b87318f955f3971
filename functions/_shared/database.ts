import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { connect, type DbHandle } from '../../db/client.ts';
import { allContainers, type Container, currentContainer, inInvocation } from './container.ts';

const secretSchema = z.object({
  username: z.string(),
  password: z.string(),
  host: z.string().optional(),
  port: z.coerce.number().optional(),
  dbname: z.string().optional(),
});

/**
 * The connection URL of a Lambda: DATABASE_URL when set (local runs, tests); otherwise the RDS
 * secret named by DB_SECRET_ARN, with DB_HOST (the RDS Proxy endpoint for step Lambdas, the
 * instance for migrations/backfill) and DB_NAME overriding the secret's host and database.
 */
export async function resolveDatabaseUrl(env: NodeJS.ProcessEnv = process.env, secrets = new SecretsManagerClient({})): Promise<string> {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.DB_SECRET_ARN) throw new Error('set DATABASE_URL, or DB_SECRET_ARN (with DB_HOST/DB_NAME) for the database connection');
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: env.DB_SECRET_ARN }));
  const secret = secretSchema.parse(JSON.parse(out.SecretString ?? '{}'));
  const host = env.DB_HOST ?? secret.host;
  if (!host) throw new Error('the database secret has no host and DB_HOST is not set');
  const url = new URL(`postgres://${host}:${secret.port ?? 5432}/${env.DB_NAME ?? secret.dbname ?? 'postgres'}`);
  url.username = encodeURIComponent(secret.username);
  url.password = encodeURIComponent(secret.password);
  if (env.DB_SSL !== 'false') {
    // verify-full: the certificate chain (against the runtime's RDS CA bundle) and the host name
    url.searchParams.set('sslmode', 'verify-full');
    if (env.DB_CA_BUNDLE) url.searchParams.set('sslrootcert', env.DB_CA_BUNDLE);
  }
  return url.toString();
}

/** Signs an IAM authentication token (15 minutes) for one connection: @aws-sdk/rds-signer on AWS. */
export type TokenSigner = (target: { hostname: string; port: number; username: string; region: string }) => Promise<string>;
const rdsSigner: TokenSigner = async (target) => {
  const { Signer } = await import('@aws-sdk/rds-signer');
  return new Signer(target).getAuthToken();
};

/** What a Lambda connects with: a URL, and for IAM authentication a password (a fresh token) per connection. */
export interface DatabaseAccess {
  url: string;
  password?: () => Promise<string>;
}

/**
 * How a Lambda reaches the database. DATABASE_URL when set (local runs, tests). Otherwise, with
 * DB_USER, IAM authentication as that role (flowlink_app through the RDS Proxy, flowlink_operator on
 * the instance): no password is stored anywhere, each new connection signs a token with the
 * function's own IAM role, which may `rds-db:connect` as that user alone; TLS verify-full as ever.
 * Otherwise the secret of DB_SECRET_ARN (the migrations Lambda, the only one that reads it).
 */
export async function resolveDatabaseAccess(env: NodeJS.ProcessEnv = process.env, sign: TokenSigner = rdsSigner): Promise<DatabaseAccess> {
  if (env.DATABASE_URL || !env.DB_USER) return { url: await resolveDatabaseUrl(env) };
  if (!env.DB_HOST) throw new Error('DB_USER (IAM authentication) needs DB_HOST, the RDS Proxy or instance endpoint');
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('IAM authentication needs AWS_REGION to sign its token');
  const port = Number(env.DB_PORT ?? 5432);
  const url = new URL(`postgres://${env.DB_HOST}:${port}/${env.DB_NAME ?? 'postgres'}`);
  url.username = encodeURIComponent(env.DB_USER);
  // an IAM token is accepted over TLS only; verify-full as for every other connection
  url.searchParams.set('sslmode', 'verify-full');
  if (env.DB_CA_BUNDLE) url.searchParams.set('sslrootcert', env.DB_CA_BUNDLE);
  const target = { hostname: env.DB_HOST, port, username: env.DB_USER, region };
  return { url: url.toString(), password: () => sign(target) };
}

const DB = 'database';
const held = (container: Container) => container.get(DB) as Promise<DbHandle> | undefined;

/**
 * The container's one connection (max 1: a Lambda handles one event at a time), opened on first
 * use. A failure to open it (a Secrets Manager throttle at cold start) is not kept: the next
 * invocation tries again instead of failing for the container's lifetime.
 */
export function lambdaDatabase(resolve: () => Promise<string | DatabaseAccess> = () => resolveDatabaseAccess()): Promise<DbHandle> {
  const container = currentContainer();
  const shared = held(container);
  if (shared) return shared;
  // unprepared statements: nothing of the session left for the RDS Proxy to pin (test/bench: prepare-statements)
  const opening = resolve().then((access) => {
    const { url, password } = typeof access === 'string' ? { url: access, password: undefined } : access;
    return connect(url, { max: 1, prepare: false, application: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'flowlink-lambda', ...(password ? { password } : {}) });
  });
  container.set(DB, opening);
  opening.catch(() => {
    if (held(container) === opening) container.delete(DB);
  });
  return opening;
}

/**
 * Closes the container's connection; called outside any invocation, every container's (local runs
 * and tests end their process cleanly with it). `timeout: 0` destroys it at once, abandoning what
 * it still waits for (a step past its deadline).
 */
export async function closeLambdaDatabase(options: { timeout?: number } = {}): Promise<void> {
  const targets = inInvocation() ? [currentContainer()] : allContainers();
  await Promise.all(
    targets.map(async (container) => {
      const opening = held(container);
      container.delete(DB);
      const handle = await opening?.catch(() => undefined);
      if (!handle) return;
      if (options.timeout === 0) await handle.sql.end({ timeout: 0 });
      else await handle.close();
    }),
  );
}
