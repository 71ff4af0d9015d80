import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * Three JPEGs of one patterned 320×240 picture: a good one, one cut off at 60% of its bytes (libjpeg:
 * "premature end of JPEG image"), and one with every 50th byte of its scan data replaced by a
 * seeded random value (libjpeg: "Corrupt JPEG data"). The header of each is intact.
 */
export async function writeDamagedJpegs(dir: string, source?: Buffer): Promise<{ good: string; truncated: string; corrupt: string }> {
  const width = 320;
  const height = 240;
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + (i >> 8)) & 255;
  const good =
    source ??
    (await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer());
  const scan = good.indexOf(Buffer.from([0xff, 0xda]));
  const corrupt = Buffer.from(good);
  let seed = 1;
  for (let i = scan + 40; i < corrupt.length - 2; i += 50) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    corrupt[i] = seed & 255;
  }
  const paths = { good: join(dir, 'good.jpg'), truncated: join(dir, 'truncated.jpg'), corrupt: join(dir, 'corrupt.jpg') };
  writeFileSync(paths.good, good);
  writeFileSync(paths.truncated, good.subarray(0, Math.floor(good.length * 0.6)));
  writeFileSync(paths.corrupt, corrupt);
  return paths;
}
