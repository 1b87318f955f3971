import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  /** A local S3-compatible endpoint (s3rver); `S3_ENDPOINT` when not given. Unset on AWS. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The credentials s3rver accepts; used only against a local endpoint when none are configured. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * The project's one way to build an S3Client, for Lambdas, the local runner and tests.
 *
 * Checksums are calculated and validated only when an operation requires them: with the SDK's
 * default (always), streamed uploads to s3rver are stored with aws-chunked framing, i.e. corrupted,
 * without any error. Real S3 accepts either. With an endpoint, path-style addressing is used (a
 * local server has no per-bucket host names), and s3rver's fixed credentials stand in when the
 * environment has none.
 */
export function createS3Client(options: S3ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = options.endpoint ?? (env.S3_ENDPOINT || undefined);
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
  const credentials = options.credentials ?? (endpoint && !env.AWS_ACCESS_KEY_ID ? LOCAL_CREDENTIALS : undefined);
  return new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(region ? { region } : {}),
    ...(credentials ? { credentials } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}
