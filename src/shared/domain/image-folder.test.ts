import { describe, expect, it } from 'vitest';
import { cocoSplitOf, describeImageFiles, isImageFileName, type ImageFilesCheck } from './image-folder';

const folder = (more: Partial<NonNullable<ImageFilesCheck['folder']>> = {}): NonNullable<ImageFilesCheck['folder']> => ({
  exists: true,
  files: 118_287,
  imageFiles: 118_287,
  folderCount: 0,
  folders: [],
  ...more,
});

const check = (more: Partial<ImageFilesCheck> = {}): ImageFilesCheck => ({
  imagesDir: '/data/coco/train2017',
  checked: 30_492,
  missing: 0,
  folder: folder(),
  fileImages: 118_287,
  fileImagesPresent: 118_287,
  ...more,
});

const train = '/data/coco/annotations/instances_train2017.json';

describe('cocoSplitOf', () => {
  it('finds the split and year in annotation file names and folder paths', () => {
    expect(cocoSplitOf('instances_train2017.json')).toEqual({ split: 'train', year: '2017', folder: 'train2017' });
    expect(cocoSplitOf('/data/coco/val2017')).toEqual({ split: 'val', year: '2017', folder: 'val2017' });
    expect(cocoSplitOf('C:\\coco\\images\\Val2014\\')).toEqual({ split: 'val', year: '2014', folder: 'val2014' });
    expect(cocoSplitOf('image_info_test2017.json')).toEqual({ split: 'test', year: '2017', folder: 'test2017' });
  });

  it('finds nothing in other names', () => {
    expect(cocoSplitOf('/data/my-photos')).toBeNull();
    expect(cocoSplitOf('instances.json')).toBeNull();
    expect(cocoSplitOf('retrain20171.json')).toBeNull();
  });
});

describe('isImageFileName', () => {
  it('knows the extensions the decoders read, in any case', () => {
    expect(['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'e.gif', 'f.tif', 'g.TIFF'].every(isImageFileName)).toBe(true);
    expect(['notes.txt', 'instances.json', 'jpg', 'a.jpg.part'].some(isImageFileName)).toBe(false);
  });
});

describe('describeImageFiles', () => {
  it('says all images are there', () => {
    expect(describeImageFiles(check(), train)).toEqual({
      state: 'complete',
      severity: 'success',
      message: 'All 30,492 images of this subset are in /data/coco/train2017.',
    });
  });

  it('counts the missing ones', () => {
    expect(describeImageFiles(check({ missing: 1_234, fileImagesPresent: 100_000 }), train)).toEqual({
      state: 'missing',
      severity: 'warning',
      message: '1,234 of 30,492 images of this subset are missing from /data/coco/train2017.',
    });
  });

  it('says a folder is empty, and which folder the file wants', () => {
    const summary = describeImageFiles(
      check({ imagesDir: '/data/new', missing: 30_492, folder: folder({ files: 0, imageFiles: 0 }), fileImagesPresent: 0 }),
      train,
    );
    expect(summary).toEqual({
      state: 'empty',
      severity: 'warning',
      message:
        '/data/new is empty: none of the 30,492 images of this subset are there. Choose the folder that holds the images (for instances_train2017.json, the train2017 folder).',
    });
    expect(
      describeImageFiles(
        check({ imagesDir: '/x', checked: 1, missing: 1, folder: folder({ files: 0, imageFiles: 0 }), fileImagesPresent: 0 }),
        'labels.json',
      ).message,
    ).toBe('/x is empty: none of the 1 image of this subset are there. Choose the folder that holds the images.');
  });

  it('points into the split folder when the chosen folder holds it (the COCO root chosen instead of train2017)', () => {
    const summary = describeImageFiles(
      check({
        imagesDir: '/data/coco',
        missing: 30_492,
        folder: folder({ files: 0, imageFiles: 0, folderCount: 3, folders: ['annotations', 'train2017', 'val2017'] }),
        fileImagesPresent: 0,
      }),
      train,
    );
    expect(summary.state).toBe('no-images');
    expect(summary.message).toBe(
      '/data/coco holds no images but a train2017 folder: choose /data/coco/train2017, which probably holds the 30,492 images of this subset.',
    );
  });

  it('names what a folder without images holds', () => {
    const summary = describeImageFiles(
      check({
        imagesDir: '/data/stuff',
        missing: 30_492,
        folder: folder({ files: 2, imageFiles: 0, folderCount: 7, folders: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }),
        fileImagesPresent: 0,
      }),
      train,
    );
    expect(summary.message).toBe(
      '/data/stuff holds 2 files and 7 folders (a, b, c, d, e, …) but no images (.jpg, .png, .webp, .gif, .tif): none of the 30,492 images of this subset are there. Choose the folder that holds the images (for instances_train2017.json, the train2017 folder).',
    );
  });

  it("says when the folder holds images but none of the file's, and suggests the other split", () => {
    const val = check({
      imagesDir: '/data/coco/val2017',
      missing: 30_492,
      folder: folder({ files: 5_000, imageFiles: 5_000 }),
      fileImagesPresent: 0,
    });
    expect(describeImageFiles(val, train)).toEqual({
      state: 'wrong-folder',
      severity: 'warning',
      message:
        'None of the 118,287 images of instances_train2017.json are in /data/coco/val2017, though it holds 5,000 image files: it looks like the val2017 folder, and instances_train2017.json describes the train2017 images. Choose the train2017 folder.',
    });
    expect(describeImageFiles({ ...val, imagesDir: '/data/photos' }, train).message).toBe(
      "None of the 118,287 images of instances_train2017.json are in /data/photos, though it holds 5,000 image files: it may be another split's folder (such as val2017), and instances_train2017.json describes the train2017 images. Choose the train2017 folder.",
    );
    expect(
      describeImageFiles({ ...val, imagesDir: '/data/photos', fileImages: 5_000 }, '/data/coco/annotations/instances_val2017.json').message,
    ).toContain("it may be another split's folder (such as train2017), and instances_val2017.json describes the val2017 images");
    expect(describeImageFiles({ ...val, imagesDir: '/data/photos' }, '/data/labels.json').message).toContain(
      'it is probably the folder of another annotation file',
    );
  });

  it('says when the folder is gone, when no folder is set, and when the subset is empty', () => {
    expect(describeImageFiles(check({ folder: folder({ exists: false, files: 0, imageFiles: 0 }) }), train)).toMatchObject({
      state: 'gone',
      severity: 'error',
      message:
        'The images folder /data/coco/train2017 does not exist any more (moved, renamed or on a drive that is not connected). Choose the folder that holds the images (for instances_train2017.json, the train2017 folder).',
    });
    expect(describeImageFiles(check({ imagesDir: null, folder: null }), train).state).toBe('no-folder');
    expect(describeImageFiles(check({ checked: 0 }), train).state).toBe('nothing-to-check');
  });
});
