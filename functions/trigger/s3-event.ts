import { S3EventNotificationEventBridgeSchema, S3Schema } from '@aws-lambda-powertools/parser/schemas';
import * as z from 'zod';

/** Either shape an object-created event reaches the trigger in: EventBridge, or an S3 notification. */
export const s3EventSchema = z.union([S3EventNotificationEventBridgeSchema, S3Schema]);
export type S3Event = z.infer<typeof s3EventSchema>;

/** One created object, its key decoded. */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  versionId: string | null;
  etag: string | null;
  size: number | null;
  sequencer: string | null;
}

/**
 * S3 URL-encodes object keys in its events, form style (`red flower.csv` → `red+flower.csv`), in
 * the notification records and in the EventBridge detail alike; the S3 API wants the raw key.
 */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, '%20'));
}

/** The ETag without the quotes HeadObject puts around it (events carry it bare). */
export function bareEtag(etag: string | undefined | null): string | null {
  return etag ? etag.replace(/^"|"$/g, '') : null;
}

/** The created objects an event announces; other event types (deletes, restores) are ignored. */
export function createdObjects(event: S3Event): S3ObjectRef[] {
  if ('detail' in event) {
    if (event['detail-type'] !== 'Object Created') return [];
    const o = event.detail.object;
    return [
      {
        bucket: event.detail.bucket.name,
        key: decodeS3Key(o.key),
        versionId: o['version-id'] ?? null,
        etag: bareEtag(o.etag),
        size: o.size ?? null,
        sequencer: o.sequencer ?? null,
      },
    ];
  }
  return event.Records.filter((r) => r.eventName.startsWith('ObjectCreated:')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: r.s3.object.urlDecodedKey ?? decodeS3Key(r.s3.object.key),
    versionId: r.s3.object.versionId ?? null,
    etag: bareEtag(r.s3.object.eTag),
    size: r.s3.object.size ?? null,
    sequencer: r.s3.object.sequencer ?? null,
  }));
}
