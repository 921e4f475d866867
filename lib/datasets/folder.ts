/**
 * An image folder with one subfolder per class (ImageFolder layout). Files
 * nested deeper inside a class folder belong to that class. Listing only
 * stats files; decoding happens while sampling, so corrupt files are found
 * (and replaced by other draws) before an analysis starts.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageSource } from './catalogue';
import { decodeImage, hasImageExtension, isIgnoredName, MAX_IMAGE_FILE_BYTES, unsupportedReason } from './decode';
import type { RawImage } from './preprocess';
import type { DatasetSample, SkippedFile } from './types';

/** Deep enough for any sane layout, shallow enough to stop symlink loops. */
const MAX_DEPTH = 8;

export interface FolderListing {
  root: string;
  classes: string[];
  /** Sorted by id (path relative to the root, '/'-separated). */
  items: DatasetSample[];
  skipped: SkippedFile[];
}

/** Code-point order, not locale order, so ids sort identically on every machine. */
export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export async function listFolder(root: string): Promise<FolderListing> {
  const abs = path.resolve(root);
  let st;
  try {
    st = await stat(abs);
  } catch {
    throw new Error(`image folder ${root} does not exist`);
  }
  if (!st.isDirectory()) throw new Error(`${root} is not a folder`);

  const classes: string[] = [];
  const items: DatasetSample[] = [];
  const skipped: SkippedFile[] = [];

  const walk = async (dir: string, rel: string, label: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) {
      skipped.push({ file: rel, reason: `nested deeper than ${MAX_DEPTH} folders` });
      return;
    }
    for (const name of (await readdir(dir)).sort()) {
      if (isIgnoredName(name)) continue;
      const full = path.join(dir, name);
      const id = `${rel}/${name}`;
      // stat (not lstat): symlinked images and class folders are common in curated datasets.
      const s = await stat(full).catch(() => null);
      if (!s) skipped.push({ file: id, reason: 'cannot read (broken link or permission)' });
      else if (s.isDirectory()) await walk(full, id, label, depth + 1);
      else if (!s.isFile()) skipped.push({ file: id, reason: 'not a regular file' });
      else if (!hasImageExtension(name)) skipped.push({ file: id, reason: unsupportedReason(name) });
      else if (s.size > MAX_IMAGE_FILE_BYTES) skipped.push({ file: id, reason: `larger than ${MAX_IMAGE_FILE_BYTES} bytes` });
      else items.push({ id, label });
    }
  };

  for (const name of (await readdir(abs)).sort()) {
    if (isIgnoredName(name)) continue;
    const full = path.join(abs, name);
    const s = await stat(full).catch(() => null);
    if (s?.isDirectory()) {
      classes.push(name);
      await walk(full, name, name, 1);
    } else {
      skipped.push({ file: name, reason: 'not inside a class folder' });
    }
  }
  items.sort(byId);
  return { root: abs, classes, items, skipped };
}

/** Resolve a sample id inside the root, refusing anything that would escape it. */
export function resolveInside(root: string, rel: string): string {
  if (path.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel) || rel.split(/[\\/]/).includes('..')) {
    throw new Error(`path ${JSON.stringify(rel)} must be relative and stay inside ${root}`);
  }
  const full = path.resolve(root, rel);
  const back = path.relative(root, full);
  if (back.startsWith('..') || path.isAbsolute(back)) {
    throw new Error(`path ${JSON.stringify(rel)} must stay inside ${root}`);
  }
  return full;
}

export async function readImageFile(file: string): Promise<RawImage> {
  return decodeImage(await readFile(file));
}

export async function folderSource(root: string): Promise<ImageSource> {
  const listing = await listFolder(root);
  return {
    describe: `folder ${root}`,
    items: listing.items,
    classes: listing.classes,
    skipped: listing.skipped,
    read: (index) => readImageFile(path.join(listing.root, listing.items[index].id)),
    close: async () => {},
  };
}

export async function folderCounts(root: string): Promise<Record<string, number>> {
  const { classes, items } = await listFolder(root);
  const counts: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  for (const item of items) counts[item.label!]++;
  return counts;
}
