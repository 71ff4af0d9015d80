/**
 * Seeded mutators for the fuzz suite (see docs/fuzzing.md): byte-level ones for any file, and
 * JSON-level ones that keep the text JSON-shaped while breaking what a reader expects of it
 * (values nested deeper, wrong types, huge numbers, missing keys, keys and list elements twice).
 * Every choice comes from the `Rng` given, so an input is rebuilt exactly from its seed and index.
 */
import { SeededRandom } from '../../src/main/engine/training/seeded-random';

/** Numbers in [0, 1) from a seeded generator, with the draws the mutators need. */
export class Rng {
  private readonly generator: SeededRandom;

  constructor(seed: number) {
    this.generator = new SeededRandom(seed);
  }

  next(): number {
    return this.generator.next();
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A whole number in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick: nothing to pick from');
    return items[this.int(items.length)]!;
  }

  /** One of `items`, each with its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let at = this.next() * total;
    for (const [item, w] of items) {
      at -= w;
      if (at < 0) return item;
    }
    return items.at(-1)![0];
  }
}

/** The seed of input `index` of a suite: the same (seed, salt, index) always gives the same input. */
export function inputSeed(seed: number, salt: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const c of `${salt}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

// ---- bytes ------------------------------------------------------------------------------------

/** Bytes a parser gives meaning to: JSON structure, and the values binary headers hold most. */
const interestingBytes = [0x00, 0xff, 0x7f, 0x80, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x39, 0x2d, 0x65, 0x0a, 0x20];

export type ByteMutation = 'flip' | 'interesting' | 'truncate' | 'duplicate' | 'delete' | 'insert' | 'repeat' | 'overwrite';

export interface Mutated {
  bytes: Buffer;
  /** What was done, to be printed with a failure. */
  steps: string[];
}

/**
 * Applies one byte-level mutation. `region` limits where it lands (a header, say); by default the
 * whole input. Never returns an input longer than `maxBytes`.
 */
export function mutateBytes(
  rng: Rng,
  input: Buffer,
  options: { region?: [number, number]; maxBytes?: number; kinds?: readonly ByteMutation[] } = {},
): Mutated {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const [from, to] = options.region ?? [0, input.length];
  const lo = Math.max(0, Math.min(from, input.length));
  const hi = Math.max(lo, Math.min(to, input.length));
  const at = (): number => (hi > lo ? rng.between(lo, hi - 1) : lo);
  const kinds: readonly ByteMutation[] = options.kinds ?? [
    'flip',
    'interesting',
    'truncate',
    'duplicate',
    'delete',
    'insert',
    'repeat',
    'overwrite',
  ];
  const kind = input.length === 0 ? 'insert' : rng.pick(kinds);
  const rangeLength = (): number =>
    rng.weighted([
      [rng.between(1, 8), 4],
      [rng.between(1, 256), 3],
      [rng.between(1, Math.max(1, input.length)), 1],
    ]);
  switch (kind) {
    case 'flip': {
      const out = Buffer.from(input);
      const count = rng.between(1, 16);
      const places: number[] = [];
      for (let k = 0; k < count; k++) {
        const i = at();
        out[i] = out[i]! ^ (1 << rng.int(8));
        places.push(i);
      }
      return { bytes: out, steps: [`flip a bit at ${places.join(', ')}`] };
    }
    case 'interesting': {
      const out = Buffer.from(input);
      const count = rng.between(1, 4);
      const places: string[] = [];
      for (let k = 0; k < count; k++) {
        const i = at();
        const value = rng.pick(interestingBytes);
        out[i] = value;
        places.push(`${i}=0x${value.toString(16)}`);
      }
      return { bytes: out, steps: [`set bytes ${places.join(', ')}`] };
    }
    case 'truncate': {
      const end = at();
      return { bytes: input.subarray(0, end), steps: [`truncate to ${end} bytes`] };
    }
    case 'duplicate': {
      const start = at();
      const length = Math.min(rangeLength(), input.length - start, maxBytes - input.length);
      const where = rng.between(0, input.length);
      const copy = input.subarray(start, start + Math.max(0, length));
      return {
        bytes: Buffer.concat([input.subarray(0, where), copy, input.subarray(where)]),
        steps: [`copy bytes ${start}..${start + copy.length} to ${where}`],
      };
    }
    case 'delete': {
      const start = at();
      const length = Math.min(rangeLength(), input.length - start);
      return {
        bytes: Buffer.concat([input.subarray(0, start), input.subarray(start + length)]),
        steps: [`delete bytes ${start}..${start + length}`],
      };
    }
    case 'insert': {
      const where = input.length === 0 ? 0 : at();
      const length = Math.min(rng.between(1, 64), maxBytes - input.length);
      const inserted = Buffer.alloc(Math.max(0, length));
      for (let k = 0; k < inserted.length; k++) inserted[k] = rng.chance(0.5) ? rng.pick(interestingBytes) : rng.int(256);
      return {
        bytes: Buffer.concat([input.subarray(0, where), inserted, input.subarray(where)]),
        steps: [`insert ${inserted.length} bytes at ${where}`],
      };
    }
    case 'repeat': {
      const start = at();
      const length = Math.min(rng.between(1, 64), input.length - start);
      const times = rng.pick([2, 10, 1000, 20000]);
      const piece = input.subarray(start, start + length);
      const repeated = Buffer.alloc(Math.min(piece.length * times, Math.max(0, maxBytes - input.length)));
      for (let k = 0; k < repeated.length; k += piece.length) piece.copy(repeated, k);
      return {
        bytes: Buffer.concat([input.subarray(0, start), repeated, input.subarray(start)]),
        steps: [`repeat bytes ${start}..${start + length} ${times} times`],
      };
    }
    case 'overwrite': {
      const source = rng.int(input.length);
      const target = at();
      const length = Math.min(rangeLength(), input.length - source, input.length - target);
      const out = Buffer.from(input);
      input.copy(out, target, source, source + length);
      return { bytes: out, steps: [`overwrite bytes ${target}..${target + length} with ${source}..${source + length}`] };
    }
  }
}

/** `count` byte-level mutations, one after the other. */
export function mutateBytesTimes(rng: Rng, input: Buffer, count: number, options: Parameters<typeof mutateBytes>[2] = {}): Mutated {
  let bytes = input;
  const steps: string[] = [];
  for (let k = 0; k < count; k++) {
    const next = mutateBytes(rng, bytes, options);
    bytes = next.bytes;
    steps.push(...next.steps);
  }
  return { bytes, steps };
}

// ---- JSON -------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type JsonMutation =
  | 'nest'
  | 'nestVeryDeep'
  | 'wrongType'
  | 'hugeNumber'
  | 'removeKey'
  | 'duplicateKey'
  | 'duplicateElement'
  | 'doubleList'
  | 'emptyContainer'
  | 'oddString'
  | 'swap'
  | 'renameKey';

const allJsonMutations: readonly JsonMutation[] = [
  'nest',
  'nestVeryDeep',
  'wrongType',
  'hugeNumber',
  'removeKey',
  'duplicateKey',
  'duplicateElement',
  'doubleList',
  'emptyContainer',
  'oddString',
  'swap',
  'renameKey',
];

/** Numbers JSON can spell but a double cannot hold, or only just. */
const hugeNumbers = [
  '1e400',
  '-1e400',
  '1e308',
  '1.7976931348623157e308',
  '123456789012345678901234567890',
  '-0',
  '4294967296',
  '4294967295',
  '9007199254740993',
  '2097152',
  '16777216',
  '1e-400',
  '0.000000000000000000000000001',
  '1E+2',
  '-1',
  '0.5',
];

/** Strings a reader might mishandle: empty, huge, escaped, control characters, lone surrogates, other scripts. */
const oddStrings = [
  '""',
  `"${'x'.repeat(100_000)}"`,
  '"\\u0000"',
  '"\\ud800"',
  '"a\\"b\\\\c"',
  '"\\n\\t\\r"',
  '"ünïcödé 猫 🐈"',
  '"[{]}"',
  '"\\u0069mages"',
  '"\\/"',
];

/** A node of the parsed JSON: its parent and key (null for the root). */
interface Place {
  parent: Json[] | { [key: string]: Json } | null;
  key: string | number;
  value: Json;
  depth: number;
}

/** Every place in the tree, breadth first, up to `limit` of them (large files: a sample of the top). */
function places(root: Json, limit: number): Place[] {
  const out: Place[] = [{ parent: null, key: '', value: root, depth: 0 }];
  for (let k = 0; k < out.length && out.length < limit; k++) {
    const { value, depth } = out[k]!;
    if (Array.isArray(value))
      value.forEach((v, i) => out.length < limit && out.push({ parent: value, key: i, value: v, depth: depth + 1 }));
    else if (value !== null && typeof value === 'object')
      for (const [key, v] of Object.entries(value)) if (out.length < limit) out.push({ parent: value, key, value: v, depth: depth + 1 });
  }
  return out;
}

/**
 * Mutates JSON text at the level of its values, `count` times. Raw text that JSON.stringify cannot
 * write (huge numbers, duplicate keys, deep nesting) is put in through markers replaced after it.
 * Returns null when `text` is not JSON (a byte mutation came first).
 */
export function mutateJson(
  rng: Rng,
  text: string,
  count: number,
  kinds: readonly JsonMutation[] = allJsonMutations,
): { text: string; steps: string[] } | null {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    return null;
  }
  const raw = new Map<string, string>();
  const marker = (replacement: string): string => {
    const key = `\u0001raw${raw.size}\u0001`;
    raw.set(key, replacement);
    return key;
  };
  const steps: string[] = [];
  for (let k = 0; k < count; k++) {
    // Mostly near the top, where the structure a reader expects is; sometimes anywhere.
    const all = places(root, 4000);
    const place = rng.chance(0.5) ? rng.pick(all.slice(0, Math.min(all.length, 40))) : rng.pick(all);
    const kind = rng.pick(kinds);
    const where = pathOf(root, place);
    const set = (value: Json): void => {
      if (place.parent === null) root = value;
      else (place.parent as Record<string | number, Json>)[place.key] = value;
    };
    switch (kind) {
      case 'nest': {
        const depth = rng.pick([1, 2, 5, 50]);
        let value = place.value;
        for (let d = 0; d < depth; d++) value = rng.chance(0.5) ? [value] : { [rng.pick(['x', 'id', 'images'])]: value };
        set(value);
        steps.push(`nest ${where} ${depth} levels deeper`);
        break;
      }
      case 'nestVeryDeep': {
        const depth = rng.pick([1000, 1025, 5000, 100_000]);
        const open = rng.chance(0.5) ? '[' : '{"a":';
        const close = open === '[' ? ']' : '}';
        set(marker(`${open.repeat(depth)}${JSON.stringify(place.value)}${close.repeat(depth)}`));
        steps.push(`nest ${where} ${depth} levels deeper`);
        break;
      }
      case 'wrongType': {
        const value = rng.pick<Json>(['a string', 42, -7.5, true, false, null, [], {}, [place.value], { value: place.value }, '42']);
        set(value);
        steps.push(`replace ${where} with ${JSON.stringify(value).slice(0, 40)}`);
        break;
      }
      case 'hugeNumber': {
        const number = rng.pick(hugeNumbers);
        set(marker(number));
        steps.push(`replace ${where} with ${number}`);
        break;
      }
      case 'removeKey': {
        const objects = all.filter((p) => isObject(p.value) && Object.keys(p.value).length > 0);
        if (objects.length === 0) break;
        const object = rng.pick(objects.slice(0, Math.max(1, Math.min(objects.length, rng.chance(0.5) ? 20 : objects.length))));
        const keys = Object.keys(object.value as object);
        const key = rng.pick(keys);
        delete (object.value as Record<string, Json>)[key];
        steps.push(`remove "${key}" from ${pathOf(root, object)}`);
        break;
      }
      case 'duplicateKey': {
        const objects = all.filter((p) => isObject(p.value) && Object.keys(p.value).length > 0);
        if (objects.length === 0) break;
        const object = rng.pick(objects.slice(0, Math.max(1, Math.min(objects.length, rng.chance(0.5) ? 20 : objects.length))));
        const target = object.value as Record<string, Json>;
        const key = rng.pick(Object.keys(target));
        const twin = rng.chance(0.5) ? target[key]! : rng.pick<Json>([0, 'other', [], null, 1e6]);
        // The marker key is renamed to the original after stringify: the object then has the key twice.
        target[marker(JSON.stringify(key))] = twin;
        steps.push(`write "${key}" twice in ${pathOf(root, object)}`);
        break;
      }
      case 'duplicateElement': {
        const lists = all.filter((p) => Array.isArray(p.value) && p.value.length > 0);
        if (lists.length === 0) break;
        const list = rng.pick(lists).value as Json[];
        const i = rng.int(list.length);
        list.splice(rng.int(list.length + 1), 0, structuredClone(list[i]!));
        steps.push(`copy element ${i} of a list within it`);
        break;
      }
      case 'doubleList': {
        const lists = all.filter((p) => Array.isArray(p.value) && p.value.length > 0);
        if (lists.length === 0) break;
        const list = rng.pick(lists);
        (list.value as Json[]).push(...structuredClone(list.value as Json[]));
        steps.push(`double the list ${pathOf(root, list)}`);
        break;
      }
      case 'emptyContainer': {
        const value: Json = rng.chance(0.5) ? [] : {};
        set(value);
        steps.push(`empty ${where}`);
        break;
      }
      case 'oddString': {
        const s = rng.pick(oddStrings);
        set(marker(s));
        steps.push(`replace ${where} with the string ${s.slice(0, 30)}`);
        break;
      }
      case 'swap': {
        const other = rng.pick(all);
        if (other === place || isAncestor(place.value, other.value) || isAncestor(other.value, place.value)) break;
        const mine = place.value;
        set(other.value);
        if (other.parent === null) root = mine;
        else (other.parent as Record<string | number, Json>)[other.key] = mine;
        steps.push(`swap ${where} and ${pathOf(root, other)}`);
        break;
      }
      case 'renameKey': {
        const objects = all.filter((p) => isObject(p.value) && Object.keys(p.value).length > 0);
        if (objects.length === 0) break;
        const object = rng.pick(objects.slice(0, Math.min(objects.length, 20)));
        const target = object.value as Record<string, Json>;
        const key = rng.pick(Object.keys(target));
        const renamed = rng.pick([
          key.toUpperCase(),
          `${key} `,
          key.slice(1),
          `${key}_`,
          '',
          'images',
          'annotations',
          'categories',
          'k'.repeat(100_000),
          `${key}\n\u0000`,
        ]);
        const value = target[key]!;
        delete target[key];
        target[renamed] = value;
        steps.push(`rename "${key}" to ${JSON.stringify(renamed.slice(0, 30))} in ${pathOf(root, object)}`);
        break;
      }
    }
  }
  let out = rng.chance(0.3) ? JSON.stringify(root, null, rng.pick([1, 2, '\t'])) : JSON.stringify(root);
  for (const [key, replacement] of raw) {
    // A marker is a key (the object then holds the key twice) or a value (raw text in its place).
    out = out.split(JSON.stringify(key)).join(replacement);
  }
  return { text: out, steps };
}

function isObject(value: Json): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isAncestor(ancestor: Json, value: Json): boolean {
  if (ancestor === value) return true;
  if (ancestor === null || typeof ancestor !== 'object') return false;
  return Object.values(ancestor).some((child) => isAncestor(child, value));
}

/** `$.images[3].id`-style path of a place, for the description of a mutation. */
function pathOf(root: Json, place: Place): string {
  if (place.parent === null) return '$';
  const find = (node: Json, path: string): string | null => {
    if (node === place.parent) return typeof place.key === 'number' ? `${path}[${place.key}]` : `${path}.${place.key}`;
    if (node === null || typeof node !== 'object') return null;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length && i < 100_000; i++) {
        const found = find(node[i]!, `${path}[${i}]`);
        if (found !== null) return found;
      }
      return null;
    }
    for (const [key, child] of Object.entries(node)) {
      const found = find(child, `${path}.${key}`);
      if (found !== null) return found;
    }
    return null;
  };
  return find(root, '$') ?? '(a value)';
}
