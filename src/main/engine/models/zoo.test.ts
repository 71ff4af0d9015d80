import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backbones, finetuneFits, locateWeights } from './zoo';

const projectRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const mobilenetDir = resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
const hasMobilenet = existsSync(join(mobilenetDir, 'model.json'));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-zoo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finetuneFits', () => {
  it('refuses ResNet-50 at batch 8 on WebAssembly (measured to abort), with why and what to do', () => {
    const fit = finetuneFits('resnet50', 'wasm', 8);
    expect(fit).toMatchObject({ fits: false, largestBatch: 4, limitBytes: 4 * 1024 ** 3 });
    expect(fit.fits === false && fit.message).toBe(
      'Fine-tuning ResNet-50 (224) at a mini-batch of 8 needs about 7.1 GB, but the WebAssembly backend can use at most 4.0 GB and would abort. ' +
        'Use the frozen mode (only the new layer trains, on cached features), a mini-batch of 4 or less, or a native backend (install @tensorflow/tfjs-node, or tfjs-node-gpu with CUDA).',
    );
  });

  it('allows the batch sizes measured to fit and refuses those measured to abort', () => {
    // Measured on the wasm backend: ResNet-50 fits 4 and aborts at 5; MobileNetV2 fits 6 and aborts at 8;
    // MobileNet v1 0.75 fits 12 and aborts at 16.
    expect(finetuneFits('resnet50', 'wasm', 4).fits).toBe(true);
    expect(finetuneFits('resnet50', 'wasm', 5).fits).toBe(false);
    expect(finetuneFits('mobilenet_v2', 'wasm', 6).fits).toBe(true);
    expect(finetuneFits('mobilenet_v2', 'wasm', 8).fits).toBe(false);
    expect(finetuneFits('mobilenet_v1_0.75', 'wasm', 12).fits).toBe(true);
    expect(finetuneFits('mobilenet_v1_0.75', 'wasm', 16).fits).toBe(false);
    expect(finetuneFits('mobilenet_v1_0.75', 'wasm', 32)).toMatchObject({ fits: false, largestBatch: 12 });
  });

  it('never refuses on native backends or the JavaScript CPU backend, which have no 4 GB ceiling', () => {
    for (const backend of ['tensorflow-gpu', 'tensorflow', 'cpu'] as const) {
      for (const id of Object.keys(backbones)) expect(finetuneFits(id, backend, 64)).toEqual({ fits: true });
    }
  });
});

describe('locateWeights', () => {
  it('finds a Layers folder, a folder holding weights.h5, an .h5 file, or nothing', () => {
    const layers = join(dir, 'layers');
    mkdirSync(layers);
    writeFileSync(join(layers, 'model.json'), '{}');
    const h5Folder = join(dir, 'h5');
    mkdirSync(h5Folder);
    writeFileSync(join(h5Folder, 'weights.h5'), '');
    writeFileSync(join(dir, 'resnet50_notop.h5'), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    expect(locateWeights(layers)).toEqual({ format: 'tfjs-layers', path: layers });
    expect(locateWeights(join(layers, 'model.json'))).toEqual({ format: 'tfjs-layers', path: layers });
    expect(locateWeights(h5Folder)).toEqual({ format: 'keras-h5', path: join(h5Folder, 'weights.h5') });
    expect(locateWeights(join(dir, 'resnet50_notop.h5'))).toEqual({ format: 'keras-h5', path: join(dir, 'resnet50_notop.h5') });
    expect(locateWeights(join(dir, 'notes.txt'))).toBeNull();
    expect(locateWeights(join(dir, 'missing'))).toBeNull();
    expect(locateWeights(dir)).toBeNull();
  });
});

describe('pinned digests', () => {
  it('pins md5 only where the publisher does (Keras, ResNet-50 notop) and says who pinned each', () => {
    expect(backbones.resnet50!.digests).toEqual({ pinnedBy: 'publisher', md5: '4d473c1dd8becc155b73f8504c6f6626' });
    expect(backbones.mobilenet_v2!.digests).toEqual({ pinnedBy: 'none' });
    expect(backbones['mobilenet_v1_0.75']!.digests.pinnedBy).toBe('project');
  });

  it.skipIf(!hasMobilenet)(
    hasMobilenet
      ? "pins MobileNet v1 0.75's model.json and every shard, as they are in ../shared/models"
      : 'MobileNet v1 digests: skipped because ../shared/models is absent',
    () => {
      const pinned = backbones['mobilenet_v1_0.75']!.digests.sha256!;
      const files = readdirSync(mobilenetDir).filter((f) => f === 'model.json' || f.startsWith('group'));
      expect(Object.keys(pinned).sort()).toEqual(files.sort());
      for (const file of files) {
        expect(pinned[file], file).toBe(
          createHash('sha256')
            .update(readFileSync(join(mobilenetDir, file)))
            .digest('hex'),
        );
      }
    },
  );
});
