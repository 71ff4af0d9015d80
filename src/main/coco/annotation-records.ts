/**
 * How annotations and labels are packed in the cache's BLOB columns. Little-endian on every
 * platform we ship (x64, arm64), which is what typed arrays use there.
 */

/** Fields of one annotation record, in order. */
export const recordFields = ['id', 'categoryId', 'x', 'y', 'w', 'h', 'area', 'iscrowd'] as const;
export const recordLength = recordFields.length;

export interface StoredAnnotation {
  id: number;
  categoryId: number;
  bbox: [number, number, number, number];
  area: number;
  iscrowd: boolean;
}

export function decodeAnnotations(blob: Uint8Array): StoredAnnotation[] {
  const values = new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  const out: StoredAnnotation[] = [];
  for (let i = 0; i + recordLength <= values.length; i += recordLength) {
    out.push({
      id: values[i]!,
      categoryId: values[i + 1]!,
      bbox: [values[i + 2]!, values[i + 3]!, values[i + 4]!, values[i + 5]!],
      area: values[i + 6]!,
      iscrowd: values[i + 7] === 1,
    });
  }
  return out;
}

export function encodeImageIds(ids: Uint32Array): Buffer {
  return Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength);
}

export function decodeImageIds(blob: Uint8Array): Uint32Array {
  return new Uint32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}
