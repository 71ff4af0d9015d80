import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { referenceExampleCategories } from '../../src/shared/domain/presets';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const mlwBin = join(projectRoot, 'bin', 'mlw.mjs');

/** The real COCO sample beside the project, when this machine has it. */
export const coco128 = {
  annotations: resolve(projectRoot, '../shared/data/coco128/annotations/instances_train2017.json'),
  images: resolve(projectRoot, '../shared/data/coco128/train2017'),
};
export const hasCoco128 = existsSync(coco128.annotations) && existsSync(coco128.images);

/** The real ImageNet MobileNet beside the project, when this machine has it. */
export const mobilenet = resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
export const hasModel = existsSync(join(mobilenet, 'model.json'));

export interface ServedApp {
  url: string;
  dataDir: string;
  /** Runs `mlw` against the same data folder and returns its parsed --json output. */
  mlwJson<T>(...args: string[]): T;
  stop(): Promise<void>;
}

/**
 * The folders the served app may use: the tests' scratch folders (in the system's temporary folder)
 * and the shared data beside the project, as a deployment names its own with --root.
 */
const servedRoots = [tmpdir(), resolve(projectRoot, '../shared')];

/**
 * Starts `mlw serve` on a free port with a data folder of its own, as a user would; `prepare` may
 * put files in the data folder first (a damaged settings file, say); `roots` are folders it may use
 * besides the usual ones (the benchmarks' generated files, say).
 */
export async function startServedApp(options: { prepare?: (dataDir: string) => void; roots?: readonly string[] } = {}): Promise<ServedApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mlw-e2e-'));
  options.prepare?.(dataDir);
  const roots = [...servedRoots, ...(options.roots ?? [])].flatMap((root) => ['--root', root]);
  const child: ChildProcess = spawn(process.execPath, [mlwBin, 'serve', '--port', '0', '--json', '--cache', dataDir, ...roots], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolveUrl((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`mlw serve printed an unexpected line: ${line}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`mlw serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    dataDir,
    mlwJson<T>(...args: string[]): T {
      const result = spawnSync(process.execPath, [mlwBin, ...args, '--json', '--cache', dataDir], { cwd: projectRoot, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`mlw ${args.join(' ')} failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Trains a frozen-backbone run on coco128 with the 12 reference categories and the real MobileNet,
 * through `mlw train` on the app's data folder, and returns its id. At 30 epochs the new layer fits
 * these 35 images perfectly; 8 leaves some mistakes to look at (and trains in seconds).
 */
export function trainCoco128Run(app: ServedApp, epochs = 8): string {
  return app.mlwJson<{ runId: string }>(
    'train',
    '--train-annotations',
    coco128.annotations,
    '--train-images',
    coco128.images,
    '--val-annotations',
    coco128.annotations,
    '--val-images',
    coco128.images,
    '--categories',
    referenceExampleCategories.join(','),
    '--weights',
    mobilenet,
    '--mode',
    'frozen',
    '--views',
    '0',
    '--epochs',
    String(epochs),
  ).runId;
}
