import { basename } from 'node:path';
import { AppError } from '../../../shared/contract/errors';

// How the decoder words a file it cannot use, apart from the decoder itself so that the services
// (previews, overlays) say the same without loading it.

/** Why a decodable image is damaged: in the app's words, and the decoder's own. */
export interface ImageDamage {
  message: string;
  library: string;
}

/**
 * The refusal of a file that cannot be decoded at all: one sentence in the app's words with the
 * first line of the library's (libvips reports several, with no full stop), all of them in details.
 */
export function unreadableImageError(path: string, library: string): AppError {
  const missing = /no such file|not found|ENOENT|file is missing/i.test(library);
  const reason = (library.trim().split(/\r?\n/)[0] ?? '').replace(/[.:;,\s]+$/, '').slice(0, 200);
  const advice = missing
    ? 'Check that the file is in the images folder.'
    : 'It is damaged or not an image: replace it with a good copy, or remove it from the folder.';
  return new AppError(missing ? 'NOT_FOUND' : 'INVALID_INPUT', `${path} cannot be read as an image (${reason}). ${advice}`, {
    path,
    library,
  });
}

/** The refusal of a damaged image: the app's sentence, the decoder's words in details. */
export function damagedImageError(path: string, damage: ImageDamage): AppError {
  return new AppError('INVALID_INPUT', damage.message, { path, damaged: true, library: damage.library });
}

/**
 * The app's sentence for what libjpeg (through libvips) warned of. A JPEG that ends early shows
 * grey where its data stops; corrupt data shows as smears or shifted colours. `endsEarly` is what
 * the file's own bytes say (see jpegEndsEarly); it decides over the library's words, which say
 * "Corrupt JPEG data: premature end of data segment" for some cut files and may be missing.
 */
export function describeDamage(path: string, library: string, facts: { endsEarly?: boolean } = {}): ImageDamage {
  const name = basename(path);
  const what =
    facts.endsEarly === true
      ? 'the file ends early (it was probably cut short while being copied or downloaded), so the bottom of the picture is missing'
      : /corrupt|huffman|extraneous|invalid|bad|marker/i.test(library)
        ? 'part of its compressed data is corrupt, so some of the picture is wrong'
        : /premature end|truncat/i.test(library)
          ? 'the file ends early (it was probably cut short while being copied or downloaded), so the bottom of the picture is missing'
          : 'its decoder found errors in it, so the picture may be wrong';
  return { message: `${name} is damaged: ${what}. Replace it with a good copy, or leave it out.`, library };
}
