import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainNativeFailure, missingNativeBinding } from './backend';

const root = mkdtempSync(join(tmpdir(), 'mlw-backend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fake installed package folder, as npm leaves it with or without the downloaded binding. */
function fakePackage(name: string, withBinding: boolean, modulePath = './lib/napi-v{napi_build_version}'): (request: string) => string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'lib', 'napi-v8'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: '@tensorflow/tfjs-node',
      binary: { module_name: 'tfjs_binding', module_path: modulePath },
    }),
  );
  if (withBinding) writeFileSync(join(dir, 'lib', 'napi-v8', 'tfjs_binding.node'), '');
  return (request) => {
    if (request !== '@tensorflow/tfjs-node/package.json') throw new Error(`Cannot find module '${request}'`);
    return join(dir, 'package.json');
  };
}

describe('native backend checks', () => {
  it('does not load a native package whose binding was never downloaded, and says why', () => {
    const reason = missingNativeBinding('@tensorflow/tfjs-node', fakePackage('broken', false));
    expect(reason).toMatch(/installed without its native library \(tfjs_binding\.node is missing/);
    expect(reason).toContain('reinstall it with internet access');
  });

  it('lets a package with its binding load', () => {
    expect(missingNativeBinding('@tensorflow/tfjs-node', fakePackage('complete', true))).toBeNull();
    expect(missingNativeBinding('@tensorflow/tfjs-node', fakePackage('slash', true, './lib/napi-v{napi_build_version}/'))).toBeNull();
  });

  it('leaves a package that is not installed to the loader, which says it is not installed', () => {
    const notInstalled = (request: string): string => {
      throw new Error(`Cannot find module '${request}'`);
    };
    expect(missingNativeBinding('@tensorflow/tfjs-node', notInstalled)).toBeNull();
    expect(explainNativeFailure('@tensorflow/tfjs-node', new Error("Cannot find module '@tensorflow/tfjs-node'"))).toMatch(
      /is not installed/,
    );
  });

  it('explains missing CUDA libraries in one sentence', () => {
    const reason = explainNativeFailure(
      '@tensorflow/tfjs-node-gpu',
      new Error('libcudart.so.11.0: cannot open shared object file\n  at …'),
    );
    expect(reason).toBe(
      '@tensorflow/tfjs-node-gpu is installed but the CUDA libraries did not load (libcudart.so.11.0: cannot open shared object file).',
    );
  });
});
