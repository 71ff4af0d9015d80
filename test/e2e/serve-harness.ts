import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const mlwBin = join(projectRoot, 'bin', 'mlw.mjs');

/** The real COCO sample beside the project, when this machine has it. */
export const coco128 = {
  annotations: resolve(projectRoot, '../shared/data/coco128/annotations/instances_train2017.json'),
  images: resolve(projectRoot, '../shared/data/coco128/train2017'),
};
export const hasCoco128 = existsSync(coco128.annotations) && existsSync(coco128.images);

export interface ServedApp {
  url: string;
  dataDir: string;
  /** Runs `mlw` against the same data folder and returns its parsed --json output. */
  mlwJson<T>(...args: string[]): T;
  stop(): Promise<void>;
}

/** Starts `mlw serve` on a free port with a data folder of its own, as a user would. */
export async function startServedApp(): Promise<ServedApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mlw-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [mlwBin, 'serve', '--port', '0', '--json', '--cache', dataDir], {
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
