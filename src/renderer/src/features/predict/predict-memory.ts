import type { ImagePrediction } from '../../../../shared/contract/prediction';
import { readPersistent, writePersistent } from '../../components/use-persistent-state';
import type { CamOutcome, CamSelection } from './gradcam-panel';
import type { NewImage } from './new-images';
import type { ScoredImage } from './scaled-results';
import { z } from 'zod';

/** Per-class thresholds from the service, tuned on the validation scores scaled by `temperature` (null: the network's own). */
export interface TunedThresholds {
  thresholds: number[];
  temperature: number | null;
}

/** What the Predict workspace shows for one run, kept until the user clears it. */
export interface KeptPrediction {
  images: NewImage[];
  classes: string[];
  tuned: TunedThresholds | null;
  results: Map<string, ScoredImage>;
  threshold: number;
  perClass: boolean;
  camSelection: CamSelection | null;
  cam: CamOutcome | null;
}

/** This page's memory: everything, sent files included, while the page lives (across workspace switches). */
const inMemory = new Map<string, KeptPrediction>();

/**
 * What survives a reload: images given by path and sent images the service has stored (scored ones),
 * their results and Grad-CAM, the threshold. A sent image comes back as its stored copy on the
 * service's machine, under the name the user gave it; sent images not yet scored do not come back.
 */
const stored = z.object({
  images: z.array(z.object({ key: z.string(), name: z.string(), path: z.string() })),
  classes: z.array(z.string()),
  tuned: z.array(z.number()).nullable(),
  /** The temperature the tuned thresholds are of (absent in what was kept before scaling existed: none). */
  tunedScaledBy: z.number().nullable().default(null),
  results: z.array(z.tuple([z.string(), z.unknown()])),
  /** The results whose scores are scaled, with their temperature; the rest are the network's own. */
  scaledBy: z.record(z.string(), z.number()).default({}),
  threshold: z.number(),
  perClass: z.boolean(),
  camSelection: z.object({ key: z.string(), classes: z.array(z.string()) }).nullable(),
  cam: z.object({ key: z.string(), result: z.unknown() }).nullable(),
});

const storageKey = (runId: string): string => `mlw.predict.${runId}`;

export function keptPrediction(runId: string): KeptPrediction | null {
  const kept = inMemory.get(runId);
  if (kept !== undefined) return kept;
  const saved = readPersistent(storageKey(runId), stored, null as z.infer<typeof stored> | null);
  if (saved === null) return null;
  const images: NewImage[] = saved.images.map((i) => ({
    key: i.key,
    name: i.name,
    input: { path: i.path },
    previewUrl: null,
    sentChars: 0,
  }));
  const camImage = saved.cam === null ? undefined : images.find((i) => i.key === saved.cam!.key);
  return {
    images,
    classes: saved.classes,
    tuned: saved.tuned === null ? null : { thresholds: saved.tuned, temperature: saved.tunedScaledBy },
    results: new Map(
      (saved.results as [string, ImagePrediction][]).map(([key, result]) => [key, { result, temperature: saved.scaledBy[key] ?? null }]),
    ),
    threshold: saved.threshold,
    perClass: saved.perClass,
    camSelection: saved.camSelection,
    cam: camImage === undefined ? null : { image: camImage, result: saved.cam!.result as CamOutcome['result'] },
  };
}

export function keepPrediction(runId: string, kept: KeptPrediction): void {
  inMemory.set(runId, kept);
  // By path: images given by path, and sent ones the service has stored (named as the user knows them).
  const byPath = kept.images.flatMap((i) => {
    if ('path' in i.input) return [{ key: i.key, name: i.name, path: i.input.path }];
    const result = kept.results.get(i.key)?.result;
    return result?.ok === true && result.storedAs !== undefined ? [{ key: i.key, name: i.name, path: result.storedAs }] : [];
  });
  const keys = new Set(byPath.map((i) => i.key));
  const results = [...kept.results].filter(([key]) => keys.has(key));
  writePersistent(storageKey(runId), {
    images: byPath,
    classes: kept.classes,
    tuned: kept.tuned?.thresholds ?? null,
    tunedScaledBy: kept.tuned?.temperature ?? null,
    results: results.map(([key, scored]) => [key, scored.result]),
    scaledBy: Object.fromEntries(results.flatMap(([key, scored]) => (scored.temperature === null ? [] : [[key, scored.temperature]]))),
    threshold: kept.threshold,
    perClass: kept.perClass,
    camSelection: kept.camSelection !== null && keys.has(kept.camSelection.key) ? kept.camSelection : null,
    cam: kept.cam !== null && keys.has(kept.cam.image.key) ? { key: kept.cam.image.key, result: kept.cam.result } : null,
  } satisfies z.infer<typeof stored>);
}
