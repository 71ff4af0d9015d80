import {
  CocoFormatError,
  type AnnotationRecord,
  type CategoryRecord,
  type CocoSink,
  type ImageLabelRecord,
  type ImageRecord,
} from './coco-json-reader';
import { recordLength } from './annotation-records';

/**
 * What a reader of one part of a file collected, as plain and typed arrays: `postMessage` clones the
 * former and hands the latter over without copying (see tail-parse.ts).
 */
export interface RecordsPart {
  images: { ids: number[]; fileNames: string[]; sizes: number[]; licenses: (number | null)[] };
  /** Per annotation, its image id. */
  annotationImages: Float64Array;
  /** Per annotation, the stored record (see annotation-records.ts). */
  records: Float64Array;
  categories: (CategoryRecord & { index: number })[];
  /** Image-level labels without a box (see imageLabelsKey): image id, category id, one pair after the other. */
  imageLabels: Float64Array;
}

/** A Float64Array that grows by doubling, for records whose number is not known in advance. */
export class GrowableFloat64 {
  values = new Float64Array(1 << 16);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.values.length) return;
    const next = new Float64Array(Math.max(this.values.length * 2, this.length + extra));
    next.set(this.values.subarray(0, this.length));
    this.values = next;
  }

  append(values: Float64Array): void {
    this.reserve(values.length);
    this.values.set(values, this.length);
    this.length += values.length;
  }
}

/**
 * Receives a reader's records and keeps them in compact columns; image and category ids (and
 * category names) are checked for duplicates as they arrive. Annotations are checked at the end,
 * when every image and category is known (see cache-writer.ts).
 */
export class CocoRecords implements CocoSink {
  readonly imageIndex = new Map<number, number>();
  readonly imageIds: number[] = [];
  readonly imageFileNames: string[] = [];
  /** Width and height of each image, one after the other. */
  readonly imageSizes: number[] = [];
  readonly imageLicenses: (number | null)[] = [];
  /** Per annotation: the image id, then the stored record (see annotation-records.ts). */
  readonly annotationImages = new GrowableFloat64();
  readonly records = new GrowableFloat64();
  readonly categories = new Map<number, { name: string; supercategory: string; index: number }>();
  /** Image-level labels without a box: image id, then category id, per label (checked at the end, as annotations are). */
  readonly imageLabels = new GrowableFloat64();
  private readonly categoryNames = new Map<string, number>();

  get annotationCount(): number {
    return this.annotationImages.length;
  }

  image(r: ImageRecord, index: number): void {
    const previous = this.imageIndex.get(r.id);
    if (previous !== undefined) {
      throw new CocoFormatError(
        `Image id ${r.id} is used twice, first at $.images[${previous}]`,
        `$.images[${index}].id`,
        null,
        'Each image needs its own id; the file may have been merged incorrectly.',
      );
    }
    this.imageIndex.set(r.id, this.imageIds.length);
    this.imageIds.push(r.id);
    this.imageFileNames.push(r.fileName);
    this.imageSizes.push(Math.round(r.width), Math.round(r.height));
    this.imageLicenses.push(r.license);
  }

  annotation(r: AnnotationRecord): void {
    const images = this.annotationImages;
    images.reserve(1);
    images.values[images.length++] = r.imageId;
    const records = this.records;
    records.reserve(recordLength);
    const v = records.values;
    let k = records.length;
    v[k++] = r.id;
    v[k++] = r.categoryId;
    v[k++] = r.x;
    v[k++] = r.y;
    v[k++] = r.w;
    v[k++] = r.h;
    v[k++] = r.area;
    v[k++] = r.iscrowd;
    records.length = k;
  }

  imageLabel(r: ImageLabelRecord): void {
    const labels = this.imageLabels;
    labels.reserve(2);
    labels.values[labels.length++] = r.imageId;
    labels.values[labels.length++] = r.categoryId;
  }

  category(r: CategoryRecord, index: number): void {
    const previous = this.categories.get(r.id);
    if (previous !== undefined) {
      throw new CocoFormatError(
        `Category id ${r.id} is used twice, first at $.categories[${previous.index}]`,
        `$.categories[${index}].id`,
        null,
      );
    }
    const sameName = this.categoryNames.get(r.name);
    if (sameName !== undefined) {
      throw new CocoFormatError(
        // Quoted as JSON (a line break in a name must not split the message), and cut short.
        `Two categories are named ${JSON.stringify(r.name.length > 60 ? `${r.name.slice(0, 60)}…` : r.name)} (ids ${sameName} and ${r.id})`,
        `$.categories[${index}].name`,
        null,
        'Category names must be unique so that a subset can be chosen by name.',
      );
    }
    this.categories.set(r.id, { name: r.name, supercategory: r.supercategory, index });
    this.categoryNames.set(r.name, r.id);
  }

  /** The records collected, to be sent to another thread (see `append`). */
  toPart(): RecordsPart {
    return {
      images: { ids: this.imageIds, fileNames: this.imageFileNames, sizes: this.imageSizes, licenses: this.imageLicenses },
      annotationImages: this.annotationImages.values.slice(0, this.annotationImages.length),
      records: this.records.values.slice(0, this.records.length),
      categories: [...this.categories].map(([id, c]) => ({ id, ...c })),
      imageLabels: this.imageLabels.values.slice(0, this.imageLabels.length),
    };
  }

  /** Adds what a reader of the rest of the file collected, after what this one holds; its images and categories are checked here. */
  append(part: RecordsPart): void {
    const { ids, fileNames, sizes, licenses } = part.images;
    ids.forEach((id, k) =>
      this.image({ id, fileName: fileNames[k]!, width: sizes[2 * k]!, height: sizes[2 * k + 1]!, license: licenses[k]! }, k),
    );
    for (const { index, ...category } of part.categories) this.category(category, index);
    this.annotationImages.append(part.annotationImages);
    this.records.append(part.records);
    this.imageLabels.append(part.imageLabels);
  }
}
