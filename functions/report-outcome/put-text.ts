import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';

/** Parts of a multipart upload (S3's minimum is 5 MiB for every part but the last). */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Writes text produced piece by piece as one S3 object, holding at most a part in memory: one
 * PutObject when it all fits in a part (the usual case), else a multipart upload. On failure the
 * upload is aborted if the role may (report-outcome's may only PutObject); the import bucket's
 * lifecycle removes incomplete uploads after 7 days either way.
 */
export async function putText(s3: Pick<S3Client, 'send'>, target: { bucket: string; key: string; contentType: string }, pieces: AsyncIterable<string>): Promise<void> {
  const { bucket: Bucket, key: Key, contentType: ContentType } = target;
  let buffered: Buffer[] = [];
  let size = 0;
  let uploadId: string | undefined;
  const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
  const flush = async () => {
    const Body = Buffer.concat(buffered);
    buffered = [];
    size = 0;
    uploadId ??= (await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))).UploadId;
    const PartNumber = parts.length + 1;
    const out = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body }));
    parts.push({ ETag: out.ETag, PartNumber });
  };
  try {
    for await (const piece of pieces) {
      const bytes = Buffer.from(piece, 'utf8');
      buffered.push(bytes);
      size += bytes.length;
      if (size >= PART_BYTES) await flush();
    }
    if (uploadId === undefined) {
      await s3.send(new PutObjectCommand({ Bucket, Key, ContentType, Body: Buffer.concat(buffered) }));
      return;
    }
    if (size > 0) await flush();
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    if (uploadId !== undefined) await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => {});
    throw err;
  }
}
