import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createS3Client } from '../../functions/_shared/s3.ts';
import { untilStored } from '../../workflows/local/s3.ts';

export interface LocalS3 {
  endpoint: string;
  s3: S3Client;
  bucket: string;
  put(key: string, body: Buffer | string, contentType?: string): Promise<{ etag: string }>;
  stop(): Promise<void>;
}

/** An s3rver on a free port in a temporary folder, a bucket in it, and a client from the project's factory. */
export async function startLocalS3(bucket = 'imports'): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'flowlink-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const s3 = createS3Client({ endpoint });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    s3,
    bucket,
    put: async (key, body, contentType) => {
      const bytes = Buffer.from(body);
      const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length, ContentType: contentType }));
      await untilStored(s3, bucket, key, bytes.length);
      return { etag: (out.ETag ?? '').replace(/"/g, '') };
    },
    stop: async () => {
      s3.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
