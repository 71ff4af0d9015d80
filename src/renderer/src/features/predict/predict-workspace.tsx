import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControlLabel from '@mui/material/FormControlLabel';
import Paper from '@mui/material/Paper';
import Slider from '@mui/material/Slider';
import Stack from '@mui/material/Stack';
import Switch from '@mui/material/Switch';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { PredictResult } from '../../../../shared/contract/prediction';
import type { RunEntry } from '../../../../shared/contract/runs';
import { countOf } from '../../components/format';
import { useApi } from '../../rpc/api-context';
import { RunPicker } from '../../components/runs/run-picker';
import { CompletedRunsStatus, useCompletedRuns } from '../../components/runs/completed-runs';
import { GalleryPanel } from './gallery-panel';
import { GradCamPanel, type CamOutcome, type CamSelection } from './gradcam-panel';
import { ImageInputs } from './image-inputs';
import { JobProgress } from '../../jobs/job-progress';
import { requestBatches, type NewImage } from './new-images';
import { PredictionCard, predictedLabels } from './prediction-card';
import { useJob } from '../../jobs/use-job';
import { runJob } from '../../jobs/run-job';
import { keepPrediction, keptPrediction, type TunedThresholds } from './predict-memory';
import { resultsAt, type ScoredImage } from './scaled-results';
import { TemperatureSwitch, useTemperaturePreference } from '../../components/runs/temperature-switch';

const marks = [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value, label: value.toFixed(2) }));

/**
 * The Predict workspace: the example's "Predict Using New Data" (each new image with its predicted
 * labels and its class scores) and "Investigate Network Predictions" (Grad-CAM of chosen classes), and
 * Grad-CAM galleries of a class's most confident hits and mistakes on the run's validation images.
 */
export function PredictWorkspace(): ReactNode {
  const runs = useCompletedRuns();
  const { completed, run, choose: remember } = runs;

  return (
    <Stack spacing={2} data-run-id={run?.runId ?? ''}>
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="predict-heading">
        <Typography variant="h6" id="predict-heading" gutterBottom>
          Predict new images
        </Typography>
        <CompletedRunsStatus {...runs} testId="predict-no-runs" whenNone="When it finishes, its network scores new images here." />
        {run !== undefined && <RunPicker runs={completed} runId={run.runId} onChange={remember} scores={undefined} testId="predict-run" />}
      </Paper>
      {run !== undefined && <Predictor key={run.runId} run={run} />}
    </Stack>
  );
}

interface Answer {
  classes: string[];
  /** Per-class thresholds, from the last answer judged at them. */
  tuned: TunedThresholds | null;
  /** Each image's last answer, with the temperature its scores carry. */
  results: Map<string, ScoredImage>;
}

/** Images, their predictions, Grad-CAM and galleries of one run; keyed by run so everything starts afresh for another. */
function Predictor({ run }: { run: RunEntry }): ReactNode {
  const api = useApi();
  // What was shown for this run before (another workspace, a reload) comes back until it is cleared.
  const [kept] = useState(() => keptPrediction(run.runId));
  const [images, setImages] = useState<NewImage[]>(() => kept?.images ?? []);
  const [threshold, setThreshold] = useState(kept?.threshold ?? 0.5);
  const [perClass, setPerClass] = useState(kept?.perClass ?? false);
  // One choice per run, shared with the Evaluate workspace: scores scaled by the run's temperature.
  const [calibrated, setCalibrated] = useTemperaturePreference(run.runId);
  const temperature = calibrated && run.calibration !== null ? run.calibration.temperature : null;
  const [answer, setAnswer] = useState<Answer>(() =>
    kept === null
      ? { classes: run.categories, tuned: null, results: new Map() }
      : { classes: kept.classes, tuned: kept.tuned, results: kept.results },
  );
  const scoring = useJob<number>();
  const cam = useJob<CamOutcome>(kept?.cam);
  const [camSelection, setCamSelection] = useState<CamSelection | null>(kept?.camSelection ?? null);
  const camPanel = useRef<HTMLElement>(null);
  const camOutcome = cam.state.status === 'done' ? cam.state.result : null;
  useEffect(
    () =>
      keepPrediction(run.runId, {
        images,
        classes: answer.classes,
        tuned: answer.tuned,
        results: answer.results,
        threshold,
        perClass,
        camSelection,
        cam: camOutcome,
      }),
    [run.runId, images, answer, threshold, perClass, camSelection, camOutcome],
  );

  // Object URLs of sent files live as long as their image does (removed, cleared, or the page closed).
  const previews = useRef(new Set<string>(images.flatMap((i) => (i.previewUrl === null ? [] : [i.previewUrl]))));

  const classes = answer.classes;
  /**
   * The threshold of each class now: the slider's, or the ones tuned on the scores shown (null until
   * the service has sent them).
   */
  const thresholds = useMemo(() => {
    if (!perClass) return classes.map(() => threshold);
    return answer.tuned !== null && answer.tuned.temperature === temperature ? answer.tuned.thresholds : null;
  }, [perClass, answer.tuned, temperature, classes, threshold]);
  // The scores asked for: a result under the other choice is scaled here where it can be, else scored again.
  const { shown, rescore } = useMemo(
    () => resultsAt(answer.results, temperature, classes, thresholds),
    [answer.results, temperature, classes, thresholds],
  );
  const pending = images.filter((i) => !shown.has(i.key));
  const scored = images.filter((i) => shown.get(i.key)?.ok === true);
  // Grad-CAM needs an image the network could read, whichever scores it was last shown with.
  const explainable = images.filter((i) => answer.results.get(i.key)?.result.ok === true);
  const needsTuned = perClass && thresholds === null;

  const add = useCallback((added: NewImage[]) => {
    for (const image of added) if (image.previewUrl !== null) previews.current.add(image.previewUrl);
    setImages((current) => [...current, ...added]);
  }, []);

  const remove = (key: string): void => {
    const gone = images.find((i) => i.key === key);
    if (gone?.previewUrl != null) {
      URL.revokeObjectURL(gone.previewUrl);
      previews.current.delete(gone.previewUrl);
    }
    setImages((current) => current.filter((i) => i.key !== key));
    setCamSelection((s) => (s?.key === key ? null : s));
  };

  const clear = (): void => {
    previews.current.forEach((url) => URL.revokeObjectURL(url));
    previews.current.clear();
    setImages([]);
    setAnswer((a) => ({ ...a, results: new Map() }));
    setCamSelection(null);
    cam.reset();
  };

  const predict = (): void => {
    // New images only, unless all are scored (then again, as when per-class thresholds are wanted).
    const targets = pending.length > 0 && !needsTuned ? pending : images;
    const batches = requestBatches(targets);
    const settings = { threshold, perClassThresholds: perClass, calibrated: temperature !== null };
    scoring.start(async (signal, onProgress) => {
      for (const [b, batch] of batches.entries()) {
        const answered = await runJob<PredictResult>(
          api,
          'prediction.predict',
          { runId: run.runId, images: batch.map((i) => i.input), ...settings },
          `Predicting ${batch.length} image${batch.length === 1 ? '' : 's'}`,
          {
            signal,
            onProgress: (p) => onProgress(batches.length > 1 ? { ...p, phase: `${p.phase} (request ${b + 1} of ${batches.length})` } : p),
          },
        );
        if (signal.aborted) break;
        setAnswer((a) => {
          const results = new Map(a.results);
          batch.forEach((image, k) => {
            const result = answered.results[k];
            if (result !== undefined) results.set(image.key, { result, temperature: answered.temperature });
          });
          const tuned = settings.perClassThresholds ? { thresholds: answered.thresholds, temperature: answered.temperature } : a.tuned;
          return { classes: answered.classes, tuned, results };
        });
      }
      return targets.length;
    });
  };

  const defaultClasses = (key: string): string[] => {
    const result = shown.get(key) ?? answer.results.get(key)?.result;
    if (result?.ok !== true) return [];
    const labels = thresholds === null ? result.labels : predictedLabels(classes, result.scores, thresholds);
    if (labels.length > 0) return labels;
    // Nothing predicted: the most likely class.
    let best = 0;
    result.scores.forEach((s, j) => {
      if (s > result.scores[best]!) best = j;
    });
    const top = classes[best];
    return top === undefined ? [] : [top];
  };

  const computeCam = (selection: CamSelection): void => {
    const image = images.find((i) => i.key === selection.key);
    if (image === undefined || selection.classes.length === 0) return;
    // In the run's class order, as the example's targetClassesIdx.
    const chosen = classes.filter((c) => selection.classes.includes(c));
    cam.start(async (signal, onProgress) => {
      // Its scores as the cards show them (the maps are the same either way).
      const result = await api.prediction.gradcam(
        { runId: run.runId, image: image.input, classes: chosen, calibrated: temperature !== null },
        { signal, onProgress },
      );
      return { image, result };
    });
  };

  const explain = (key: string): void => {
    const chosen = { key, classes: defaultClasses(key) };
    setCamSelection(chosen);
    computeCam(chosen);
    camPanel.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };

  // Until one is chosen, Grad-CAM offers the first scored image with its predicted classes.
  const first = explainable[0];
  const selection = camSelection ?? (first === undefined ? null : { key: first.key, classes: defaultClasses(first.key) });

  const thresholdOf = useCallback((j: number) => thresholds?.[j] ?? threshold, [thresholds, threshold]);

  return (
    <>
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="images-heading" data-testid="predict-images" data-images={images.length}>
        <Typography variant="h6" id="images-heading" gutterBottom>
          Images
        </Typography>
        <Stack spacing={2}>
          <ImageInputs onAdd={add} disabled={scoring.running} />
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={3} sx={{ alignItems: { md: 'center' } }}>
            <Box sx={{ flex: '1 1 320px', maxWidth: 520, px: 1 }}>
              <Typography variant="body2" id="predict-threshold-label">
                A class is predicted when its score is at least{' '}
                <strong data-testid="predict-threshold-value" data-value={threshold}>
                  {threshold.toFixed(2)}
                </strong>
                {perClass ? ' (not used: per-class thresholds are on)' : ''}
              </Typography>
              <Slider
                value={threshold}
                min={0}
                max={1}
                step={0.01}
                shiftStep={0.1}
                marks={marks}
                valueLabelDisplay="auto"
                disabled={perClass}
                onChange={(_, value) => setThreshold(Math.round(value * 100) / 100)}
                aria-labelledby="predict-threshold-label"
                getAriaValueText={(value) => `threshold ${value.toFixed(2)}`}
                data-testid="predict-threshold-slider"
              />
            </Box>
            <Box>
              <FormControlLabel
                control={<Switch checked={perClass} onChange={(e) => setPerClass(e.target.checked)} data-testid="predict-per-class" />}
                label="Per-class thresholds"
              />
              <Typography variant="body2" color="text.secondary" sx={{ maxWidth: 440 }}>
                Each class at the threshold that maximises its F1 on the run’s validation images.
              </Typography>
            </Box>
            <Box data-testid="predict-temperature" data-temperature={temperature ?? ''}>
              <TemperatureSwitch calibration={run.calibration} on={calibrated} onToggle={setCalibrated} testId="predict-temperature" />
              {run.calibration !== null && (
                <Typography variant="body2" color="text.secondary" sx={{ maxWidth: 440 }}>
                  Each score’s logit divided by the temperature fitted on the run’s held-out training images (score = sigmoid(logit / T)),
                  and the labels judged on the scaled scores. The choice is the run’s, shared with the Evaluate workspace.
                </Typography>
              )}
            </Box>
          </Stack>
          {rescore.size > 0 && (
            <Alert severity="info" data-testid="predict-rescore">
              {rescoreAdvice(rescore.size, temperature)}
            </Alert>
          )}
          {needsTuned && scored.length > 0 && pending.length === 0 && (
            <Alert severity="info" data-testid="predict-needs-tuned">
              The per-class thresholds come from the service: press Predict again to judge these images at them. Until then the labels are
              those at the threshold they were scored at.
            </Alert>
          )}
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
            <Button variant="contained" onClick={predict} disabled={images.length === 0 || scoring.running} data-testid="predict-button">
              {pending.length > 0 && pending.length < images.length && !needsTuned
                ? `Predict ${rescore.size > 0 ? countOf(pending.length, 'image', 'images') : countOf(pending.length, 'new image', 'new images')}`
                : pending.length === 0 && images.length > 0
                  ? 'Predict again'
                  : 'Predict'}
            </Button>
            <Button onClick={clear} disabled={images.length === 0 || scoring.running} data-testid="predict-clear">
              Clear
            </Button>
            <Typography variant="body2" color="text.secondary">
              {images.length === 0
                ? ''
                : `${countOf(images.length, 'image', 'images')}, ${formatScoredCount(scored.length, images.length, pending.length)}`}
            </Typography>
          </Stack>
          <JobProgress
            job={scoring}
            label="Scoring the images"
            testId="predict"
            cancelledText="Scoring cancelled; images scored before stay as they were."
          />
        </Stack>
      </Paper>
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="predictions-heading" data-testid="predictions">
        <Typography variant="h6" id="predictions-heading" gutterBottom>
          Predictions
        </Typography>
        {images.length === 0 ? (
          <Alert severity="info" data-testid="predict-empty">
            No images yet. Drop some above, choose them, or give a path, then press Predict to see each one’s labels and class scores.
          </Alert>
        ) : (
          <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))', gap: 2, alignItems: 'start' }}>
            {images.map((image) => (
              <PredictionCard
                key={image.key}
                image={image}
                result={shown.get(image.key)}
                rescore={rescore.has(image.key) ? rescoreAdvice(1, temperature) : undefined}
                classes={classes}
                thresholds={thresholds}
                showThresholds={perClass}
                onRemove={remove}
                onExplain={explain}
                disabled={scoring.running}
              />
            ))}
          </Box>
        )}
      </Paper>
      <GradCamPanel
        ref={camPanel}
        images={explainable}
        classes={classes}
        selection={selection}
        onSelectImage={(key) => setCamSelection({ key, classes: defaultClasses(key) })}
        onToggleClass={(name) =>
          selection !== null &&
          setCamSelection({
            ...selection,
            classes: selection.classes.includes(name) ? selection.classes.filter((c) => c !== name) : [...selection.classes, name],
          })
        }
        onCompute={() => selection !== null && computeCam(selection)}
        job={cam}
        temperature={temperature}
      />
      <GalleryPanel runId={run.runId} classes={classes} thresholdOf={thresholdOf} temperature={temperature} />
    </>
  );
}

/** What to do about images scored under the other choice of scores. */
function rescoreAdvice(count: number, temperature: number | null): string {
  const these = count === 1 ? 'This image was' : `${count} images were`;
  return temperature === null
    ? `${these} scored with temperature scaling: press Predict again for the network’s own scores.`
    : `${these} scored without temperature scaling: press Predict again for the scores scaled by T = ${temperature.toFixed(3)} and the thresholds tuned on them.`;
}

function formatScoredCount(scored: number, total: number, pending: number): string {
  const unreadable = total - scored - pending;
  const parts = [`${scored} scored`];
  if (unreadable > 0) parts.push(`${unreadable} unreadable`);
  if (pending > 0) parts.push(`${pending} waiting`);
  return parts.join(', ');
}
