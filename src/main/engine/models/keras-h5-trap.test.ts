import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKerasWeightsFile } from './architectures/keras-weights-fixture';
import { readKerasWeights } from './keras-h5';

// A file of its own: it breaks the HDF5 instance that this file's modules share (vitest gives each
// test file its own modules), which the writer of keras-weights-fixture.ts uses too.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-keras-h5-trap-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readKerasWeights after the HDF5 library traps', () => {
  // Found by the fuzz suite (test/fuzz/keras-h5.fuzz.test.ts): after some thousands of damaged files
  // the library aborted, and from then on every file, good ones included, was "damaged".
  it('reads a good file in a new HDF5 instance when the one in use has trapped', async () => {
    const path = join(dir, 'good.h5');
    await writeKerasWeightsFile(path, [{ name: 'fc', weights: [{ name: 'fc/bias:0', shape: [3], values: Float32Array.of(1, 2, 3) }] }]);
    expect([...(await readKerasWeights(path)).layers.keys()]).toEqual(['fc']);
    // Wreck the memory of the instance in use, as a damaged file's parse can: the library traps on its next call.
    const { Module } = (await import('h5wasm/node')) as unknown as { Module: { HEAPU8: Uint8Array } };
    Module.HEAPU8.fill(0xff);
    const weights = await readKerasWeights(path);
    expect([...weights.layers.get('fc')![0]!.values]).toEqual([1, 2, 3]);
  });
});
