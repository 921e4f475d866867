/**
 * Image bytes → RawImage with sharp, and RawImage → PNG thumbnails.
 *
 * Decoding is strict (sharp's failOn 'warning'): a truncated PNG or JPEG
 * fails here, at sampling time, instead of silently becoming half-gray input.
 * EXIF orientation is not applied because PIL (and so torchvision training
 * pipelines) ignores it too.
 */
import sharp from 'sharp';
import type { RawImage } from './preprocess';

/** Extensions we try to decode; anything else in a dataset is skipped as unsupported. */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff']);

/** sharp's names for the formats we accept: the content must match, not just the name (no SVG, HEIF, ...). */
const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff']);

/**
 * Decoded-size ceiling: 100 megapixels (a 108 MP phone photo fits, a
 * 30000×30000 blank PNG crafted to exhaust memory does not).
 */
export const MAX_INPUT_PIXELS = 100_000_000;

/** Largest encoded image file we read into memory. */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

/** Files that are never dataset content: OS metadata, not worth a "skipped" line. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX' || name === 'Thumbs.db' || name === 'desktop.ini';
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  return dot > slash + 1 ? name.slice(dot).toLowerCase() : '';
}

export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(name));
}

/** Reason string for a file we will not try to decode. */
export function unsupportedReason(name: string): string {
  const ext = extensionOf(name);
  return `unsupported file type ${ext || '(no extension)'} (accepted: ${[...IMAGE_EXTENSIONS].join(', ')})`;
}

/**
 * Decode to 8-bit gray (1 channel) or sRGB (3 channels). Alpha is dropped
 * (PIL's convert('RGB') does the same), 16-bit sources are reduced to 8 bits,
 * CMYK and palettes go through sharp's colour management to sRGB.
 */
export async function decodeImage(bytes: Uint8Array): Promise<RawImage> {
  const input = sharp(bytes, { failOn: 'warning', limitInputPixels: MAX_INPUT_PIXELS });
  const meta = await input.metadata();
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
    throw new Error(`unsupported image format ${meta.format ?? 'unknown'}`);
  }
  const gray = meta.space === 'b-w' || meta.space === 'grey16';
  const { data, info } = await input
    .removeAlpha()
    .toColourspace(gray ? 'b-w' : 'srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 && info.channels !== 3) {
    throw new Error(`decoder returned ${info.channels} channels`);
  }
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** sharp's error texts are terse ("Input buffer contains unsupported image format"): keep them, trimmed. */
export function decodeFailure(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `cannot decode image: ${msg.split('\n')[0].trim()}`;
}

/**
 * PNG thumbnail fitting in size×size, aspect kept. Small images (MNIST's 28×28)
 * are enlarged with nearest-neighbour so digits stay crisp instead of blurred.
 */
export async function encodeThumbnail(img: RawImage, size: number): Promise<Buffer> {
  if (!Number.isInteger(size) || size < 1 || size > 2048) {
    throw new Error(`thumbnail size must be an integer in 1..2048, got ${size}`);
  }
  const enlarge = Math.max(img.width, img.height) < size;
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .resize(size, size, { fit: 'inside', kernel: enlarge ? 'nearest' : 'lanczos3' })
    .toColourspace(img.channels === 1 ? 'b-w' : 'srgb')
    .png()
    .toBuffer();
}
