import { describe, expect, it } from 'vitest';
import { imagesPerSecondWords, notInUseWords } from './engine-status-words';

describe('engine status wording', () => {
  it('says a cause shared by both native packages once, naming both', () => {
    // The sentence `missingNativeBinding` writes for each package when its libtensorflow download failed.
    const missing = (pkg: string): string =>
      `${pkg} is installed without its native library (tfjs_binding.node is missing; its libtensorflow download failed at install time): reinstall it with internet access.`;
    expect(
      notInUseWords([
        { name: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu', reason: missing('@tensorflow/tfjs-node-gpu') },
        { name: 'tensorflow', package: '@tensorflow/tfjs-node', reason: missing('@tensorflow/tfjs-node') },
        { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', reason: null },
      ]),
    ).toBe(
      'Not in use: @tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node are installed without their native library (tfjs_binding.node is missing; their libtensorflow download failed at install time): reinstall them with internet access.',
    );
  });

  it('keeps different causes apart and leaves out the available ones', () => {
    expect(
      notInUseWords([
        { name: 'tensorflow-gpu', package: 'a', reason: 'a failed: x.' },
        { name: 'tensorflow', package: 'b', reason: 'b is not installed.' },
      ]),
    ).toBe('Not in use: a failed: x. b is not installed.');
    expect(notInUseWords([{ name: 'wasm', package: '', reason: 'Available, but slower.' }])).toBeNull();
  });

  it('says "1 image per second", and plural otherwise', () => {
    expect(imagesPerSecondWords(1)).toBe('1 image per second');
    expect(imagesPerSecondWords(0.98)).toBe('1 image per second');
    expect(imagesPerSecondWords(2.5)).toBe('2.5 images per second');
    expect(imagesPerSecondWords(0.4)).toBe('0.4 images per second');
    expect(imagesPerSecondWords(37.4)).toBe('37 images per second');
  });
});
