import { open } from 'node:fs/promises';

/** How much of a file the path check reads: enough to pass COCO's `info` and `licenses` to the first keys that matter. */
export const peekBytes = 64 * 1024;

export interface AnnotationPeek {
  /** False when the start already shows the file cannot be a COCO instances file (empty, not JSON, an array). */
  ok: boolean;
  /** What the file looks like, as the start of a sentence ("COCO instances file", "Not JSON: …"). */
  verdict: string;
}

/** The first `peekBytes` bytes of a file, as text. */
export async function readFileStart(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(peekBytes);
    const { bytesRead } = await handle.read(buffer, 0, peekBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function hasKey(head: string, key: string): boolean {
  return new RegExp(`"${key}"\\s*:`).test(head);
}

/**
 * What the start of a file says about it as COCO annotations: JSON or not, and whether its keys are
 * an instances file's (`images`, `annotations`, `categories`; official files open with `info` and
 * `licenses`, then `images`). Only a start that rules COCO out is refused; the import itself names
 * whatever else is wrong.
 */
export function describeAnnotationStart(head: string): AnnotationPeek {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text === '') return { ok: false, verdict: 'An empty file (or only blanks): not COCO annotations' };
  const first = text[0]!;
  if (first === '[')
    return { ok: false, verdict: 'A JSON array, not a COCO instances file (an object with images, annotations and categories)' };
  if (first !== '{') {
    const shown = text.slice(0, 12).replace(/[^\x20-\x7e]/g, '?');
    return { ok: false, verdict: `Not JSON: it starts with “${shown}”, where a COCO instances file starts with “{”` };
  }
  if (hasKey(text, 'segments_info')) return { ok: true, verdict: 'Looks like a COCO panoptic file, not an instances file' };
  if (hasKey(text, 'caption')) return { ok: true, verdict: 'Looks like a COCO captions file, not an instances file' };
  const keys = ['images', 'annotations', 'categories'].filter((key) => hasKey(text, key));
  if (keys.length > 0 && (hasKey(text, 'images') || hasKey(text, 'category_id') || hasKey(text, 'bbox'))) {
    return { ok: true, verdict: 'Looks like a COCO instances file' };
  }
  return {
    ok: true,
    verdict: `JSON, but its first ${peekBytes / 1024} KB have none of a COCO instances file’s keys (images, annotations, categories)`,
  };
}
