/**
 * A .zip with the image-folder layout (class/file.png, optionally wrapped in
 * one top-level folder). Archives may come from portal uploads, so nothing is
 * trusted: entry names that could escape a directory refuse the archive, and
 * decompression is bounded by entry count, per-entry size, total size and
 * compression ratio — checked on the central directory AND on the bytes that
 * actually come out of the inflater, since headers can lie. Entries are
 * decoded from memory; nothing is ever written to disk.
 */
import yauzl from 'yauzl';
import { DatasetRefusedError, type ImageSource } from './catalogue';
import { decodeImage, hasImageExtension, isIgnoredName, MAX_IMAGE_FILE_BYTES, unsupportedReason } from './decode';
import { byId } from './folder';
import type { RawImage } from './preprocess';
import type { DatasetSample, SkippedFile } from './types';

export interface ZipLimits {
  /** Central-directory records (files and folders). */
  maxEntries: number;
  /** Sum of all entries' uncompressed sizes, declared and as streamed. */
  maxTotalBytes: number;
  /** One entry's uncompressed size; larger image entries are skipped, not decoded. */
  maxEntryBytes: number;
  /** Uncompressed ÷ compressed bytes of one entry. */
  maxCompressionRatio: number;
  /** The ratio is only enforced past this many uncompressed bytes: tiny entries compress freely and are harmless. */
  ratioCheckAfterBytes: number;
}

/**
 * Images are already compressed (PNG/JPEG/WebP deflate to ~1:1), so a ratio
 * of 100 leaves room for flat uncompressed TIFFs while a deflate bomb
 * (~1000:1) is refused within its first megabyte.
 */
export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 100_000,
  maxTotalBytes: 4 * 1024 ** 3,
  maxEntryBytes: MAX_IMAGE_FILE_BYTES,
  maxCompressionRatio: 100,
  ratioCheckAfterBytes: 1024 * 1024,
});

export function zipLimits(partial?: Partial<ZipLimits>): ZipLimits {
  const limits = { ...DEFAULT_ZIP_LIMITS, ...partial };
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new Error(`zip limit ${k} must be a number ≥ 0, got ${v}`);
  }
  return limits;
}

/** Why an entry name is refused, or null. Backslashes were already turned into '/'. */
export function unsafeEntryName(name: string): string | null {
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name.startsWith('/')) return 'is an absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'starts with a drive letter';
  if (name.split('/').includes('..')) return "contains a '..' segment";
  return null;
}

export interface ZipListing {
  zip: yauzl.ZipFile;
  path: string;
  limits: ZipLimits;
  /** Entry by its full name inside the archive (the sample id). */
  entries: Map<string, yauzl.Entry>;
  classes: string[];
  items: DatasetSample[];
  skipped: SkippedFile[];
}

function refuse(path: string, what: string): DatasetRefusedError {
  return new DatasetRefusedError(`zip ${path}: refused: ${what}`);
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings off: we decode and validate names ourselves to name the entry in our own error.
    // validateEntrySizes off: our streaming guard checks sizes and tells a bomb from a truncated entry.
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false }, (err, zip) =>
      err ? reject(new Error(`zip ${path}: cannot open: ${err.message}`)) : resolve(zip),
    );
  });
}

function readAllEntries(zip: yauzl.ZipFile, path: string, limits: ZipLimits): Promise<{ name: string; entry: yauzl.Entry }[]> {
  return new Promise((resolve, reject) => {
    const out: { name: string; entry: yauzl.Entry }[] = [];
    let declaredTotal = 0;
    const fail = (err: Error) => {
      zip.removeAllListeners('entry');
      reject(err);
    };
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      const unsafe = unsafeEntryName(name);
      if (unsafe) return fail(refuse(path, `entry ${JSON.stringify(name)} ${unsafe}`));
      if (out.length >= limits.maxEntries) return fail(refuse(path, `more than ${limits.maxEntries} entries`));
      if (!name.endsWith('/')) {
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (entry.uncompressedSize > limits.ratioCheckAfterBytes && ratio > limits.maxCompressionRatio) {
          return fail(refuse(path, `entry ${JSON.stringify(name)} has compression ratio ${Math.round(ratio)} (limit ${limits.maxCompressionRatio})`));
        }
        declaredTotal += entry.uncompressedSize;
        if (declaredTotal > limits.maxTotalBytes) {
          return fail(refuse(path, `entries declare more than ${limits.maxTotalBytes} uncompressed bytes`));
        }
      }
      out.push({ name, entry });
      zip.readEntry();
    });
    zip.once('end', () => resolve(out));
    zip.once('error', (err: Error) => fail(new Error(`zip ${path}: ${err.message}`)));
    zip.readEntry();
  });
}

export async function listZip(path: string, partialLimits?: Partial<ZipLimits>): Promise<ZipListing> {
  const limits = zipLimits(partialLimits);
  const zip = await openZip(path);
  try {
    // The entry count is in the end-of-central-directory record: refuse before reading any record.
    if (zip.entryCount > limits.maxEntries) throw refuse(path, `${zip.entryCount} entries (limit ${limits.maxEntries})`);
    const all = await readAllEntries(zip, path, limits);
    const relevant = all.filter(({ name }) => !name.split('/').some((seg) => seg !== '' && isIgnoredName(seg)));
    const images = relevant.filter(({ name }) => !name.endsWith('/') && hasImageExtension(name));
    // A single folder wrapping the class folders (what "compress this folder" produces) is stripped.
    const first = images[0]?.name.split('/')[0];
    const wrapped = images.length > 0 && images.every(({ name }) => name.split('/').length >= 3 && name.split('/')[0] === first);
    const strip = wrapped ? first!.length + 1 : 0;

    const classes = new Set<string>();
    const entries = new Map<string, yauzl.Entry>();
    const items: DatasetSample[] = [];
    const skipped: SkippedFile[] = [];
    for (const { name, entry } of relevant) {
      if (strip > 0 && !name.startsWith(`${first}/`)) {
        if (!name.endsWith('/')) skipped.push({ file: name, reason: 'not inside a class folder' });
        continue;
      }
      const segs = name.slice(strip).split('/').filter((s) => s !== '' && s !== '.');
      if (name.endsWith('/')) {
        if (segs.length >= 1) classes.add(segs[0]);
        continue;
      }
      if (segs.length < 2) skipped.push({ file: name, reason: 'not inside a class folder' });
      else {
        classes.add(segs[0]);
        if (!hasImageExtension(name)) skipped.push({ file: name, reason: unsupportedReason(name) });
        else if (entry.uncompressedSize > limits.maxEntryBytes) {
          skipped.push({ file: name, reason: `larger than ${limits.maxEntryBytes} bytes uncompressed` });
        } else {
          entries.set(name, entry);
          items.push({ id: name, label: segs[0] });
        }
      }
    }
    items.sort(byId);
    return { zip, path, limits, entries, classes: [...classes].sort(), items, skipped };
  } catch (err) {
    zip.close();
    throw err;
  }
}

/**
 * Bytes of one entry, inflated into memory under the limits. `budget` tracks
 * distinct entries' streamed sizes across the dataset's lifetime.
 */
export function readZipEntry(listing: ZipListing, name: string, budget: Map<string, number>): Promise<Buffer> {
  const { zip, limits, path } = listing;
  const entry = listing.entries.get(name);
  if (!entry) return Promise.reject(new Error(`zip ${path}: no image entry ${JSON.stringify(name)}`));
  const others = [...budget].reduce((s, [k, v]) => (k === name ? s : s + v), 0);
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err); // encrypted, unsupported method, bad local header: skip-worthy
      const chunks: Buffer[] = [];
      let total = 0;
      let done = false;
      stream.on('data', (chunk: Buffer) => {
        if (done) return;
        total += chunk.length;
        const why =
          total > entry.uncompressedSize
            ? `inflates past its declared size of ${entry.uncompressedSize} bytes`
            : total > limits.maxEntryBytes
              ? `inflates past ${limits.maxEntryBytes} bytes`
              : total > limits.ratioCheckAfterBytes && total / Math.max(entry.compressedSize, 1) > limits.maxCompressionRatio
                ? `inflates more than ${limits.maxCompressionRatio}× its compressed size`
                : others + total > limits.maxTotalBytes
                  ? `the archive inflates past ${limits.maxTotalBytes} bytes in total`
                  : null;
        if (why) {
          done = true;
          stream.destroy();
          reject(refuse(path, `entry ${JSON.stringify(name)} ${why}`));
        } else chunks.push(chunk);
      });
      stream.on('end', () => {
        if (done) return;
        done = true;
        budget.set(name, total);
        if (total !== entry.uncompressedSize) reject(new Error(`truncated entry (${total} of ${entry.uncompressedSize} bytes)`));
        else resolve(Buffer.concat(chunks, total));
      });
      stream.on('error', (e: Error) => {
        if (done) return;
        done = true;
        reject(e);
      });
    });
  });
}

export async function zipSource(path: string, limits?: Partial<ZipLimits>): Promise<ImageSource> {
  const listing = await listZip(path, limits);
  const budget = new Map<string, number>();
  return {
    describe: `zip ${path}`,
    items: listing.items,
    classes: listing.classes,
    skipped: listing.skipped,
    read: async (index): Promise<RawImage> => decodeImage(await readZipEntry(listing, listing.items[index].id, budget)),
    close: async () => listing.zip.close(),
  };
}

export async function zipCounts(path: string, limits?: Partial<ZipLimits>): Promise<Record<string, number>> {
  const listing = await listZip(path, limits);
  listing.zip.close();
  const counts: Record<string, number> = Object.fromEntries(listing.classes.map((c) => [c, 0]));
  for (const item of listing.items) counts[item.label!]++;
  return counts;
}
