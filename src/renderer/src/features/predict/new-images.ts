import { maxSentImageBytes, type ImageInput } from '../../../../shared/contract/prediction';
import { baseName, formatBytes } from '../../components/format';

/** An image waiting to be scored: a file sent from this window, or a path on the machine that runs the service. */
export interface NewImage {
  key: string;
  /** The file's name, or the path: what the service answers with, and the card's caption. */
  name: string;
  input: ImageInput;
  /** An object URL of the sent file, to show it; null for a path (the service does not send those back). */
  previewUrl: string | null;
  /** Characters sent over the link (the base64 text), to keep each request under the transport's limit. */
  sentChars: number;
}

export const acceptedMimeTypes = ['image/jpeg', 'image/png', 'image/webp'] as const;
const acceptedExtensions = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp'];
/** For the file input's `accept`. */
export const acceptAttribute = [...acceptedMimeTypes, ...acceptedExtensions].join(',');

/** A file is sent whole in one message, and the browser link takes 16 MB a message: base64 of 10 MB is about 13.4 MB. */
export const maxFileBytes = maxSentImageBytes;
/** Images are sent in requests of at most this many characters of base64 (and 1000 images, the service's limit). */
const maxRequestChars = 12 * 1024 * 1024;
const maxRequestImages = 1000;

let counter = 0;
function nextKey(): string {
  counter += 1;
  // Unique across reloads too: kept images come back with their keys.
  return `image-${Date.now().toString(36)}-${counter}`;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

/** Whether a name ends like a JPEG, PNG or WebP file. */
export function hasImageExtension(name: string): boolean {
  return acceptedExtensions.includes(extensionOf(name));
}

function isAccepted(file: File): boolean {
  if (file.type !== '') return (acceptedMimeTypes as readonly string[]).includes(file.type);
  return hasImageExtension(file.name);
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsDataURL(file);
  });
}

export type ReadOutcome = { ok: true; image: NewImage } | { ok: false; message: string };

/** Reads a dropped or chosen file for sending, or says in a sentence why it is not taken. */
export async function readImageFile(file: File): Promise<ReadOutcome> {
  if (!isAccepted(file)) {
    return { ok: false, message: `${file.name} is not a JPEG, PNG or WebP image${file.type === '' ? '' : ` (it is ${file.type})`}.` };
  }
  if (file.size === 0) return { ok: false, message: `${file.name} is empty.` };
  if (file.size > maxFileBytes) {
    return {
      ok: false,
      message: `${file.name} is ${formatBytes(file.size)}, more than the ${formatBytes(maxFileBytes)} a window can send; add it by its path instead.`,
    };
  }
  let base64: string;
  try {
    base64 = await readAsBase64(file);
  } catch (error) {
    return { ok: false, message: `${file.name} could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    ok: true,
    image: {
      key: nextKey(),
      name: file.name,
      input: { name: file.name, base64 },
      previewUrl: URL.createObjectURL(file),
      sentChars: base64.length,
    },
  };
}

/** An image on the service's machine, by the path it resolved. */
export function pathImage(path: string): NewImage {
  return { key: nextKey(), name: path, input: { path }, previewUrl: null, sentChars: path.length };
}

/** The images in requests the link and the service accept, in order. */
export function requestBatches(images: readonly NewImage[]): NewImage[][] {
  const batches: NewImage[][] = [];
  let batch: NewImage[] = [];
  let chars = 0;
  for (const image of images) {
    if (batch.length > 0 && (chars + image.sentChars > maxRequestChars || batch.length >= maxRequestImages)) {
      batches.push(batch);
      batch = [];
      chars = 0;
    }
    batch.push(image);
    chars += image.sentChars;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * The service names a sent file by the copy it keeps (`…/uploads/<sha-256>.jpg`); say the file's own
 * name instead, which is the one the user knows.
 */
export function messageFor(image: NewImage, message: string): string {
  if (image.previewUrl === null) return message;
  return message.replace(/\S*uploads[\\/][0-9a-f]{64}(\.\w+)?/g, image.name);
}

/** The caption of an image: a sent file's name, or a path's last segment. */
export function shortName(image: NewImage): string {
  return image.previewUrl === null ? baseName(image.name) : image.name;
}
