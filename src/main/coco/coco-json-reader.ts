import { AppError } from '../../shared/contract/errors';

/**
 * A streaming reader for COCO instances files. It is fed the file in chunks and calls back once per
 * image, annotation and category, reusing one record object per kind so that nothing per element is
 * allocated. Segmentation polygons, RLE masks and every other field we do not keep are skipped by a
 * bracket-matching scan, never materialised.
 *
 * Why not a general streaming JSON library: the 448 MB train2017 file must be read in a fraction of
 * the time Python's `json.load` takes (see `npm run bench:ingest`); event-per-token parsers spend
 * most of their time building tokens for polygon coordinates we throw away.
 *
 * How it streams: parsing advances only at safe points (after the root's `{`, an array's `[`, a
 * whole element, a whole top-level value). When an element runs past the end of the bytes at hand,
 * the reader keeps the unparsed tail and resumes from that safe point when the next chunk arrives.
 * Key order does not matter.
 */

export interface ImageRecord {
  id: number;
  fileName: string;
  width: number;
  height: number;
  license: number | null;
}

export interface AnnotationRecord {
  id: number;
  imageId: number;
  categoryId: number;
  x: number;
  y: number;
  w: number;
  h: number;
  area: number;
  iscrowd: number;
}

export interface CategoryRecord {
  id: number;
  name: string;
  supercategory: string;
}

/** An image-level label without a box, from the top-level "mlw_image_labels" list our export writes. */
export interface ImageLabelRecord {
  imageId: number;
  categoryId: number;
}

/**
 * The top-level list in which our label export (`mlw labels export`) writes image-level labels that
 * have no box, each `{"image_id": …, "category_id": …}`. Other COCO readers ignore a key they do not
 * know; ours reads them as labels of their images.
 */
export const imageLabelsKey = 'mlw_image_labels';

export interface CocoSink {
  image(record: ImageRecord, index: number): void;
  annotation(record: AnnotationRecord, index: number): void;
  category(record: CategoryRecord, index: number): void;
  /** Absent: image labels are read (and checked) but not kept. */
  imageLabel?(record: ImageLabelRecord, index: number): void;
}

export type RequiredSection = 'images' | 'annotations' | 'categories';
/** The top-level lists the reader reads element by element: COCO's three, and our image-level labels. */
export type ListSection = RequiredSection | typeof imageLabelsKey;

/** What a reader begun inside the annotations list read (see `CocoJsonReader.insideAnnotations`). */
export interface TailSummary {
  counts: { images: number; annotations: number; categories: number };
  seen: ListSection[];
}

/** A problem with the file's content, with the JSON path and byte offset where it was found. */
export class CocoFormatError extends AppError {
  constructor(problem: string, jsonPath: string | null, offset: number | null, hint?: string) {
    const where = [jsonPath === null ? null : `at ${jsonPath}`, offset === null ? null : `byte ${offset}`]
      .filter((s) => s !== null)
      .join(', ');
    const advice =
      hint ?? 'Check that this is a COCO instances annotation file (such as instances_train2017.json) and that it was copied completely.';
    super('INVALID_INPUT', `${problem}${where ? ` (${where})` : ''}. ${advice}`, {
      jsonPath: jsonPath ?? undefined,
      byteOffset: offset ?? undefined,
    });
    this.name = 'CocoFormatError';
  }
}

const enum State {
  BeforeRoot,
  RootExpectKey,
  RootExpectKeyOrEnd,
  RootAfterValue,
  ArrayExpectElementOrEnd,
  ArrayExpectElement,
  ArrayAfterElement,
  Done,
}

const enum Ch {
  Tab = 0x09,
  Lf = 0x0a,
  Cr = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Plus = 0x2b,
  Comma = 0x2c,
  Minus = 0x2d,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  OpenBracket = 0x5b,
  Backslash = 0x5c,
  CloseBracket = 0x5d,
  LowerE = 0x65,
  UpperE = 0x45,
  OpenBrace = 0x7b,
  CloseBrace = 0x7d,
}

const enum StopKind {
  CloseBracket,
  OpenBracket,
  Quote,
  OpenBrace,
  CloseBrace,
}
const stopBytes = [Ch.CloseBracket, Ch.OpenBracket, Ch.Quote, Ch.OpenBrace, Ch.CloseBrace];

/** Thrown (as this one object) when a unit being parsed runs past the bytes at hand. */
const needMore = { needMore: true } as const;

type Section = ListSection | null;

const sectionKeys: Record<ListSection, Uint8Array> = {
  images: Buffer.from('images'),
  annotations: Buffer.from('annotations'),
  categories: Buffer.from('categories'),
  [imageLabelsKey]: Buffer.from(imageLabelsKey),
};
const listSections = ['images', 'annotations', 'categories', imageLabelsKey] as const;

const enum ImageKey {
  Id,
  FileName,
  Width,
  Height,
  License,
}
const imageKeys = keyTable(['id', 'file_name', 'width', 'height', 'license']);
const enum AnnotationKey {
  Id,
  ImageId,
  CategoryId,
  Bbox,
  Area,
  Iscrowd,
}
const annotationKeys = keyTable(['id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd']);
const enum CategoryKey {
  Id,
  Name,
  Supercategory,
}
const categoryKeys = keyTable(['id', 'name', 'supercategory']);
const enum ImageLabelKey {
  ImageId,
  CategoryId,
}
const imageLabelKeys = keyTable(['image_id', 'category_id']);

function keyTable(names: string[]): { names: string[]; bytes: Uint8Array[] } {
  return { names, bytes: names.map((n) => Buffer.from(n)) };
}

const bboxFields = ['.bbox[0]', '.bbox[1]', '.bbox[2]', '.bbox[3]'];
const pow10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/** How much of a new chunk is first joined to the carried tail to parse across the boundary. */
const stitchBytes = 64 * 1024;

/** The largest value kept between chunks: a single top-level value or element larger than this is refused. */
const maxCarryBytes = 512 * 1024 * 1024;

export class CocoJsonReader {
  private state = State.BeforeRoot;
  private section: Section = null;
  private elementIndex = 0;
  private carry: Buffer | null = null;
  /** Absolute file offset of the first byte of `buf`. */
  private base = 0;
  private buf: Buffer = Buffer.alloc(0);
  private end = 0;
  private pos = 0;
  private readonly seen = new Set<string>();
  private readonly counts = { images: 0, annotations: 0, categories: 0 };
  private readonly stack = new Uint8Array(1024);
  /** Whether the string `skipString` last passed over had a backslash in it. */
  private stringHadEscape = false;
  /**
   * For the bytes that end a run of numbers in a skipped list ("]", "[", quote, "{", "}"): the offset
   * of its next occurrence in `buf` at or after the last search, or -1 when not searched yet. Parsing
   * only moves forward within one buffer, so each pointer crosses the buffer at most once: skipping
   * stays linear in the buffer's size however the values are laid out.
   */
  private readonly nextStop = new Float64Array(5);
  /** Chunks held back while a unit larger than the bytes at hand waits for enough of them (see `push`). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** How many bytes to gather before parsing again after a unit ran past the end; 0: parse every chunk. */
  private retryAtBytes = 0;

  private readonly image: ImageRecord = { id: 0, fileName: '', width: 0, height: 0, license: null };
  private readonly annotation: AnnotationRecord = { id: 0, imageId: 0, categoryId: 0, x: 0, y: 0, w: 0, h: 0, area: 0, iscrowd: 0 };
  private readonly category: CategoryRecord = { id: 0, name: '', supercategory: '' };
  private readonly imageLabel: ImageLabelRecord = { imageId: 0, categoryId: 0 };

  constructor(private readonly sink: CocoSink) {}

  /** The top-level list being read at the end of the bytes pushed so far, or null between them. */
  get currentSection(): ListSection | null {
    return this.section;
  }

  /** Feed the next chunk of the file. */
  push(chunk: Buffer): void {
    if (this.retryAtBytes > 0) {
      // A unit that ran past the end is parsed again only once the bytes at hand have doubled, so a
      // value spanning many chunks costs a bounded number of passes, not one per chunk. Copy: the
      // caller may reuse its chunk buffer.
      this.pending.push(Buffer.from(chunk));
      this.pendingBytes += chunk.length;
      if ((this.carry?.length ?? 0) + this.pendingBytes < this.retryAtBytes) {
        this.checkCarrySize((this.carry?.length ?? 0) + this.pendingBytes, this.base);
        return;
      }
      this.takeHeldBack();
    } else if (this.carry !== null && this.carry.length > 0) {
      if (!this.stitch(chunk)) {
        this.keepTail(chunk.length);
        return;
      }
    } else {
      this.setBuffer(chunk);
    }
    this.run();
    this.keepTail(chunk.length);
  }

  /**
   * Parses across the boundary between the carried tail and `chunk` in a small joined buffer, until
   * it reaches a safe point inside `chunk`, and leaves `chunk` as the buffer with `pos` there: the
   * rest of the chunk is parsed in place, not copied behind the tail. Returns false when the unit at
   * the boundary runs past the end of `chunk` too (the buffer is then the tail and the whole chunk).
   */
  private stitch(chunk: Buffer): boolean {
    let carry = this.carry!;
    let take = Math.min(chunk.length, Math.max(stitchBytes, 2 * carry.length));
    for (;;) {
      this.setBuffer(Buffer.concat([carry, chunk.subarray(0, take)]));
      this.run();
      if (this.pos >= carry.length) {
        const at = this.pos - carry.length;
        this.base += carry.length;
        this.setBuffer(chunk);
        this.pos = at;
        return true;
      }
      if (take === chunk.length) return false;
      // Still inside the carried bytes: keep what was parsed, and join more of the chunk.
      this.base += this.pos;
      carry = carry.subarray(this.pos);
      take = Math.min(chunk.length, 2 * take);
    }
  }

  /** Keeps the unparsed end of the buffer for the next chunk. Copied: the caller may reuse its chunk buffer. */
  private keepTail(chunkLength: number): void {
    const rest = this.end - this.pos;
    this.checkCarrySize(rest, this.base + this.pos);
    this.carry = rest > 0 ? Buffer.from(this.buf.subarray(this.pos, this.end)) : null;
    this.retryAtBytes = rest > chunkLength ? 2 * rest : 0;
    this.base += this.pos;
  }

  /** Makes the carried tail and the chunks held back behind it the buffer to parse. */
  private takeHeldBack(): void {
    this.setBuffer(Buffer.concat([...(this.carry === null ? [] : [this.carry]), ...this.pending]));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private setBuffer(buf: Buffer): void {
    this.buf = buf;
    this.end = buf.length;
    this.pos = 0;
    this.nextStop.fill(-1);
  }

  /** `offset`: where the value that is too large begins in the file. */
  private checkCarrySize(bytes: number, offset: number): void {
    if (bytes > maxCarryBytes) {
      throw new CocoFormatError(`A single value is larger than ${maxCarryBytes / 1024 / 1024} MB`, this.pathOf(''), offset);
    }
  }

  /** Call once the whole file has been pushed; checks that the JSON is complete and has what COCO needs. */
  finish(): { images: number; annotations: number; categories: number } {
    this.complete();
    this.requireSections();
    return { ...this.counts };
  }

  /**
   * A reader for the part of a file that starts with an element of its "annotations" list, at
   * `offset` (see tail-parse.ts): it reads that list's elements from there, and whatever follows to
   * the end of the file. Element indices in its records and messages count from that element.
   */
  static insideAnnotations(sink: CocoSink, offset: number): CocoJsonReader {
    const reader = new CocoJsonReader(sink);
    reader.state = State.ArrayExpectElement;
    reader.section = 'annotations';
    reader.seen.add('annotations');
    reader.base = offset;
    return reader;
  }

  /** The end of a read begun by `insideAnnotations`: checks that the JSON is complete, not that every list was there. */
  finishTail(): TailSummary {
    this.complete();
    return { counts: { ...this.counts }, seen: [...this.seen] as ListSection[] };
  }

  /**
   * True when the bytes pushed so far end just before an element of the "annotations" list (but
   * for whitespace): where a reader begun by `insideAnnotations` can take over.
   */
  atAnnotationElement(): boolean {
    if (this.section !== 'annotations' || this.state !== State.ArrayExpectElement || this.pendingBytes > 0) return false;
    const carry = this.carry;
    if (carry === null) return true;
    for (let i = 0; i < carry.length; i++) if (!isWs(carry[i]!)) return false;
    return true;
  }

  /**
   * Whether this read can end where a reader begun by `insideAnnotations` took over: this one has
   * stopped before an annotation (`atAnnotationElement`) and no list but "annotations" was read by
   * both (a file with "images" twice is reported by the reader that reads on, with its offset).
   */
  canAdopt(tail: TailSummary): boolean {
    return this.atAnnotationElement() && tail.seen.every((section) => section === 'annotations' || !this.seen.has(section));
  }

  /**
   * Ends this read where another reader, begun by `insideAnnotations` at the offset this one has
   * reached, read the rest of the file (`canAdopt` must hold); checks that the whole file has what
   * COCO needs, and returns the counts of both parts together.
   */
  adoptTail(tail: TailSummary): { images: number; annotations: number; categories: number } {
    if (!this.canAdopt(tail)) throw new Error('adoptTail: this read cannot end where that one began.');
    for (const section of tail.seen) this.seen.add(section);
    this.counts.images += tail.counts.images;
    this.counts.annotations += tail.counts.annotations;
    this.counts.categories += tail.counts.categories;
    this.state = State.Done;
    this.section = null;
    this.carry = null;
    this.requireSections();
    return { ...this.counts };
  }

  /** Parses what is left and checks that the JSON ended. */
  private complete(): void {
    this.takeHeldBack();
    this.carry = null;
    this.retryAtBytes = 0;
    const bom = this.base === 0 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf ? 3 : 0;
    if (this.state === State.BeforeRoot && this.base === 0 && this.onlyWhitespaceFrom(bom)) {
      throw new CocoFormatError('The file is empty', null, null, 'Choose a COCO instances annotation file; this one has no content.');
    }
    this.run();
    if (this.state !== State.Done) {
      throw new CocoFormatError(
        'The file ends before the JSON is complete: it is truncated',
        this.pathOf(''),
        this.base + this.end,
        'Copy or download the file again; it was cut short.',
      );
    }
  }

  private requireSections(): void {
    for (const section of ['images', 'annotations', 'categories'] as const) {
      if (!this.seen.has(section)) {
        throw new CocoFormatError(
          `The file has no "${section}" list`,
          '$',
          null,
          'A COCO instances file has "images", "annotations" and "categories" at its top level; captions and keypoint-only files are not instances files.',
        );
      }
    }
  }

  private onlyWhitespaceFrom(p: number): boolean {
    for (let i = p; i < this.end; i++) if (!isWs(this.buf[i]!)) return false;
    return true;
  }

  /** Parses unit after unit; a unit that runs past the bytes at hand is retried with the next chunk. */
  private run(): void {
    for (;;) {
      const safe = this.pos;
      try {
        if (!this.step()) return;
      } catch (error) {
        if (error !== needMore) throw error;
        this.pos = safe;
        return;
      }
    }
  }

  /** Parses one unit from the current state. Returns false when there is nothing more to do here. */
  private step(): boolean {
    switch (this.state) {
      case State.BeforeRoot: {
        this.skipWsOrNeedMore();
        let c = this.buf[this.pos]!;
        if (this.base + this.pos === 0 && c === 0xef) {
          this.need(3);
          if (this.buf[1] !== 0xbb || this.buf[2] !== 0xbf)
            throw new CocoFormatError('The file is not JSON: it starts with the byte 0xef', '$', 0);
          // A UTF-8 byte order mark, which some editors write.
          this.pos += 3;
          this.skipWsOrNeedMore();
          c = this.buf[this.pos]!;
        }
        if (c === Ch.OpenBracket) {
          throw new CocoFormatError('The top level of the file is a list, not an object', '$', this.base + this.pos);
        }
        if (c !== Ch.OpenBrace) {
          if (c === Ch.Quote || c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine) || c === 0x74 || c === 0x66 || c === 0x6e) {
            throw new CocoFormatError(`The top level of the file is ${this.kindAt(this.pos)}, not an object`, '$', this.base + this.pos);
          }
          const archive = this.base + this.pos === 0 ? archiveKind(this.buf) : null;
          if (archive !== null) {
            throw new CocoFormatError(
              `The file is a ${archive} archive, not JSON`,
              '$',
              0,
              `Extract it first (for COCO: unzip annotations_trainval2017.zip) and choose the instances JSON file inside.`,
            );
          }
          throw new CocoFormatError(`The file is not JSON: it starts with ${describeByte(c)}`, '$', this.base + this.pos);
        }
        this.pos++;
        this.state = State.RootExpectKeyOrEnd;
        return true;
      }
      case State.RootExpectKey:
      case State.RootExpectKeyOrEnd: {
        this.skipWsOrNeedMore();
        const c = this.buf[this.pos]!;
        if (c === Ch.CloseBrace && this.state === State.RootExpectKeyOrEnd) {
          this.pos++;
          this.state = State.Done;
          return true;
        }
        if (c !== Ch.Quote) throw this.syntax('a quoted key', '');
        const keyStart = this.pos + 1;
        this.pos = this.skipString(this.pos);
        const keyEnd = this.pos - 1;
        const escaped = this.stringHadEscape;
        this.skipWsOrNeedMore();
        if (this.buf[this.pos] !== Ch.Colon) throw this.syntax('":" after a key', '');
        this.pos++;
        this.skipWsOrNeedMore();
        const section = this.sectionOf(keyStart, keyEnd, escaped);
        if (section !== null) {
          if (this.seen.has(section)) {
            throw new CocoFormatError(`The key "${section}" appears twice at the top level`, `$.${section}`, this.base + keyStart - 1);
          }
          if (this.buf[this.pos] !== Ch.OpenBracket) {
            throw new CocoFormatError(
              `"${section}" should be a list but is ${this.kindAt(this.pos)}`,
              `$.${section}`,
              this.base + this.pos,
            );
          }
          this.pos++;
          this.seen.add(section);
          this.section = section;
          this.elementIndex = 0;
          this.state = State.ArrayExpectElementOrEnd;
        } else {
          // Named in messages about the value: as written (escapes and all), shortened, control characters escaped.
          this.pos = this.skipValue(this.pos, `.${shownText(this.buf.toString('utf8', keyStart, Math.min(keyEnd, keyStart + 256)), 60)}`);
          this.state = State.RootAfterValue;
        }
        return true;
      }
      case State.RootAfterValue: {
        this.skipWsOrNeedMore();
        const c = this.buf[this.pos]!;
        if (c === Ch.Comma) {
          this.pos++;
          this.state = State.RootExpectKey;
        } else if (c === Ch.CloseBrace) {
          this.pos++;
          this.state = State.Done;
        } else {
          throw this.syntax('"," or "}" after a top-level value', '');
        }
        return true;
      }
      case State.ArrayExpectElementOrEnd:
      case State.ArrayExpectElement: {
        this.skipWsOrNeedMore();
        const c = this.buf[this.pos]!;
        if (c === Ch.CloseBracket && this.state === State.ArrayExpectElementOrEnd) {
          this.pos++;
          this.section = null;
          this.state = State.RootAfterValue;
          return true;
        }
        if (c !== Ch.OpenBrace) {
          if (c === Ch.CloseBracket) throw this.syntax('another element after ","', '');
          throw new CocoFormatError(
            `Each element of "${this.section!}" should be an object but this one is ${this.kindAt(this.pos)}`,
            this.pathOf(''),
            this.base + this.pos,
          );
        }
        switch (this.section) {
          case 'images':
            this.parseImage();
            this.sink.image(this.image, this.elementIndex);
            break;
          case 'annotations':
            this.parseAnnotation();
            this.sink.annotation(this.annotation, this.elementIndex);
            break;
          case 'categories':
            this.parseCategory();
            this.sink.category(this.category, this.elementIndex);
            break;
          default:
            this.parseImageLabel();
            this.sink.imageLabel?.(this.imageLabel, this.elementIndex);
        }
        if (this.section !== imageLabelsKey) this.counts[this.section!]++;
        this.elementIndex++;
        this.state = State.ArrayAfterElement;
        return true;
      }
      case State.ArrayAfterElement: {
        this.skipWsOrNeedMore();
        const c = this.buf[this.pos]!;
        if (c === Ch.Comma) {
          this.pos++;
          this.state = State.ArrayExpectElement;
        } else if (c === Ch.CloseBracket) {
          this.pos++;
          this.section = null;
          this.state = State.RootAfterValue;
        } else {
          this.elementIndex--;
          throw this.syntax('"," or "]" after an element', '');
        }
        return true;
      }
      case State.Done: {
        while (this.pos < this.end && isWs(this.buf[this.pos]!)) this.pos++;
        if (this.pos < this.end) {
          throw new CocoFormatError('There is more data after the end of the JSON object', '$', this.base + this.pos);
        }
        return false;
      }
    }
  }

  // ---- elements ------------------------------------------------------------------------------

  private parseImage(): void {
    const r = this.image;
    let seenMask = 0;
    r.license = null;
    if (this.beginObject()) {
      do {
        const key = this.nextKey(imageKeys);
        if (key >= 0) seenMask |= 1 << key;
        switch (key) {
          case ImageKey.Id:
            r.id = this.readId(this.pos, '.id');
            break;
          case ImageKey.FileName:
            r.fileName = this.readString(this.pos, '.file_name');
            break;
          case ImageKey.Width:
            r.width = this.readNonNegativeNumber(this.pos, '.width');
            break;
          case ImageKey.Height:
            r.height = this.readNonNegativeNumber(this.pos, '.height');
            break;
          case ImageKey.License:
            r.license = this.buf[this.pos] === 0x6e ? this.readNull(this.pos, '.license') : this.readInteger(this.pos, '.license');
            break;
          default:
            this.pos = this.skipValue(this.pos, '');
        }
      } while (this.nextMember());
    }
    this.requireKeys(seenMask, imageKeys, [ImageKey.Id, ImageKey.FileName, ImageKey.Width, ImageKey.Height]);
  }

  private parseAnnotation(): void {
    const r = this.annotation;
    let seenMask = 0;
    r.iscrowd = 0;
    if (this.beginObject()) {
      do {
        const key = this.nextKey(annotationKeys);
        if (key >= 0) seenMask |= 1 << key;
        switch (key) {
          case AnnotationKey.Id:
            r.id = this.readId(this.pos, '.id', Number.MAX_SAFE_INTEGER);
            break;
          case AnnotationKey.ImageId:
            r.imageId = this.readId(this.pos, '.image_id');
            break;
          case AnnotationKey.CategoryId:
            r.categoryId = this.readId(this.pos, '.category_id');
            break;
          case AnnotationKey.Bbox:
            this.readBbox(this.pos);
            break;
          case AnnotationKey.Area:
            r.area = this.readNumberValue(this.pos, '.area');
            break;
          case AnnotationKey.Iscrowd:
            r.iscrowd = this.readFlag(this.pos, '.iscrowd');
            break;
          default:
            this.pos = this.skipValue(this.pos, '');
        }
      } while (this.nextMember());
    }
    this.requireKeys(seenMask, annotationKeys, [AnnotationKey.Id, AnnotationKey.ImageId, AnnotationKey.CategoryId, AnnotationKey.Bbox]);
    if ((seenMask & (1 << AnnotationKey.Area)) === 0) r.area = r.w * r.h;
  }

  private parseCategory(): void {
    const r = this.category;
    let seenMask = 0;
    r.supercategory = '';
    if (this.beginObject()) {
      do {
        const key = this.nextKey(categoryKeys);
        if (key >= 0) seenMask |= 1 << key;
        switch (key) {
          case CategoryKey.Id:
            r.id = this.readId(this.pos, '.id');
            break;
          case CategoryKey.Name: {
            const at = this.pos;
            r.name = this.readString(at, '.name');
            if (r.name.trim() === '') throw new CocoFormatError('A category name is empty', this.pathOf('.name'), this.base + at);
            break;
          }
          case CategoryKey.Supercategory:
            r.supercategory = this.readString(this.pos, '.supercategory');
            break;
          default:
            this.pos = this.skipValue(this.pos, '');
        }
      } while (this.nextMember());
    }
    this.requireKeys(seenMask, categoryKeys, [CategoryKey.Id, CategoryKey.Name]);
  }

  private parseImageLabel(): void {
    const r = this.imageLabel;
    let seenMask = 0;
    if (this.beginObject()) {
      do {
        const key = this.nextKey(imageLabelKeys);
        if (key >= 0) seenMask |= 1 << key;
        switch (key) {
          case ImageLabelKey.ImageId:
            r.imageId = this.readId(this.pos, '.image_id');
            break;
          case ImageLabelKey.CategoryId:
            r.categoryId = this.readId(this.pos, '.category_id');
            break;
          default:
            this.pos = this.skipValue(this.pos, '');
        }
      } while (this.nextMember());
    }
    this.requireKeys(seenMask, imageLabelKeys, [ImageLabelKey.ImageId, ImageLabelKey.CategoryId]);
  }

  private requireKeys(seenMask: number, table: { names: string[] }, required: number[]): void {
    for (const key of required) {
      if ((seenMask & (1 << key)) === 0) {
        throw new CocoFormatError(`This ${singular(this.section)} has no "${table.names[key]!}"`, this.pathOf(''), null);
      }
    }
  }

  /** Consumes an object's "{"; returns false for an empty object (then also consumes its "}"). */
  private beginObject(): boolean {
    this.pos++;
    this.skipWsOrNeedMore();
    if (this.buf[this.pos] === Ch.CloseBrace) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** Reads `"key":` and returns the key's index in `table`, or -1; leaves `pos` at the value. */
  private nextKey(table: { bytes: Uint8Array[]; names: string[] }): number {
    const buf = this.buf;
    this.skipWsOrNeedMore();
    if (buf[this.pos] !== Ch.Quote) throw this.syntax('a quoted key', '');
    const keyStart = this.pos + 1;
    this.pos = this.skipString(this.pos);
    const keyEnd = this.pos - 1;
    const escaped = this.stringHadEscape;
    this.skipWsOrNeedMore();
    if (buf[this.pos] !== Ch.Colon) throw this.syntax('":" after a key', '');
    this.pos++;
    this.skipWsOrNeedMore();
    return matchKey(buf, keyStart, keyEnd, escaped, table.bytes, table.names);
  }

  /** After a member's value: true when "," follows (another member), false at the closing "}". */
  private nextMember(): boolean {
    this.skipWsOrNeedMore();
    const c = this.buf[this.pos];
    if (c === Ch.Comma) {
      this.pos++;
      return true;
    }
    if (c === Ch.CloseBrace) {
      this.pos++;
      return false;
    }
    throw this.syntax('"," or "}" in an object', '');
  }

  /** The JSON path of `field` in the element being parsed (or at the top level), built only for errors. */
  private pathOf(field: string): string {
    return this.section === null ? `$${field}` : `$.${this.section}[${this.elementIndex}]${field}`;
  }

  // ---- values --------------------------------------------------------------------------------

  /** Image and category ids must fit in 32 bits (the cache packs them); annotation ids may be any safe integer. */
  private readId(at: number, path: string, max = 0xffffffff): number {
    const value = this.readNumberValue(at, path);
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new CocoFormatError(`An id should be a whole number from 0 to ${max} but is ${value}`, this.pathOf(path), this.base + at);
    }
    return value;
  }

  private readInteger(at: number, path: string): number {
    const value = this.readNumberValue(at, path);
    if (!Number.isInteger(value))
      throw new CocoFormatError(`This should be a whole number but is ${value}`, this.pathOf(path), this.base + at);
    return value;
  }

  private readNonNegativeNumber(at: number, path: string): number {
    const value = this.readNumberValue(at, path);
    if (value < 0) throw new CocoFormatError(`This should not be negative but is ${value}`, this.pathOf(path), this.base + at);
    return value;
  }

  private readNull(at: number, path: string): null {
    this.need(at + 4 - this.pos);
    if (this.buf.toString('latin1', at, at + 4) !== 'null') throw this.typeError('null or a number', at, path);
    this.pos = at + 4;
    return null;
  }

  private readFlag(at: number, path: string): number {
    const c = this.buf[at];
    if (c === 0x74 || c === 0x66) {
      const word = c === 0x74 ? 'true' : 'false';
      this.need(at + word.length - this.pos);
      if (this.buf.toString('latin1', at, at + word.length) !== word) throw this.typeError('0 or 1', at, path);
      this.pos = at + word.length;
      return c === 0x74 ? 1 : 0;
    }
    const value = this.readNumberValue(at, path);
    if (value !== 0 && value !== 1)
      throw new CocoFormatError(`"iscrowd" should be 0 or 1 but is ${value}`, this.pathOf(path), this.base + at);
    return value;
  }

  private readBbox(at: number): void {
    const path = '.bbox';
    const buf = this.buf;
    if (buf[at] !== Ch.OpenBracket) throw this.typeError('a list of 4 numbers [x, y, width, height]', at, path);
    this.pos = at + 1;
    const values = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      this.skipWsOrNeedMore();
      if (i > 0) {
        if (buf[this.pos] !== Ch.Comma)
          throw new CocoFormatError('A bbox should have 4 numbers [x, y, width, height]', this.pathOf(path), this.base + at);
        this.pos++;
        this.skipWsOrNeedMore();
      }
      if (buf[this.pos] === Ch.CloseBracket)
        throw new CocoFormatError('A bbox should have 4 numbers [x, y, width, height]', this.pathOf(path), this.base + at);
      values[i] = this.readNumberValue(this.pos, bboxFields[i]!);
    }
    this.skipWsOrNeedMore();
    if (buf[this.pos] !== Ch.CloseBracket)
      throw new CocoFormatError('A bbox should have 4 numbers [x, y, width, height]', this.pathOf(path), this.base + at);
    this.pos++;
    const r = this.annotation;
    r.x = values[0]!;
    r.y = values[1]!;
    r.w = values[2]!;
    r.h = values[3]!;
  }

  private readString(at: number, path: string): string {
    if (this.buf[at] !== Ch.Quote) throw this.typeError('a string', at, path);
    const start = at + 1;
    let i = start;
    let escaped = false;
    const buf = this.buf;
    for (;;) {
      if (i >= this.end) throw needMore;
      const c = buf[i]!;
      if (c === Ch.Quote) break;
      if (c === Ch.Backslash) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20) throw new CocoFormatError('A string contains a raw control character', this.pathOf(path), this.base + i);
      i++;
    }
    this.pos = i + 1;
    if (!escaped) return buf.toString('utf8', start, i);
    try {
      return JSON.parse(buf.toString('utf8', at, i + 1)) as string;
    } catch {
      throw new CocoFormatError('A string has an invalid escape sequence', this.pathOf(path), this.base + at);
    }
  }

  /** Reads a JSON number at `at`, with Clinger's exact fast path for up to 15 significant digits. */
  private readNumberValue(at: number, path: string): number {
    const buf = this.buf;
    const end = this.end;
    let i = at;
    let negative = false;
    if (buf[i] === Ch.Minus) {
      negative = true;
      i++;
    }
    if (i >= end) throw needMore;
    let c = buf[i]!;
    if (c < Ch.Zero || c > Ch.Nine) {
      throw this.typeError('a number', at, path);
    }
    let mantissa = 0;
    let digits = 0;
    let fraction = 0;
    let slow = false;
    if (c === Ch.Zero) {
      i++;
    } else {
      while (i < end) {
        c = buf[i]!;
        if (c < Ch.Zero || c > Ch.Nine) break;
        mantissa = mantissa * 10 + (c - Ch.Zero);
        digits++;
        i++;
      }
    }
    if (i >= end) throw needMore;
    c = buf[i]!;
    if (c === Ch.Dot) {
      i++;
      const fractionStart = i;
      while (i < end) {
        c = buf[i]!;
        if (c < Ch.Zero || c > Ch.Nine) break;
        mantissa = mantissa * 10 + (c - Ch.Zero);
        if (mantissa !== 0 || digits > 0) digits++;
        i++;
      }
      if (i >= end) throw needMore;
      fraction = i - fractionStart;
      if (fraction === 0) throw new CocoFormatError('A number has no digits after its decimal point', this.pathOf(path), this.base + at);
      c = buf[i]!;
    }
    if (c === Ch.LowerE || c === Ch.UpperE) {
      slow = true;
      i++;
      if (i >= end) throw needMore;
      if (buf[i] === Ch.Plus || buf[i] === Ch.Minus) i++;
      const expStart = i;
      while (i < end && buf[i]! >= Ch.Zero && buf[i]! <= Ch.Nine) i++;
      if (i === expStart) {
        if (i >= end) throw needMore;
        throw new CocoFormatError('A number has an invalid exponent', this.pathOf(path), this.base + at);
      }
      if (i >= end) throw needMore;
    }
    this.pos = i;
    if (slow || digits > 15 || fraction > 22) {
      return Number(buf.toString('latin1', at, i));
    }
    const value = fraction === 0 ? mantissa : mantissa / pow10[fraction]!;
    return negative ? -value : value;
  }

  // ---- skipping and scanning -----------------------------------------------------------------

  /** Returns the offset just after the value at `at`, without building it. Brackets are matched by kind. */
  private skipValue(at: number, path: string): number {
    const buf = this.buf;
    const end = this.end;
    const first = buf[at];
    if (first === Ch.Quote) return this.skipString(at);
    if (first !== Ch.OpenBrace && first !== Ch.OpenBracket) {
      // A number or a literal: it ends at a delimiter.
      let i = at;
      while (i < end) {
        const c = buf[i]!;
        if (c === Ch.Comma || c === Ch.CloseBrace || c === Ch.CloseBracket || isWs(c)) break;
        i++;
      }
      if (i >= end) throw needMore;
      if (i === at) throw this.syntax('a value', path);
      const word = buf.toString('latin1', at, i);
      if (!isJsonScalar(word)) throw new CocoFormatError(`"${word.slice(0, 20)}" is not a JSON value`, this.pathOf(path), this.base + at);
      return i;
    }
    const stack = this.stack;
    let depth = 0;
    let i = at;
    while (i < end) {
      const c = buf[i]!;
      // Digits, commas, dots, spaces and minus signs (the bulk of polygon data) need no look.
      if (c < Ch.OpenBracket && c !== Ch.Quote) {
        if (stack[depth - 1] === Ch.OpenBracket && ((c >= Ch.Zero && c <= Ch.Nine) || c === Ch.Minus)) {
          // Inside a list of numbers (a polygon, RLE counts): jump with native searches to the next
          // byte that could open or close a value; what lies before it needs no look.
          const stop = Math.min(
            this.nextOf(StopKind.CloseBracket, i),
            this.nextOf(StopKind.OpenBracket, i),
            this.nextOf(StopKind.Quote, i),
            this.nextOf(StopKind.OpenBrace, i),
            this.nextOf(StopKind.CloseBrace, i),
          );
          if (stop >= end) throw needMore;
          i = stop;
          continue;
        }
        i++;
        continue;
      }
      switch (c) {
        case Ch.Quote:
          i = this.skipString(i);
          continue;
        case Ch.OpenBracket:
        case Ch.OpenBrace:
          if (depth === stack.length) throw new CocoFormatError('Values are nested too deeply', this.pathOf(path), this.base + i);
          stack[depth++] = c;
          break;
        case Ch.CloseBracket:
        case Ch.CloseBrace:
          if (stack[depth - 1] !== c - 2) {
            throw new CocoFormatError(`Unexpected "${String.fromCharCode(c)}": brackets do not match`, this.pathOf(path), this.base + i);
          }
          depth--;
          if (depth === 0) return i + 1;
          break;
        default:
          break;
      }
      i++;
    }
    throw needMore;
  }

  /** The offset of the next stop byte of this kind at or after `from` (`end` when there is none). */
  private nextOf(kind: StopKind, from: number): number {
    const known = this.nextStop[kind]!;
    if (known >= from) return known;
    const found = this.buf.indexOf(stopBytes[kind]!, from);
    const next = found < 0 || found >= this.end ? this.end : found;
    this.nextStop[kind] = next;
    return next;
  }

  /** `at` is the opening quote; returns the offset after the closing one. */
  private skipString(at: number): number {
    const buf = this.buf;
    const end = this.end;
    let escaped = false;
    let i = at + 1;
    while (i < end) {
      const c = buf[i]!;
      if (c === Ch.Quote) {
        this.stringHadEscape = escaped;
        return i + 1;
      }
      if (c === Ch.Backslash) {
        escaped = true;
        i++;
      }
      i++;
    }
    throw needMore;
  }

  private skipWsOrNeedMore(): void {
    const buf = this.buf;
    while (this.pos < this.end && isWs(buf[this.pos]!)) this.pos++;
    if (this.pos >= this.end) throw needMore;
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.end) throw needMore;
  }

  private sectionOf(start: number, end: number, escaped: boolean): Section {
    for (const section of listSections) {
      if (bytesEqual(this.buf, start, end, sectionKeys[section])) return section;
    }
    const decoded = escaped ? decodeKey(this.buf, start, end) : null;
    return listSections.find((section) => section === decoded) ?? null;
  }

  private kindAt(at: number): string {
    const c = this.buf[at];
    if (c === Ch.Quote) return 'a string';
    if (c === Ch.OpenBracket) return 'a list';
    if (c === Ch.OpenBrace) return 'an object';
    if (c === 0x74 || c === 0x66) return 'true/false';
    if (c === 0x6e) return 'null';
    const digit = (b: number | undefined): boolean => b !== undefined && b >= Ch.Zero && b <= Ch.Nine;
    if (digit(c) || (c === Ch.Minus && digit(this.buf[at + 1]))) return 'a number';
    return 'not a JSON value';
  }

  private typeError(expected: string, at: number, path: string): CocoFormatError {
    return new CocoFormatError(`This should be ${expected} but is ${this.kindAt(at)}`, this.pathOf(path), this.base + at);
  }

  private syntax(expected: string, path: string): CocoFormatError {
    const c = this.buf[this.pos];
    return new CocoFormatError(
      `The file is not valid JSON: expected ${expected} but found ${c === undefined ? 'the end' : describeByte(c)}`,
      this.pathOf(path),
      this.base + this.pos,
    );
  }
}

/** JSON whitespace. */
export function isWs(c: number): boolean {
  return c === Ch.Space || c === Ch.Lf || c === Ch.Cr || c === Ch.Tab;
}

function isJsonScalar(word: string): boolean {
  return word === 'true' || word === 'false' || word === 'null' || /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(word);
}

function bytesEqual(buf: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[start + k] !== key[k]) return false;
  return true;
}

/** The key's index in the table, or -1. `escaped`: the key has a backslash (known from scanning it). */
function matchKey(buf: Uint8Array, start: number, end: number, escaped: boolean, keys: Uint8Array[], names: readonly string[]): number {
  for (let k = 0; k < keys.length; k++) if (bytesEqual(buf, start, end, keys[k]!)) return k;
  if (!escaped) return -1;
  // A key written with escapes ("file\u005fname") is the same key once decoded.
  const decoded = decodeKey(buf, start, end);
  return decoded === null ? -1 : names.indexOf(decoded);
}

function decodeKey(buf: Uint8Array, start: number, end: number): string | null {
  try {
    return JSON.parse(Buffer.from(buf.subarray(start - 1, end + 1)).toString('utf8')) as string;
  } catch {
    return null;
  }
}

/** Compressed files users download by mistake instead of what is inside them. */
function archiveKind(buf: Uint8Array): string | null {
  if (buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) return 'ZIP';
  if (buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
  if (buf[0] === 0x37 && buf[1] === 0x7a && buf[2] === 0xbc && buf[3] === 0xaf) return '7-Zip';
  return null;
}

/**
 * Text from the file as a message shows it: control characters escaped (a raw line break would
 * split the message), cut to `max` characters with an ellipsis.
 */
function shownText(text: string, max: number): string {
  let shown = '';
  for (const c of text.slice(0, max + 1)) shown += c < ' ' || c === '\u007f' ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c;
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}

function describeByte(c: number): string {
  if (c >= 0x21 && c < 0x7f) return `"${String.fromCharCode(c)}"`;
  return `the byte 0x${c.toString(16).padStart(2, '0')}`;
}

function singular(section: Section): string {
  return section === 'images' ? 'image' : section === 'annotations' ? 'annotation' : section === 'categories' ? 'category' : 'image label';
}
