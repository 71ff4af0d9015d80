/**
 * `npm run bench:ingest`: our COCO ingest against pycocotools-style loading, on a synthetic file at
 * the full train2017 scale (see generate-coco.ts).
 *
 * Targets: ours/Python time <= 0.1, our peak RSS <= 300 MiB, the 12-category subset statistics
 * query < 200 ms in a freshly started process. Exits 1 when a target fails, 2 when the bench itself
 * cannot run. See bench/README.md.
 *
 * `--quick` runs only the quick guard's measurement instead (ingest-quick.ts): a ~40 MB file of the
 * same shape, Python-spaced and compact, against JSON.parse in the same process; under a minute.
 *
 * `--compact` measures the same records written without spaces after "," and ":" (as JSON.stringify
 * writes them) instead of Python's json.dump separators.
 *
 *   npx tsx bench/ingest.bench.ts [--json] [--profile] [--regenerate] [--no-python] [--quick] [--compact]
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { benchDataDir, ensureSyntheticCoco, fullShape, type SyntheticMeta } from './generate-coco';
import type { IngestFigures, PhaseFigures, StatsFigures } from './ingest-child';
import { measureQuickIngest, quickIngestMaxRatio } from './ingest-quick';

const targets = { ratio: 0.1, rssMB: 300, statsMs: 200 } as const;

const benchDir = dirname(fileURLToPath(import.meta.url));
const projectDir = resolve(benchDir, '..');
const childBundle = join(benchDataDir, 'build', 'ingest-child.mjs');

interface Options {
  json: boolean;
  profile: boolean;
  regenerate: boolean;
  python: boolean;
  quick: boolean;
  compact: boolean;
}

interface PythonFigures {
  load_seconds: number;
  index_seconds: number;
  total_seconds: number;
  cpu_seconds: number;
  peak_rss_mb: number;
  images: number;
  annotations: number;
  categories: number;
  python: string;
}

type Verdict = 'PASS' | 'FAIL' | 'SKIP';

interface TargetResult {
  name: string;
  value: number | null;
  limit: string;
  result: Verdict;
}

interface ProfileFigures {
  phases: PhaseFigures;
  cpuProfile: string;
  topSelfTime: { function: string; source: string; ms: number; percent: number }[];
}

function parseOptions(argv: readonly string[]): Options {
  const known = new Set(['--json', '--profile', '--regenerate', '--no-python', '--quick', '--compact']);
  for (const arg of argv) {
    if (!known.has(arg)) throw new Error(`Unknown option ${arg}. Options: ${[...known].join(', ')}`);
  }
  return {
    json: argv.includes('--json'),
    profile: argv.includes('--profile'),
    regenerate: argv.includes('--regenerate'),
    python: !argv.includes('--no-python'),
    quick: argv.includes('--quick'),
    compact: argv.includes('--compact'),
  };
}

function note(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** Runs a command whose last stdout line is a JSON result; its stderr passes through. */
function runJson<T>(command: string, args: readonly string[], label: string): Promise<{ value: T; processSeconds: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: projectDir, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (data: string) => (out += data));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const processSeconds = round((performance.now() - started) / 1000, 3);
      if (code !== 0) return reject(new Error(`${label} failed (${signal ?? `exit code ${String(code)}`})`));
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolvePromise({ value: JSON.parse(line) as T, processSeconds });
      } catch {
        reject(new Error(`${label} printed no JSON result: ${out.slice(-500)}`));
      }
    });
  });
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Reads the file once so that both contenders find it in the page cache, whichever runs first. */
function warmPageCache(path: string): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

function pythonVersion(): { ok: true; version: string } | { ok: false; reason: string } {
  const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: code === 'ENOENT' ? 'python3 is not installed or not on PATH' : `python3 cannot be run (${probe.error.message})`,
    };
  }
  if (probe.status !== 0) return { ok: false, reason: `python3 --version exited with ${String(probe.status)}` };
  return { ok: true, version: `${probe.stdout}${probe.stderr}`.trim() };
}

/** Bundles the child so it runs on plain Node: no TypeScript loader in the process whose RSS we measure. */
async function bundleChild(): Promise<void> {
  mkdirSync(dirname(childBundle), { recursive: true });
  await build({
    entryPoints: {
      'ingest-child': join(benchDir, 'ingest-child.ts'),
      // The import's second reader thread, started from a file beside the bundle (see tail-parse.ts).
      'tail-parse-worker': join(projectDir, 'src/main/coco/tail-parse.worker.ts'),
    },
    outdir: dirname(childBundle),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Native addon: loaded from node_modules at run time, as in the app.
    external: ['better-sqlite3'],
    logLevel: 'warning',
  });
}

function freshDir(name: string): string {
  const dir = join(benchDataDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function profile(file: string): Promise<ProfileFigures> {
  note('profile: timing read / hash / parse without SQLite');
  const phases = (await runJson<PhaseFigures>(process.execPath, [childBundle, 'phases', file], 'phase timing')).value;
  note('profile: ingest under --cpu-prof');
  const profileDir = freshDir('profile');
  const cache = freshDir('cache-profile');
  await runJson<IngestFigures>(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, childBundle, 'ingest', cache, file],
    'profiled ingest',
  );
  const name = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (name === undefined) throw new Error(`No .cpuprofile was written to ${profileDir}`);
  const cpuProfile = join(profileDir, name);
  return { phases, cpuProfile: relative(projectDir, cpuProfile), topSelfTime: summariseProfile(cpuProfile, 15) };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function, with bundle lines mapped back to their source module via esbuild's `// path` markers. */
function summariseProfile(path: string, top: number): ProfileFigures['topSelfTime'] {
  const profileData = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const modules: { line: number; source: string }[] = [];
  readFileSync(childBundle, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const m = /^\/\/ ((?:src|bench|node_modules)\/\S+)$/.exec(text);
      if (m?.[1] !== undefined) modules.push({ line, source: m[1] });
    });
  const sourceOf = (url: string, line: number): string => {
    if (!url.endsWith(basename(childBundle))) return url === '' ? '(native)' : basename(url);
    let found = '(bundle)';
    for (const m of modules) {
      if (m.line > line) break;
      found = m.source;
    }
    return found;
  };
  const byNode = new Map(profileData.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<string, { fn: string; source: string; micros: number }>();
  let total = 0;
  // timeDeltas[i + 1] is the time spent in the frame sampled at i.
  for (let i = 0; i < profileData.samples.length; i++) {
    const node = byNode.get(profileData.samples[i]!);
    const micros = profileData.timeDeltas[i + 1] ?? 0;
    if (node === undefined) continue;
    total += micros;
    const fn = node.callFrame.functionName || '(anonymous)';
    const source = sourceOf(node.callFrame.url, node.callFrame.lineNumber);
    const key = `${fn}\u0000${source}`;
    const entry = selfMicros.get(key) ?? { fn, source, micros: 0 };
    entry.micros += micros;
    selfMicros.set(key, entry);
  }
  return [...selfMicros.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, top)
    .map((e) => ({
      function: e.fn,
      source: e.source,
      ms: Math.round(e.micros / 1000),
      percent: round((100 * e.micros) / Math.max(1, total), 1),
    }));
}

function verdict(ok: boolean): Verdict {
  return ok ? 'PASS' : 'FAIL';
}

function table(rows: readonly (readonly [string, string, string, string])[]): string {
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

function describeFile(path: string, meta: SyntheticMeta): string {
  return `${relative(projectDir, path)} (${(meta.bytes / 2 ** 20).toFixed(1)} MiB, ${meta.images.toLocaleString('en-US')} images, ${meta.annotations.toLocaleString('en-US')} annotations, ${meta.categories} categories)`;
}

/** The quick guard's figures (see ingest-quick.ts); 1 when a ratio is over the limit. */
async function quick(json: boolean): Promise<number> {
  const rows = [];
  for (const separators of ['python', 'compact'] as const) {
    const f = await measureQuickIngest(separators, { log: note });
    rows.push({ separators, ...f, limit: quickIngestMaxRatio, pass: f.ratio <= quickIngestMaxRatio });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
  } else {
    for (const r of rows) {
      process.stdout.write(
        `quick ingest (${r.separators}, ${(r.bytes / 2 ** 20).toFixed(1)} MiB): ours ${r.oursSeconds.toFixed(3)} s, ` +
          `JSON.parse ${r.jsonParseSeconds.toFixed(3)} s, ratio ${r.ratio.toFixed(2)} (limit ${r.limit}) ${r.pass ? 'PASS' : 'FAIL'}\n`,
      );
    }
  }
  return rows.every((r) => r.pass) ? 0 : 1;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.quick) return quick(options.json);
  // Other work on the machine inflates wall times: the report shows the load next to the figures.
  const loadBefore = loadavg()[0] ?? 0;
  const {
    path: file,
    meta,
    generated,
  } = ensureSyntheticCoco({
    shape: options.compact ? { ...fullShape, separators: 'compact' } : fullShape,
    force: options.regenerate,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  note(`${generated ? 'generated' : 'using'} ${describeFile(file, meta)}`);
  warmPageCache(file);

  let python: (PythonFigures & { processSeconds: number }) | null = null;
  let pythonSkipped: string | null = null;
  const probe = options.python ? pythonVersion() : ({ ok: false, reason: '--no-python was given' } as const);
  if (probe.ok) {
    note(`reference: ${probe.version}, json.load + pycocotools createIndex (this is the slow part)`);
    const run = await runJson<PythonFigures>('python3', [join(benchDir, 'ingest-reference.py'), file], 'Python reference');
    python = { ...run.value, processSeconds: run.processSeconds };
  } else {
    pythonSkipped = probe.reason;
    note(`${probe.reason}: skipping the Python reference and the ours/Python ratio`);
  }

  await bundleChild();
  note('ours: ingest into a fresh cache in a fresh Node process');
  const cacheDir = freshDir('cache');
  const ingestRun = await runJson<IngestFigures>(process.execPath, [childBundle, 'ingest', cacheDir, file], 'our ingest');
  const ingest = { ...ingestRun.value, processSeconds: ingestRun.processSeconds };
  note('ours: subset statistics for the 12 reference categories, in another fresh process');
  const statsRun = await runJson<StatsFigures>(process.execPath, [childBundle, 'stats', cacheDir, String(ingest.fileId)], 'stats query');
  const stats = { ...statsRun.value, processSeconds: statsRun.processSeconds };
  const profiled = options.profile ? await profile(file) : null;

  const ratio = python === null ? null : round(ingest.seconds / python.total_seconds, 3);
  const cpuRatio = python === null ? null : round((ingest.userCpuSeconds + ingest.systemCpuSeconds) / python.cpu_seconds, 3);
  const loadAfter = loadavg()[0] ?? 0;
  const countsMatch =
    ingest.images === meta.images &&
    ingest.annotations === meta.annotations &&
    ingest.categories === meta.categories &&
    (python === null ||
      (python.images === meta.images && python.annotations === meta.annotations && python.categories === meta.categories));
  const results: TargetResult[] = [
    {
      name: 'ratio ours/python',
      value: ratio,
      limit: `<= ${targets.ratio}`,
      result: ratio === null ? 'SKIP' : verdict(ratio <= targets.ratio),
    },
    { name: 'our peak RSS MiB', value: ingest.maxRssMB, limit: `<= ${targets.rssMB}`, result: verdict(ingest.maxRssMB <= targets.rssMB) },
    { name: 'stats query ms', value: stats.queryMs, limit: `< ${targets.statsMs}`, result: verdict(stats.queryMs < targets.statsMs) },
    { name: 'record counts match the file', value: null, limit: 'equal', result: verdict(countsMatch) },
  ];
  const pass = results.every((r) => r.result !== 'FAIL');

  const s = (v: number): string => `${v.toFixed(2)} s`;
  const rows: [string, string, string, string][] = [['measure', 'value', 'target', 'result']];
  if (python !== null) {
    rows.push(['Python json.load + createIndex', s(python.total_seconds), '', '']);
    rows.push(['  load / index', `${s(python.load_seconds)} / ${s(python.index_seconds)}`, '', '']);
    rows.push(['  Python process CPU (user+sys)', s(python.cpu_seconds), '', '']);
    rows.push(['  Python peak RSS', `${python.peak_rss_mb.toFixed(0)} MiB`, '', '']);
  } else {
    rows.push(['Python reference', `skipped: ${pythonSkipped ?? ''}`, '', '']);
  }
  rows.push(['our ingest (ingestCocoFile, fresh cache)', s(ingest.seconds), '', '']);
  if (ingest.streamingSeconds !== null && ingest.finishSeconds !== null) {
    rows.push(['  read+parse+insert / finish+commit', `${s(ingest.streamingSeconds)} / ${s(ingest.finishSeconds)}`, '', '']);
  }
  rows.push(['  whole process (spawn to exit)', s(ingest.processSeconds), '', '']);
  rows.push(['  process CPU (user+sys)', s(ingest.userCpuSeconds + ingest.systemCpuSeconds), '', '']);
  rows.push(['ratio ours / Python', ratio === null ? 'n/a' : ratio.toFixed(3), `<= ${targets.ratio}`, results[0]!.result]);
  if (cpuRatio !== null) rows.push(['  CPU-time ratio (informational)', cpuRatio.toFixed(3), '', '']);
  rows.push(['our peak RSS (ingest process)', `${ingest.maxRssMB.toFixed(0)} MiB`, `<= ${targets.rssMB} MiB`, results[1]!.result]);
  rows.push(['subsetStats, 12 categories, 1st call', `${stats.queryMs.toFixed(1)} ms`, `< ${targets.statsMs} ms`, results[2]!.result]);
  rows.push(['  repeat call / openCache', `${stats.repeatMs.toFixed(1)} ms / ${stats.openCacheMs.toFixed(1)} ms`, '', '']);
  rows.push(['  whole process (spawn to exit)', s(stats.processSeconds), '', '']);
  rows.push([
    'record counts (images/annotations/categories)',
    `${ingest.images}/${ingest.annotations}/${ingest.categories}`,
    'match file',
    results[3]!.result,
  ]);

  const lines = [
    `Ingest benchmark: ${describeFile(file, meta)}`,
    `Node ${process.version}, ${cpus().length} CPU(s): ${cpus()[0]?.model ?? 'unknown'}; 1-min load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
    ...(Math.max(loadBefore, loadAfter) > cpus().length
      ? ['Warning: the machine was busy with other work (load above the CPU count); wall times are inflated and noisy.']
      : []),
    '',
    table(rows),
  ];
  if (profiled !== null) {
    const p = profiled.phases;
    lines.push('', 'Profile (separate runs, page cache warm):');
    lines.push(`  read only ${s(p.readSeconds)}, read + sha256 ${s(p.readHashSeconds)}, read + parse (no SQLite) ${s(p.readParseSeconds)}`);
    lines.push(`  top self time in the ingest process (${profiled.cpuProfile}):`);
    for (const f of profiled.topSelfTime)
      lines.push(`    ${String(f.ms).padStart(6)} ms ${f.percent.toFixed(1).padStart(5)}%  ${f.function}  (${f.source})`);
  }
  const names = (verdictWanted: Verdict): string =>
    results
      .filter((r) => r.result === verdictWanted)
      .map((r) => r.name)
      .join(', ');
  const skipped = names('SKIP');
  lines.push('', pass ? `All ${skipped ? 'checked ' : ''}targets met.` : `FAILED: ${names('FAIL')}`);
  if (skipped) lines.push(`Skipped: ${skipped} (${pythonSkipped ?? 'no reference'}).`);
  const report = `${lines.join('\n')}\n`;

  if (options.json) {
    process.stderr.write(report);
    const figures = {
      file: { path: relative(projectDir, file), ...meta },
      node: process.version,
      cpus: cpus().length,
      python: python ?? { skipped: pythonSkipped },
      load: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
      ingest,
      stats,
      ratio,
      cpuRatio,
      targets: results,
      profile: profiled,
      pass,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } else {
    process.stdout.write(report);
  }
  return pass ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
