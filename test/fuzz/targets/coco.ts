/**
 * The COCO import, fed as a user feeds it (DatasetService.ingest into a data folder that already
 * holds a good import) and, for the same file, ingestCocoFile read in small chunks and now and then
 * by two threads. An input must be imported with the counts JSON.parse finds in it, or refused with
 * a sentence that leaves the cache (every row of every table, the list of imported files, the data
 * folder) as it was; and the chunked and two-thread reads must agree with the plain one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCocoFixture, serializeCoco } from '../../fixtures/coco-fixture';
import { openCache, type Db } from '../../../src/main/db/connection';
import { ingestCocoFile } from '../../../src/main/coco/ingest';
import { DatasetService } from '../../../src/main/services/dataset-service';
import { SettingsStore } from '../../../src/main/services/settings-store';
import type { HandlerContext } from '../../../src/shared/contract/define';
import type { IngestResult } from '../../../src/shared/contract/dataset';
import { judgeError } from '../judge';
import { mutateBytesTimes, mutateJson, type Rng } from '../mutate';
import type { Outcome } from '../protocol';
import type { FuzzTarget } from '../target';
import { coco128Annotations } from '../../support/shared-data';

interface Cache {
  dataDir: string;
  db: Db;
}

let seeds: Buffer[] = [];
let inputsDir = '';
/** Imported through the service (its own connection per import; this one reads). */
let plain: Cache & { service: DatasetService };
/** Imported by ingestCocoFile with small chunks, and by two threads. */
let chunked: Cache;

const context = (): HandlerContext => ({ signal: new AbortController().signal, progress: () => undefined });

export const cocoTarget: FuzzTarget = {
  async setup(group, workDir) {
    if (group === 'fixture') {
      const data = buildCocoFixture();
      seeds = [
        Buffer.from(serializeCoco(data)),
        Buffer.from(serializeCoco(data, { categories: 'last', pretty: true })),
        Buffer.from(serializeCoco(buildCocoFixture({ extraImages: 12 }), { categories: 'last' })),
      ];
    } else if (group === 'coco128') {
      seeds = [readFileSync(coco128Annotations)];
    } else {
      throw new Error(`unknown group ${group}`);
    }
    inputsDir = join(workDir, 'inputs');
    mkdirSync(inputsDir, { recursive: true });
    // Each cache already holds a good import, which a refused one must leave alone.
    const good = join(workDir, 'good.json');
    writeFileSync(good, serializeCoco(buildCocoFixture()));
    const plainDir = join(workDir, 'data-plain');
    const db = openCache(plainDir);
    plain = { dataDir: plainDir, db, service: new DatasetService({ dataDir: plainDir, db, settings: new SettingsStore(plainDir) }) };
    await plain.service.ingest({ path: good }, context());
    chunked = { dataDir: join(workDir, 'data-chunked'), db: openCache(join(workDir, 'data-chunked')) };
    await ingestCocoFile(chunked.db, good);
    return { seeds: seeds.length };
  },

  async run(index, rng, announce) {
    const { bytes, description } = makeInput(index, rng);
    const path = join(inputsDir, `${index}.json`);
    writeFileSync(path, bytes);
    announce(description, path);
    const tags: string[] = [];

    const before = await stateOf(plain);
    const first = await attempt(() => plain.service.ingest({ path }, context()));
    const problem = await check(plain, first, before, bytes, tags, index);
    if (problem !== null) return { outcome: { kind: 'failed', problem: `through DatasetService.ingest: ${problem}` }, tags };

    // The same file in chunks of a random size, and sometimes by two threads: the same answer.
    const chunkBytes = Math.max(1, Math.floor(bytes.length / rng.between(2, 64)));
    const threads = rng.chance(1 / 10) ? 2 : 1;
    if (threads === 2) tags.push('read by two threads');
    const beforeChunked = await stateOf(chunked);
    const second = await attempt(() => ingestCocoFile(chunked.db, path, { chunkBytes, parallelFromBytes: threads === 2 ? 0 : Infinity }));
    const secondProblem = await check(chunked, second, beforeChunked, bytes, [], index);
    const how = `ingestCocoFile in chunks of ${chunkBytes} bytes${threads === 2 ? ' by two threads' : ''}`;
    if (secondProblem !== null) return { outcome: { kind: 'failed', problem: `through ${how}: ${secondProblem}` }, tags };
    const disagreement = compare(first, second);
    if (disagreement !== null)
      return { outcome: { kind: 'failed', problem: `${how} disagrees with the plain import: ${disagreement}` }, tags };

    rmSync(path, { force: true });
    return { outcome: first.outcome, tags };
  },
};

function makeInput(index: number, rng: Rng): { bytes: Buffer; description: string } {
  if (index < seeds.length) return { bytes: seeds[index]!, description: `seed ${index}, unmutated` };
  const seedIndex = rng.int(seeds.length);
  const seed = seeds[seedIndex]!;
  const how = rng.weighted([
    ['json', 5],
    ['bytes', 4],
    ['both', 1],
    ['category names', 1],
  ] as const);
  const steps: string[] = [];
  let bytes = seed;
  if (how === 'category names') {
    // What generic mutations seldom make: two categories of one name (an odd one, which a message may quote).
    const data = JSON.parse(seed.toString('utf8')) as { categories: { name: string }[] };
    const name = rng.pick(['dog', '', ' ', 'a\nb', 'tab\there', 'x'.repeat(50_000), '"quoted"', '\u0000', 'ünïcödé 猫']);
    const [i, j] = [rng.int(data.categories.length), rng.int(data.categories.length)];
    data.categories[i]!.name = name;
    data.categories[j]!.name = name;
    return {
      bytes: Buffer.from(JSON.stringify(data)),
      description: `seed ${seedIndex}: categories ${i} and ${j} named ${JSON.stringify(name.slice(0, 20))}`,
    };
  }
  if (how !== 'bytes') {
    const mutated = mutateJson(rng, seed.toString('utf8'), rng.between(1, 3));
    if (mutated !== null) {
      bytes = Buffer.from(mutated.text);
      steps.push(...mutated.steps);
    }
  }
  if (how !== 'json') {
    const mutated = mutateBytesTimes(rng, bytes, rng.between(1, 3), { maxBytes: 16 * 1024 * 1024 });
    bytes = mutated.bytes;
    steps.push(...mutated.steps);
  }
  return { bytes, description: `seed ${seedIndex}: ${steps.join('; ')}` };
}

type Attempt = { outcome: Outcome; result: IngestResult | null };

async function attempt(work: () => Promise<IngestResult>): Promise<Attempt> {
  try {
    return { outcome: { kind: 'accepted' }, result: await work() };
  } catch (error) {
    return { outcome: judgeError(error), result: null };
  }
}

/**
 * Checks one import: an accepted file holds what JSON.parse finds in it (when JSON.parse reads it:
 * the import skips values it does not keep without checking every byte of them), and is then
 * removed again; a refused one changed nothing. Either way the cache must end as it began.
 */
async function check(cache: Cache, got: Attempt, before: State, bytes: Buffer, tags: string[], index: number): Promise<string | null> {
  if (got.outcome.kind === 'failed') return got.outcome.problem;
  if (got.result !== null) {
    const expected = countsByJsonParse(bytes);
    if (expected === null) tags.push('accepted though JSON.parse refuses it');
    else {
      const counts = { images: got.result.images, annotations: got.result.annotations, categories: got.result.categories };
      if (JSON.stringify(counts) !== JSON.stringify(expected)) {
        return `it was imported with ${JSON.stringify(counts)} but JSON.parse finds ${JSON.stringify(expected)}`;
      }
    }
    forget(cache.db, got.result.fileId);
  }
  const after = await stateOf(cache);
  const changed = Object.keys(before).filter((part) => before[part] !== after[part]);
  if (changed.length === 0) return null;
  return got.result === null
    ? `the refused import (${got.outcome.kind === 'rejected' ? got.outcome.message : ''}) changed ${changed.join(', ')}`
    : `removing the accepted import #${index} left ${changed.join(', ')} changed: it wrote outside its own rows`;
}

/** Both reads accepted the file with the same counts, or refused it with the same code and message. */
function compare(a: Attempt, b: Attempt): string | null {
  if (a.outcome.kind !== b.outcome.kind) return `${a.outcome.kind} there, ${b.outcome.kind} here`;
  if (a.result !== null && b.result !== null) {
    const counts = (r: IngestResult): string => `${r.images}/${r.annotations}/${r.categories}`;
    return counts(a.result) === counts(b.result) ? null : `counts ${counts(a.result)} there, ${counts(b.result)} here`;
  }
  if (a.outcome.kind === 'rejected' && b.outcome.kind === 'rejected') {
    if (a.outcome.code !== b.outcome.code || a.outcome.message !== b.outcome.message) {
      return `"${a.outcome.message}" (${a.outcome.code}) there, "${b.outcome.message}" (${b.outcome.code}) here`;
    }
  }
  return null;
}

/** Images, annotations and categories by JSON.parse (the oracle), or null when it cannot read the file as a COCO object with lists. */
function countsByJsonParse(bytes: Buffer): { images: number; annotations: number; categories: number } | null {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object') return null;
  const root = parsed as Record<string, unknown>;
  const { images, annotations, categories } = root;
  if (!Array.isArray(images) || !Array.isArray(annotations) || !Array.isArray(categories)) return null;
  return { images: images.length, annotations: annotations.length, categories: categories.length };
}

/** Removes an accepted import's rows (as a re-import does), so every input starts from the same cache. */
function forget(db: Db, fileId: number): void {
  db.transaction(() => {
    for (const table of ['image_annotations', 'category_images', 'images', 'categories']) {
      db.prepare(`DELETE FROM ${table} WHERE file_id = ?`).run(fileId);
    }
    db.prepare('DELETE FROM annotation_files WHERE id = ?').run(fileId);
  })();
}

type State = Record<string, string>;

/** A digest of every table, the imported files as the service lists them, and the data folder's entries and settings. */
async function stateOf(cache: Cache): Promise<State> {
  const state: State = {};
  const tables = cache.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  for (const table of tables) {
    const rows = (cache.db.prepare(`SELECT * FROM "${table}"`).raw().all() as unknown[][]).map((row) =>
      JSON.stringify(row.map((value) => (value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value))),
    );
    state[`table ${table}`] = digest(rows.sort().join('\n'));
  }
  if ('service' in cache)
    state['the list of imported files'] = digest(JSON.stringify(await (cache as typeof plain).service.files({}, context())));
  const entries = readdirSync(cache.dataDir).filter((name) => !/^cache\.sqlite-(wal|shm)$/.test(name));
  state['the data folder'] = digest(entries.sort().join('\n'));
  const settings = join(cache.dataDir, 'settings.json');
  state['settings.json'] = existsSync(settings) ? digest(readFileSync(settings, 'utf8')) : 'absent';
  return state;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
