import type { ImageFilesCheck as ContractCheck } from '../contract/dataset';

/**
 * What the check of an images folder means to the user: one sentence on the state of the subset's
 * image files, and where the folder looks wrong, what the right one probably is.
 */

/** File names the workbench reads as images (what sharp and the JPEG decoder open). */
export function isImageFileName(name: string): boolean {
  return /\.(jpe?g|png|webp|gif|tiff?)$/i.test(name);
}

/** A COCO split named in a path ("instances_train2017.json", ".../val2017"): train2017, val2017, test2017. */
export function cocoSplitOf(path: string): { split: 'train' | 'val' | 'test'; year: string; folder: string } | null {
  const name = path.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const match = /(?:^|[^a-z])(train|val|test)(\d{4})(?![0-9])/i.exec(name);
  if (match === null) return null;
  const split = match[1]!.toLowerCase() as 'train' | 'val' | 'test';
  return { split, year: match[2]!, folder: `${split}${match[2]!}` };
}

/** The parts of `dataset.missingImages`' answer (contract/dataset.ts) that the sentence is made of. */
export type ImageFilesCheck = Omit<ContractCheck, 'files' | 'folder'> & {
  folder: Omit<NonNullable<ContractCheck['folder']>, 'listedAt'> | null;
};

export type ImageFilesState = 'no-folder' | 'gone' | 'empty' | 'no-images' | 'wrong-folder' | 'missing' | 'complete' | 'nothing-to-check';

export interface ImageFilesSummary {
  state: ImageFilesState;
  severity: 'success' | 'info' | 'warning' | 'error';
  /** One or two sentences: what is wrong (or right), and what to do. */
  message: string;
}

const count = (n: number): string => n.toLocaleString('en-US');
const images = (n: number): string => `${count(n)} ${n === 1 ? 'image' : 'images'}`;

/** The sentence for a folder check; `annotationPath` names the annotation file in it and hints at its split. */
export function describeImageFiles(check: ImageFilesCheck, annotationPath: string): ImageFilesSummary {
  const dir = check.imagesDir;
  const annotationName = annotationPath.split(/[\\/]/).pop() ?? annotationPath;
  const split = cocoSplitOf(annotationPath);
  const chooseFolder = `Choose the folder that holds the images${split === null ? '' : ` (for ${annotationName}, the ${split.folder} folder)`}.`;
  if (dir === null || check.folder === null) {
    return {
      state: 'no-folder',
      severity: 'info',
      message: 'No images folder is set for this annotation file, so thumbnails cannot be shown. Statistics work without it.',
    };
  }
  const { folder } = check;
  if (!folder.exists) {
    return {
      state: 'gone',
      severity: 'error',
      message: `The images folder ${dir} does not exist any more (moved, renamed or on a drive that is not connected). ${chooseFolder}`,
    };
  }
  if (check.checked === 0) {
    return {
      state: 'nothing-to-check',
      severity: 'info',
      message: 'No image of the file has the selected categories, so there is nothing to check.',
    };
  }
  const noneThere = check.missing === check.checked;
  if (noneThere && folder.imageFiles === 0) {
    const inside = split === null ? undefined : folder.folders.find((name) => name === split.folder);
    if (inside !== undefined) {
      return {
        state: 'no-images',
        severity: 'warning',
        message: `${dir} holds no images but a ${inside} folder: choose ${joinPath(dir, inside)}, which probably holds the ${images(check.checked)} of this subset.`,
      };
    }
    if (folder.files === 0 && folder.folderCount === 0) {
      return {
        state: 'empty',
        severity: 'warning',
        message: `${dir} is empty: none of the ${images(check.checked)} of this subset are there. ${chooseFolder}`,
      };
    }
    const what = [
      folder.files > 0 ? `${count(folder.files)} ${folder.files === 1 ? 'file' : 'files'}` : '',
      folder.folderCount > 0
        ? `${count(folder.folderCount)} ${folder.folderCount === 1 ? 'folder' : 'folders'} (${listNames(folder.folders, folder.folderCount)})`
        : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return {
      state: 'no-images',
      severity: 'warning',
      message: `${dir} holds ${what} but no images (.jpg, .png, .webp, .gif, .tif): none of the ${images(check.checked)} of this subset are there. ${chooseFolder}`,
    };
  }
  if (check.fileImagesPresent === 0 && check.fileImages > 0) {
    return {
      state: 'wrong-folder',
      severity: 'warning',
      message: `None of the ${images(check.fileImages)} of ${annotationName} are in ${dir}, though it holds ${count(folder.imageFiles)} image ${folder.imageFiles === 1 ? 'file' : 'files'}: ${wrongFolderHint(dir, annotationName, split)}`,
    };
  }
  if (check.missing === 0) {
    return { state: 'complete', severity: 'success', message: `All ${images(check.checked)} of this subset are in ${dir}.` };
  }
  return {
    state: 'missing',
    severity: 'warning',
    message: `${count(check.missing)} of ${images(check.checked)} of this subset are missing from ${dir}.`,
  };
}

function listNames(names: readonly string[], total: number): string {
  const shown = names.slice(0, 5).join(', ');
  return total > 5 ? `${shown}, …` : shown;
}

/** Joins with the folder's own separator (the service may run on Windows). */
function joinPath(dir: string, name: string): string {
  const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(separator) ? `${dir}${name}` : `${dir}${separator}${name}`;
}

function wrongFolderHint(dir: string, annotationName: string, split: ReturnType<typeof cocoSplitOf>): string {
  const folderSplit = cocoSplitOf(dir);
  if (split === null) return 'it is probably the folder of another annotation file. Choose the folder that holds these images.';
  if (folderSplit !== null && folderSplit.folder !== split.folder) {
    return `it looks like the ${folderSplit.folder} folder, and ${annotationName} describes the ${split.folder} images. Choose the ${split.folder} folder.`;
  }
  const other = split.split === 'train' ? `val${split.year}` : `train${split.year}`;
  return `it may be another split's folder (such as ${other}), and ${annotationName} describes the ${split.folder} images. Choose the ${split.folder} folder.`;
}
