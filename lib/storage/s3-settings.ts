/** PCACE_S3_* settings of the S3 backend, apart from the SDK so they can be checked without loading it. */
export interface S3Settings {
  bucket: string;
  /** Prepended to every key ('' or ending in '/'). */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

/** PCACE_S3_* settings; a missing bucket is a configuration error. */
export function s3Settings(env: Record<string, string | undefined> = process.env): S3Settings {
  const bucket = env.PCACE_S3_BUCKET?.trim();
  if (!bucket) throw new Error('PCACE_STORAGE=s3 needs PCACE_S3_BUCKET (and credentials through the AWS SDK: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, a profile or a role)');
  const rawPrefix = (env.PCACE_S3_PREFIX ?? '').trim().replace(/^\/+/, '');
  return {
    bucket,
    prefix: rawPrefix && !rawPrefix.endsWith('/') ? `${rawPrefix}/` : rawPrefix,
    endpoint: env.PCACE_S3_ENDPOINT?.trim() || undefined,
    region: env.PCACE_S3_REGION?.trim() || env.AWS_REGION?.trim() || 'us-east-1',
    forcePathStyle: env.PCACE_S3_FORCE_PATH_STYLE === '1' || env.PCACE_S3_FORCE_PATH_STYLE === 'true',
  };
}
