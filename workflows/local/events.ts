import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { EVENT_SOURCE } from '../report.ts';

/** The Parameters of an `arn:aws:states:::events:putEvents` Task. */
const putEventsInput = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string(),
        DetailType: z.string(),
        Detail: z.unknown(),
        EventBusName: z.string().optional(),
        Resources: z.array(z.string()).optional(),
      }),
    )
    .min(1)
    .max(10),
});

/** An event as EventBridge delivers it to a rule's target. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** What the state machine's role may not do on AWS (PutEvents only with events:source = flowlink). */
export class AccessDeniedException extends Error {
  override name = 'AccessDeniedException';
}

/**
 * The default event bus on this machine: each PutEvents entry is appended to an NDJSON file
 * (`.flowlink/events.ndjson`) in the envelope EventBridge delivers to targets. Refuses a source
 * other than `flowlink`, as the deployed role's condition does.
 */
export class LocalEventBus {
  constructor(readonly file: string) {}

  /** The putEvents Task's handler: its Parameters in, the PutEvents response out. */
  async putEvents(input: unknown): Promise<{ Entries: { EventId: string }[]; FailedEntryCount: number }> {
    const { Entries } = putEventsInput.parse(input);
    const refused = Entries.find((e) => e.Source !== EVENT_SOURCE);
    if (refused) throw new AccessDeniedException(`events:PutEvents with source "${refused.Source}": the state machine may put events only with source "${EVENT_SOURCE}"`);
    const events: BusEvent[] = Entries.map((e) => ({
      version: '0',
      id: randomUUID(),
      'detail-type': e.DetailType,
      source: e.Source,
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: e.Resources ?? [],
      // Step Functions passes a JSON object through; the SDK's Detail is a JSON string
      detail: typeof e.Detail === 'string' ? JSON.parse(e.Detail) : e.Detail,
    }));
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    return { Entries: events.map((e) => ({ EventId: e.id })), FailedEntryCount: 0 };
  }

  /** Every event put so far, oldest first. */
  read(): BusEvent[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as BusEvent);
  }
}
