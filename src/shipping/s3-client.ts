// The one way fumidai talks to a bucket: credentials from the usual AWS sources (environment, profile, instance
// role), path-style addressing for S3-compatible stores given by endpoint.
import { GetObjectCommand, PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';

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

/** How fumidai uploads a file's bytes: with their sha256 checked by the store, and encrypted at rest as configured. */
export function putInput(cfg: { bucket?: string; sse: 'AES256' | 'aws:kms'; kmsKeyId?: string }, key: string, body: Buffer): { input: PutObjectCommandInput; sha256: string } {
  const digest = createHash('sha256').update(body).digest();
  return {
    sha256: digest.toString('hex'),
    input: {
      Bucket: cfg.bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ChecksumSHA256: digest.toString('base64'),
      ServerSideEncryption: cfg.sse,
      ...(cfg.sse === 'aws:kms' && cfg.kmsKeyId ? { SSEKMSKeyId: cfg.kmsKeyId } : {}),
    },
  };
}

export interface NeverOverwritten {
  bucket?: string;
  sse: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number };
}

/**
 * Uploads an object that must never be replaced (an anchor, a piece of an audit segment): `If-None-Match: *`, and
 * Object Lock retention where configured. When the key is taken (412), returns the bytes already there for the caller
 * to judge: a send whose answer was lost, or something else under that key.
 */
export async function putNew(client: S3Client, cfg: NeverOverwritten, key: string, body: Buffer): Promise<{ sha256: string; there?: Buffer }> {
  const { input, sha256 } = putInput(cfg, key, body);
  const lock = cfg.objectLock;
  try {
    await client.send(
      new PutObjectCommand({
        ...input,
        IfNoneMatch: '*',
        Metadata: { 'fumidai-sha256': sha256 },
        ...(lock ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: new Date(Date.now() + lock.days * 86_400_000) } : {}),
      }),
    );
    return { sha256 };
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 412) throw err;
    const there = await client.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: key }));
    return { sha256, there: Buffer.from(await there.Body!.transformToByteArray()) };
  }
}
