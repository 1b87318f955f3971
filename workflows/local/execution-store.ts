import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ExecutionInput } from '../contracts.ts';

/** Where local executions are kept (git-ignored with the rest of .flowlink/). */
export const LOCAL_EXECUTIONS_DIR = resolve(import.meta.dirname, '..', '..', '.flowlink', 'executions');

/** As on AWS. ABORTED: stopped (StopExecution); TIMED_OUT: the definition's TimeoutSeconds elapsed. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** One event of the run, as the local Step Functions emitted it (inputs and outputs are ids and counts). */
export interface RecordedEvent {
  type: string;
  state?: string;
  at: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: unknown;
  attempt?: number;
  /** Inside a Map: the iteration (chunk) the event belongs to. */
  index?: number;
  /** Map iteration events: the Map state. */
  parent?: string;
}

/** A local execution: what `flowlink executions` lists and `flowlink replay` starts from. */
export interface ExecutionRecord {
  name: string;
  executionArn: string;
  input: ExecutionInput;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt: string | null;
  /** How many times `replay --redrive` continued it (AWS: redriveCount). */
  redriveCount: number;
  /** Set by a replay (start-again): the execution it repeats. */
  replayOf: string | null;
  output: unknown;
  error: { name: string; cause: unknown } | null;
  events: RecordedEvent[];
}

/** Thrown by StartExecution for a name in use, under the name the AWS SDK uses. */
export class ExecutionAlreadyExists extends Error {
  override name = 'ExecutionAlreadyExists';
}

export class ExecutionDoesNotExist extends Error {
  override name = 'ExecutionDoesNotExist';
}

/** JSON files, one per execution, named after it. */
export class ExecutionStore {
  constructor(readonly dir = LOCAL_EXECUTIONS_DIR) {}

  private file(name: string) {
    if (!/^[\w.-]{1,200}$/.test(name)) throw new ExecutionDoesNotExist(`"${name}" is not an execution name`);
    return join(this.dir, `${name}.json`);
  }

  /**
   * Creates the record, failing with ExecutionAlreadyExists when the name is taken: the file is
   * opened with O_EXCL, so two processes racing for one name cannot both win.
   */
  async create(record: ExecutionRecord): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    let handle;
    try {
      handle = await open(this.file(record.name), 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ExecutionAlreadyExists(`execution ${record.name} already exists`);
      throw err;
    }
    try {
      await handle.writeFile(JSON.stringify(record, null, 2));
    } finally {
      await handle.close();
    }
  }

  /** Replaces the record atomically (write then rename), so a reader never sees half a file. */
  save(record: ExecutionRecord): void {
    const target = this.file(record.name);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record, null, 2));
    renameSync(tmp, target);
  }

  get(name: string): ExecutionRecord {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as ExecutionRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ExecutionDoesNotExist(`no local execution named ${name} in ${this.dir}`);
      throw err;
    }
  }

  /** Every record, newest first. */
  list(): ExecutionRecord[] {
    let files: string[];
    try {
      files = readdirSync(this.dir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    return files.map((f) => this.get(f.slice(0, -'.json'.length))).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }
}
