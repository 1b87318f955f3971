import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * Where a fault strikes, counted from the moment the armed step starts talking (set `step`):
 * - `before-first-statement`: its first statement never reaches the server; the connection drops.
 * - `before-statement`: the statement matching `match` never reaches the server; the connection drops.
 * - `mid-statement`: the statement matching `match` reaches the server (for COPY: the COPY and its
 *   first data), then the connection drops while the server works on it.
 * - `before-commit`: the COMMIT never reaches the server; the connection drops.
 * - `after-commit`: the COMMIT reaches the server, its answer never reaches the client (the commit
 *   happened, the client cannot know).
 * - `hang`: from the statement matching `match` on, nothing passes either way and nothing closes:
 *   a network black hole. The server learns nothing; only the client's own deadline ends the wait.
 */
export type FaultKind = 'before-first-statement' | 'before-statement' | 'mid-statement' | 'before-commit' | 'after-commit' | 'hang';

export interface Fault {
  step: string;
  kind: FaultKind;
  /** The main statement (mid-statement, hang): a pattern of its SQL text, or 'copy-data' for COPY's rows. */
  match?: RegExp | 'copy-data';
}

export interface FaultProxy {
  /** The URL to give the code: the server's URL with the proxy's host and port. */
  url: string;
  /** The step now talking (the runner's beforeStep hook sets it). */
  step: string | null;
  /** Arms one fault; it fires once. */
  arm(fault: Fault): void;
  /** The faults that fired, with the SQL they fired on. */
  fired: { fault: Fault; sql: string }[];
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

const cstring = (body: Buffer, from = 0): [string, number] => {
  const end = body.indexOf(0, from);
  return [body.subarray(from, end).toString('utf8'), end + 1];
};

/**
 * The SQL a message runs: a simple Query ('Q'), or a Bind ('B') of a statement Parsed ('P') before
 * on this connection (prepared statements are parsed once and bound many times). '' otherwise.
 */
function sqlOf(type: string, body: Buffer, prepared: Map<string, string>): string {
  if (type === 'Q') return cstring(body)[0];
  if (type === 'P') {
    const [name, next] = cstring(body);
    prepared.set(name, cstring(body, next)[0]);
    return '';
  }
  if (type === 'B') {
    const [, next] = cstring(body);
    return prepared.get(cstring(body, next)[0]) ?? '';
  }
  return '';
}

/**
 * A PostgreSQL TCP proxy on node:net that injects faults into the frontend protocol. It splits the
 * client's bytes into messages (the untyped startup and SSL/GSS requests first, then
 * type + length frames), so a fault strikes at a message boundary: exactly before or after the
 * statement it names. Server bytes pass through as they come.
 */
export async function startFaultProxy(serverUrl: string): Promise<FaultProxy> {
  const target = new URL(serverUrl);
  const sockets = new Set<Socket>();
  let armed: Fault | null = null;
  let statementsOfStep = 0;
  let stepSeen: string | null = null;

  const proxy: FaultProxy = {
    url: '',
    step: null,
    fired: [],
    connections: 0,
    arm(fault) {
      armed = fault;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((client) => {
    proxy.connections++;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let startup = true;
    let hung = false;
    let dropReply = false;
    const prepared = new Map<string, string>();

    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      sockets.delete(client);
      if (!hung) upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (!hung) client.destroy();
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
    upstream.on('data', (chunk) => {
      if (hung) return;
      if (dropReply) return drop();
      client.write(chunk);
    });

    const fire = (fault: Fault, sql: string) => {
      armed = null;
      proxy.fired.push({ fault, sql });
    };

    /** Decides one complete client message: forward it, drop the connection, or stop everything. */
    const handle = (message: Buffer, type: string, body: Buffer) => {
      if (hung) return;
      if (proxy.step !== stepSeen) {
        stepSeen = proxy.step;
        statementsOfStep = 0;
      }
      const sql = sqlOf(type, body, prepared);
      if (sql) statementsOfStep++;
      const fault = armed && armed.step === proxy.step ? armed : null;
      if (fault) {
        const matches = fault.match === 'copy-data' ? type === 'd' : !!sql && !!fault.match?.test(sql);
        const isCommit = /^\s*commit\s*;?\s*$/i.test(sql);
        if (fault.kind === 'before-first-statement' && sql && statementsOfStep === 1) {
          fire(fault, sql);
          return drop();
        }
        if (fault.kind === 'before-statement' && sql && matches) {
          fire(fault, sql);
          return drop();
        }
        if (fault.kind === 'before-commit' && isCommit) {
          fire(fault, sql);
          return drop();
        }
        if (fault.kind === 'after-commit' && isCommit) {
          fire(fault, sql);
          dropReply = true;
          upstream.write(message);
          return;
        }
        if (fault.kind === 'mid-statement' && matches) {
          fire(fault, sql || 'COPY data');
          upstream.write(message);
          // the statement's Bind/Execute/Sync follow in the same write; let them reach the server
          setTimeout(drop, 30);
          return;
        }
        if (fault.kind === 'hang' && matches) {
          fire(fault, sql || 'COPY data');
          hung = true;
          return;
        }
      }
      upstream.write(message);
    };

    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (startup) {
          if (pending.length < 8) return;
          const length = pending.readInt32BE(0);
          if (pending.length < length) return;
          const message = pending.subarray(0, length);
          pending = pending.subarray(length);
          const code = message.readInt32BE(4);
          if (code !== SSL_REQUEST && code !== GSS_REQUEST) startup = false;
          upstream.write(message);
          continue;
        }
        if (pending.length < 5) return;
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) return;
        const message = pending.subarray(0, length + 1);
        pending = pending.subarray(length + 1);
        handle(message, String.fromCharCode(message[0]!), message.subarray(5));
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  proxy.url = url.toString();
  return proxy;
}
