import { DIRECT_CLIENTS, type EnvironmentConfig, FUNCTION_IDS, type FunctionId } from './environments.ts';

/** Lambda keeps this much of an account's concurrency unreserved; reservations cannot take it. */
export const UNRESERVED_CONCURRENCY = 100;
/**
 * Connections PostgreSQL on RDS keeps for superusers (superuser_reserved_connections 3 +
 * rds.rds_superuser_reserved_connections 2), and those left for operators running the CLI.
 */
export const RESERVED_CONNECTIONS = 5;
export const OPERATOR_CONNECTIONS = 5;

export interface ConnectionBudget {
  /** Sum of the reservations. */
  readonly reserved: number;
  /** What the reservations may add up to: account concurrency minus the unreserved 100. */
  readonly reservable: number;
  /** Most connections the proxied functions can hold at once (one per container). */
  readonly proxyClients: number;
  /** The proxy's share of max_connections. */
  readonly proxyBudget: number;
  /** Most connections the direct clients can hold at once, operators included. */
  readonly directClients: number;
  /** What max_connections leaves the direct clients besides the proxy and the superusers. */
  readonly directBudget: number;
}

/**
 * How many connections an environment's Lambdas can open, against what its account and database
 * allow. A function without a reservation can scale to whatever the account leaves unreserved.
 */
export function connectionBudget(config: EnvironmentConfig): ConnectionBudget {
  const reservations = config.lambda.reservedConcurrency;
  const reserved = Object.values(reservations).reduce((sum, n) => sum + (n ?? 0), 0);
  const unreservedPool = Math.max(0, config.lambda.accountConcurrency - reserved);
  const most = (ids: readonly FunctionId[]) => {
    const capped = ids.filter((id) => reservations[id] !== undefined);
    return capped.reduce((sum, id) => sum + reservations[id]!, 0) + (capped.length < ids.length ? unreservedPool : 0);
  };
  const proxyBudget = Math.floor((config.database.maxConnections * config.database.proxyMaxConnectionsPercent) / 100);
  return {
    reserved,
    reservable: config.lambda.accountConcurrency - UNRESERVED_CONCURRENCY,
    proxyClients: most(FUNCTION_IDS.filter((id) => !DIRECT_CLIENTS.includes(id))),
    proxyBudget,
    directClients: most(DIRECT_CLIENTS) + OPERATOR_CONNECTIONS,
    directBudget: config.database.maxConnections - proxyBudget - RESERVED_CONNECTIONS,
  };
}

/** Every way the environment cannot be deployed or cannot run as configured, in words; empty when it fits. */
export function capacityProblems(config: EnvironmentConfig): string[] {
  const b = connectionBudget(config);
  const problems: string[] = [];
  const list = Object.entries(config.lambda.reservedConcurrency)
    .map(([id, n]) => `${id} ${n}`)
    .join(', ');
  if (b.reserved > 0 && b.reserved > b.reservable) {
    problems.push(
      `reserved concurrency ${b.reserved} (${list}) exceeds the account's ${config.lambda.accountConcurrency} minus the ` +
        `${UNRESERVED_CONCURRENCY} Lambda keeps unreserved (${Math.max(0, b.reservable)}): lower the reservations in ` +
        'infra/config/environments.ts, or raise the quota (Service Quotas L-B99A9384) and declare it as lambda.accountConcurrency',
    );
  }
  if (b.proxyClients > b.proxyBudget) {
    problems.push(
      `the proxied functions can hold ${b.proxyClients} connections but the RDS Proxy may open ${b.proxyBudget} ` +
        `(${config.database.proxyMaxConnectionsPercent} % of max_connections ${config.database.maxConnections}): reserve less concurrency for them`,
    );
  }
  if (b.directClients > b.directBudget) {
    problems.push(
      `the direct clients (${DIRECT_CLIENTS.join(', ')} and ${OPERATOR_CONNECTIONS} for operators) can hold ${b.directClients} connections but ` +
        `max_connections ${config.database.maxConnections} leaves them ${b.directBudget} beside the proxy's ${b.proxyBudget}: ` +
        'reserve their concurrency or lower proxyMaxConnectionsPercent',
    );
  }
  for (const [id, size] of Object.entries(config.lambda.sizes)) {
    if (size.memoryMiB < 128 || size.memoryMiB > 10240) problems.push(`${id}: memory ${size.memoryMiB} MB is outside Lambda's 128–10240 MB`);
    if (size.timeout.toSeconds() > 900) problems.push(`${id}: timeout ${size.timeout.toSeconds()} s is over Lambda's 900 s`);
  }
  return problems;
}

/** Throws, naming the stage and every problem, when the environment does not fit its account and database. */
export function assertCapacity(config: EnvironmentConfig): void {
  const problems = capacityProblems(config);
  if (problems.length > 0) throw new Error(`flowlink ${config.stage}: ${problems.join('; ')}`);
}
