import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a Lambda container keeps between its invocations (its database connection, the running
 * step's bounds). On AWS a process is one container, so module scope would do; the local runner
 * calls several handlers of one function at once in one process, as concurrent containers, and
 * runs each invocation inside its own container (runInContainer) so none shares another's
 * connection or bounds.
 */
export type Container = Map<string, unknown>;

const scope = new AsyncLocalStorage<Container>();
/** The process's own container: every call made outside runInContainer (AWS, tests, the CLI). */
const processContainer: Container = new Map();
const containers = new Set<Container>([processContainer]);

/** A new container (the local runner's cold start). */
export function newContainer(): Container {
  const container: Container = new Map();
  containers.add(container);
  return container;
}

/** Runs `work` (an invocation) inside `container`: what it keeps stays in that container. */
export function runInContainer<T>(container: Container, work: () => T): T {
  return scope.run(container, work);
}

/** The container the caller runs in. */
export function currentContainer(): Container {
  return scope.getStore() ?? processContainer;
}

/** Whether the caller runs inside runInContainer (a local invocation). */
export function inInvocation(): boolean {
  return scope.getStore() !== undefined;
}

/** Every container of the process (closing them all ends a local run or a test file). */
export function allContainers(): Container[] {
  return [...containers];
}
