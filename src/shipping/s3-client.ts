// The one way fumidai talks to a bucket: credentials from the usual AWS sources (environment, profile, instance
// role), path-style addressing for S3-compatible stores given by endpoint.
import { S3Client } from '@aws-sdk/client-s3';

export interface BucketEndpoint {
  region: string;
  endpoint?: string;
}

export function s3Client(cfg: BucketEndpoint): S3Client {
  // On Node 20 the SDK prints an 8-line notice about its future Node 22 requirement on every command's stderr,
  // which buries fumidai's one-line messages; an operator who sets the variable decides otherwise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: cfg.region,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint, forcePathStyle: true } : {}),
    // The checksum is computed here and sent as a header; streamed aws-chunked trailers are not used.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
  });
}
