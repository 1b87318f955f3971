import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REPORT_PREFIX } from '../../workflows/report.ts';

export interface ImportBucketProps {
  readonly removalPolicy: RemovalPolicy;
  readonly noncurrentVersionTransitionAfter: Duration;
  readonly noncurrentVersionExpiration: Duration;
  readonly accessLogExpiration: Duration;
  readonly reportExpiration: Duration;
}

/**
 * The bucket inventory files are dropped into, and the bucket holding its server access logs.
 *
 * Primary course:
 * 1. Private (all public access blocked), TLS only, encrypted at rest (SSE-S3).
 * 2. Versioned: the object version identifies an upload, which makes the trigger's execution name
 *    (and so the start of the import) exactly-once per upload.
 * 3. Emits "Object Created" events to EventBridge, where the stateless stack routes them.
 * 4. Superseded versions move to Infrequent Access, then expire; stale multipart uploads are aborted.
 * 5. Outcome reports (reports/) expire after the environment's reportExpiration; a replay rewrites
 *    one, so its superseded versions go after a day.
 *
 * @example
 * const { bucket } = new ImportBucket(this, 'ImportBucket', config.importBucket);
 */
export class ImportBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: ImportBucketProps) {
    super(scope, id);
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3 log delivery writes only to SSE-S3 buckets
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogExpiration }],
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access log bucket of the import bucket; logging it into itself (or a third bucket) adds nothing an audit needs.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      eventBridgeEnabled: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'import-bucket/',
      lifecycleRules: [
        {
          id: 'age-out-superseded-versions',
          noncurrentVersionTransitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: props.noncurrentVersionTransitionAfter }],
          noncurrentVersionExpiration: props.noncurrentVersionExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiredObjectDeleteMarker: true,
        },
        {
          id: 'expire-reports',
          prefix: REPORT_PREFIX,
          expiration: props.reportExpiration,
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy,
    });
  }
}
