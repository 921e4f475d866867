/** PCACE_STORAGE and the S3 settings: what each value selects, and the refusals a wrong setting gets. */
import { describe, expect, it } from 'vitest';
import { s3Settings } from '../../lib/storage/s3-settings';
import { backendName, checkKey, joinKey } from '../../lib/storage/store';

describe('storage settings', () => {
  it('select the backend by PCACE_STORAGE, directory by default, and refuse anything else', () => {
    expect(backendName({})).toBe('directory');
    expect(backendName({ PCACE_STORAGE: ' Postgres ' })).toBe('postgres');
    expect(backendName({ PCACE_STORAGE: 'pg' })).toBe('postgres');
    expect(backendName({ PCACE_STORAGE: 's3' })).toBe('s3');
    expect(() => backendName({ PCACE_STORAGE: 'nfs' })).toThrow('PCACE_STORAGE=nfs is not a storage backend: use directory, postgres or s3');
  });

  it('need a bucket for S3, and normalise the key prefix', () => {
    expect(() => s3Settings({})).toThrow(/needs PCACE_S3_BUCKET/);
    expect(s3Settings({ PCACE_S3_BUCKET: 'b', PCACE_S3_PREFIX: '/lab' })).toEqual({ bucket: 'b', prefix: 'lab/', endpoint: undefined, region: 'us-east-1', forcePathStyle: false });
    expect(s3Settings({ PCACE_S3_BUCKET: 'b', AWS_REGION: 'eu-west-1', PCACE_S3_ENDPOINT: 'http://127.0.0.1:9000', PCACE_S3_FORCE_PATH_STYLE: '1' })).toMatchObject({
      prefix: '',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
  });

  it('accept relative keys only', () => {
    expect(joinKey('artifacts', 'a1/', 'x.png')).toBe('artifacts/a1/x.png');
    for (const bad of ['', '/abs', 'a/../b', 'a//b', './a', 'a\\b']) expect(() => checkKey(bad)).toThrow(/bad storage key/);
    expect(() => joinKey('..', 'etc')).toThrow(/bad storage key/);
  });
});
