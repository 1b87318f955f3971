import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import S3rver from 's3rver';
import { createS3Client } from '../../functions/_shared/s3.ts';
import type { S3Event } from '../../functions/trigger/s3-event.ts';

export const LOCAL_BUCKET = 'flowlink-imports';

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  client: S3Client;
  /**
   * Uploads a file through @aws-sdk/client-s3 (streamed, multipart when large) and returns the S3
   * notification s3rver emitted for it, with the key URL-encoded as AWS encodes it.
   */
  upload(key: string, file: string): Promise<S3Event>;
  /**
   * Every S3 notification s3rver emits from now on (any writer: uploads, the report step), keys
   * URL-encoded as AWS encodes them; returns the unsubscribe function.
   */
  subscribe(listener: (event: S3Event) => void): () => void;
  stop(): Promise<void>;
}

/** The key as S3 writes it into its events: form-URL-encoded, segment by segment. */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%20/g, '+'))
    .join('/');
}

/**
 * Waits until s3rver holds all `length` bytes of `key`. s3rver answers a PUT when the body has been
 * read, not when its file is written (its filesystem store resolves on the hashing stream's
 * `finish`), so a GET right after the PUT could read a short or empty file; a HEAD reports the
 * file's size on disk.
 */
export async function untilStored(client: S3Client, bucket: string, key: string, length: number): Promise<void> {
  // 2 s, and a second more per 50 MB (a file of gigabytes is still being written)
  const waitMs = 2_000 + Math.ceil(length / 50e6) * 1_000;
  for (const start = Date.now(); Date.now() - start < waitMs; ) {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (head.ContentLength === length) return;
    await sleep(10);
  }
  throw new Error(`s3rver has not finished writing ${key} (${length} bytes) after ${waitMs / 1000} s`);
}

/**
 * s3rver on a free port, its objects in `directory` (persisting between runs), with the import
 * bucket created. Stop it with stop().
 */
export async function startLocalS3(directory: string, bucket = LOCAL_BUCKET): Promise<LocalS3> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({ endpoint });
  const events = server as unknown as NodeJS.EventEmitter;

  return {
    endpoint,
    bucket,
    client,
    async upload(key, file) {
      // listening from the start (the event may come before the upload call returns); the 30 s
      // to wait for it count from the end of the upload, which takes as long as the file is large
      let arm = () => {};
      const notified = new Promise<S3Event>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        arm = () => {
          timer = setTimeout(() => reject(new Error(`s3rver sent no event for ${key} within 30 s of its upload`)), 30_000);
        };
        const listener = (event: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => {
          const record = event.Records?.[0];
          if (!record?.eventName.startsWith('ObjectCreated:') || record.s3.object.key !== key) return;
          clearTimeout(timer);
          events.off('event', listener);
          // s3rver leaves the key as it is; AWS URL-encodes it, and the trigger decodes it
          resolve({ ...event, Records: event.Records.map((r) => ({ ...r, s3: { ...r.s3, object: { ...r.s3.object, key: encodeS3EventKey(key) } } })) } as S3Event);
        };
        events.on('event', listener);
      });
      notified.catch(() => {});
      await new Upload({ client, params: { Bucket: bucket, Key: key, Body: createReadStream(file) } }).done();
      await untilStored(client, bucket, key, statSync(file).size);
      arm();
      return notified;
    },
    subscribe(listener) {
      const forward = (event: { Records: { s3: { object: { key: string } } }[] }) =>
        listener({ ...event, Records: event.Records.map((r) => ({ ...r, s3: { ...r.s3, object: { ...r.s3.object, key: encodeS3EventKey(r.s3.object.key) } } })) } as S3Event);
      events.on('event', forward);
      return () => events.off('event', forward);
    },
    async stop() {
      client.destroy();
      await server.close();
    },
  };
}
