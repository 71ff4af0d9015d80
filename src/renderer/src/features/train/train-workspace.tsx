import { skippedCounts } from '../../../../shared/contract/skipped';
import { sparseClasses, sparseClassesSentence } from '../../../../shared/domain/class-coverage';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Switch from '@mui/material/Switch';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { z } from 'zod';
import { readPersistent, usePersistentState, writePersistent } from '../../components/use-persistent-state';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import type { Progress } from '../../../../shared/contract/define';
import { AppError } from '../../../../shared/contract/errors';
import type { TrainingDefaults, TrainResult } from '../../../../shared/contract/training';
import { ErrorAlert } from '../../components/error-alert';
import { baseName, formatDuration } from '../../components/format';
import { jobViewOf, useActiveJob, useWatchedJob } from '../../jobs/use-watched-job';
import { ProgressLine } from '../../components/progress-line';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { useAppInfo } from '../../app/app-info-context';
import { PathField } from '../../components/path-field';
import { usePathInput } from '../../components/use-path-input';
import { BackboneWeights } from './backbone-weights';
import { EngineStatusLine } from './engine-status-line';
import { imagesPerSecondWords } from './engine-status-words';
import { settingsFromOverrides } from '../../../../shared/domain/training-overrides';
import { RunsList } from './runs-list';
import { TrainingChart, type TrainingPoint } from './training-chart';

type Mode = 'frozen' | 'finetune';
type TrainingSettingsValues = TrainingDefaults['modes']['frozen'];

const trainForm = z.object({
  trainFileId: z.number().nullable(),
  valFileId: z.number().nullable(),
  backbone: z.string(),
  mode: z.enum(['frozen', 'finetune']),
  overrides: z.object({
    maxEpochs: z.number().optional(),
    batchSize: z.number().optional(),
    learnRate: z.number().optional(),
    l2: z.number().optional(),
    validationFrequency: z.number().optional(),
    patience: z.number().optional(),
    seed: z.number().optional(),
    views: z.number().optional(),
    /** Frozen mode: choose what is left empty on held-out training images (absent: yes). */
    choose: z.boolean().optional(),
  }),
  runName: z.string(),
});
type TrainForm = z.infer<typeof trainForm>;
const initialForm: TrainForm = {
  trainFileId: null,
  valFileId: null,
  backbone: 'mobilenet_v1_0.75',
  mode: 'frozen',
  overrides: {},
  runName: '',
};
const weightsKey = 'mlw.train.weights';

const modeExplanations: Record<Mode, string> = {
  frozen:
    'Frozen backbone: the backbone computes features once per image (and per augmented view, cached on disk); only the new layer trains, in seconds. Suited to the WebAssembly and CPU backends.',
  finetune:
    'Fine-tune: every layer learns, as in the reference example (SGD with momentum, learn rate 0.0005, 10 epochs, the new layer 10× faster); images are decoded and augmented batch by batch. Practical on native backends; on WebAssembly only for small networks, which train slowly there.',
};

/** The Train workspace: a run's data, backbone, mode and settings; start, cancel, and a live progress chart. */
export function TrainWorkspace(): ReactNode {
  const api = useApi();
  const { canPickPaths } = useAppInfo();
  const files = useRequest('dataset.files', (signal) => api.dataset.files({}, { signal }));
  const selection = useRequest('dataset.getSelection', (signal) => api.dataset.getSelection({}, { signal }));
  const defaults = useRequest('training.defaults', (signal) => api.training.defaults({}, { signal }));
  // The form is kept per dataset (the file chosen in the Dataset workspace), across tab switches and reloads.
  const formKey = `mlw.train.form.${selection.data?.fileId ?? 'none'}`;
  const [form, setForm] = usePersistentState(formKey, trainForm, initialForm);
  const { trainFileId: chosenTrainId, valFileId: chosenValId, backbone, mode, overrides, runName } = form;
  const setField =
    <K extends keyof TrainForm>(key: K) =>
    (value: TrainForm[K]): void =>
      setForm((current) => ({ ...current, [key]: value }));
  const [setTrainFileId, setValFileId, setBackbone, setMode, setOverrides, setRunName] = [
    setField('trainFileId'),
    setField('valFileId'),
    setField('backbone'),
    setField('mode'),
    (next: TrainForm['overrides'] | ((current: TrainForm['overrides']) => TrainForm['overrides'])) =>
      setForm((current) => ({ ...current, overrides: typeof next === 'function' ? next(current.overrides) : next })),
    setField('runName'),
  ] as const;
  // The last weights path, whatever the dataset.
  const weights = usePathInput('weights', readPersistent(weightsKey, z.string(), ''));
  useEffect(() => writePersistent(weightsKey, weights.value), [weights.value]);
  const [weightsInstalled, setWeightsInstalled] = useState<boolean | undefined>(undefined);
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<AppError | null>(null);
  const [points, setPoints] = useState<TrainingPoint[]>([]);
  const [runsVersion, setRunsVersion] = useState(0);
  const pending = useRef<TrainingPoint[]>([]);
  /** The last iteration already charted (from the run's recorded history when re-attaching). */
  const charted = useRef(0);
  const watched = useWatchedJob(jobId, (progress: Progress) => {
    const m = progress.metrics;
    if (m?.trainLoss === undefined || m.trainRmse === undefined || progress.done <= charted.current) return;
    charted.current = progress.done;
    pending.current.push({
      iteration: progress.done,
      epoch: m.epoch ?? 0,
      trainLoss: m.trainLoss,
      trainRmse: m.trainRmse,
      valLoss: m.valLoss ?? null,
      valRmse: m.valRmse ?? null,
    });
  });
  const run = jobViewOf<TrainResult>(watched.state, startError);

  // Training is a job of the service: a run started before this page was opened (or before a reload) is followed again.
  useActiveJob(['training.train', 'training.resume'], async (active) => {
    if (active.runId !== null) {
      const history = await api.training.history({ runId: active.runId });
      charted.current = history.at(-1)?.iteration ?? 0;
      setPoints(history);
    }
    setJobId(active.jobId);
  });

  // When the job ends: the last points, and the runs list again.
  const ended = run.status !== 'running' && run.status !== 'idle';
  useEffect(() => {
    if (!ended) return;
    const rest = pending.current;
    pending.current = [];
    setPoints((current) => [...current, ...rest]);
    setRunsVersion((v) => v + 1);
  }, [ended]);

  const list = useMemo(() => files.data ?? [], [files.data]);
  // Until the user picks, both default to the file chosen in the Dataset workspace.
  const preferredId = (list.find((f) => f.fileId === selection.data?.fileId) ?? list[0])?.fileId ?? '';
  const trainFileId = chosenTrainId ?? preferredId;
  const valFileId = chosenValId ?? preferredId;

  // Iterations arrive hundreds a second: draw them a few times a second.
  useEffect(() => {
    if (run.status !== 'running') return;
    const timer = setInterval(() => {
      if (pending.current.length === 0) return;
      const batch = pending.current;
      pending.current = [];
      setPoints((current) => [...current, ...batch]);
    }, 250);
    return () => clearInterval(timer);
  }, [run.status]);

  const categories = selection.data?.categories ?? [];
  const trainFile = list.find((f) => f.fileId === trainFileId);
  const valFile = list.find((f) => f.fileId === valFileId);
  const modeDefaults = defaults.data?.modes[mode];
  const backboneTitle = defaults.data?.backbones.find((b) => b.id === backbone)?.title ?? backbone;
  const running = run.status === 'running' ? run : null;
  const problems = [
    trainFile === undefined ? 'Import a training annotation file in the Dataset workspace.' : null,
    trainFile !== undefined && trainFile.imagesDir === null ? 'Set the images folder of the training file in the Dataset workspace.' : null,
    valFile !== undefined && valFile.imagesDir === null ? 'Set the images folder of the validation file in the Dataset workspace.' : null,
    categories.length === 0 ? 'Choose categories in the Dataset workspace.' : null,
    weights.value.trim() === '' && weightsInstalled === false
      ? `The ${backboneTitle} weights are not installed: Download them (above), or choose a folder that holds them under “Backbone weights”.`
      : null,
    weights.value.trim() !== '' && weights.check !== null && !weights.check.ok
      ? 'The backbone weights path holds no weights: choose another, or clear it to use the app’s models folder.'
      : null,
  ].filter((p): p is string => p !== null);
  // Classes the network would never (or hardly ever) see: the same rule the run's record keeps.
  const trainStats = useRequest(
    trainFile === undefined || categories.length === 0 ? null : `dataset.stats:train:${trainFile.fileId}:${categories.join('|')}`,
    (signal) => api.dataset.stats({ fileId: trainFile!.fileId, categories: [...categories] }, { signal }),
  );
  const sparse = trainStats.data === undefined ? [] : sparseClasses(categories, (name) => trainStats.data?.perClass[name] ?? 0);
  const sameFile = trainFile !== undefined && valFile !== undefined && trainFile.fileId === valFile.fileId;

  const start = (): void => {
    if (trainFile === undefined || valFile === undefined) return;
    pending.current = [];
    charted.current = 0;
    setPoints([]);
    setStartError(null);
    setJobId(null);
    const input = {
      trainAnnotations: trainFile.path,
      trainImages: trainFile.imagesDir ?? '',
      valAnnotations: valFile.path,
      valImages: valFile.imagesDir ?? '',
      categories,
      backbone,
      mode,
      ...(runName.trim() !== '' ? { name: runName.trim() } : {}),
      ...(weights.value.trim() !== '' ? { weights: weights.value.trim() } : {}),
      ...(overrides.views !== undefined ? { augmentedViews: overrides.views } : {}),
      settings: settingsFromOverrides({
        maxEpochs: overrides.maxEpochs,
        batchSize: overrides.batchSize,
        learnRate: overrides.learnRate,
        l2Regularization: overrides.l2,
        validationFrequency: overrides.validationFrequency,
        validationPatience: overrides.patience,
        seed: overrides.seed,
      }),
      ...(mode === 'frozen' && overrides.choose === false ? { chooseSettings: false } : {}),
    };
    const title = `Training ${runName.trim() || `${defaults.data?.backbones.find((b) => b.id === backbone)?.title ?? backbone}, ${mode}`}`;
    api.jobs.start({ method: 'training.train', input, title }).then(
      (started) => setJobId(started.jobId),
      (error: unknown) => setStartError(AppError.from(error)),
    );
  };

  const resume = (runId: string): void => {
    pending.current = [];
    setStartError(null);
    setJobId(null);
    api.training.history({ runId }).then(
      (history) => {
        charted.current = history.at(-1)?.iteration ?? 0;
        setPoints(history);
      },
      () => setPoints([]),
    );
    api.jobs.start({ method: 'training.resume', input: { runId }, title: `Resuming ${runId}` }).then(
      (started) => setJobId(started.jobId),
      (error: unknown) => setStartError(AppError.from(error)),
    );
  };

  const imagesPerSecond = running?.estimate?.progress.metrics?.imagesPerSecond;
  const setNumber = (key: keyof typeof overrides) => (event: { target: { value: string } }) => {
    const value = Number(event.target.value);
    setOverrides((current) => ({ ...current, [key]: event.target.value === '' || !Number.isFinite(value) ? undefined : value }));
  };

  return (
    <Stack spacing={2} data-testid="workspace-train">
      <EngineStatusLine />
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="train-heading" data-testid="train-form" data-train-state={run.status}>
        <Typography variant="h6" id="train-heading" gutterBottom>
          Train a run
        </Typography>
        <Stack spacing={2}>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <FileSelect
              label="Training annotations"
              files={list}
              value={trainFileId}
              onChange={setTrainFileId}
              testId="train-file"
              disabled={running !== null}
            />
            <FileSelect
              label="Validation annotations"
              files={list}
              value={valFileId}
              onChange={setValFileId}
              testId="val-file"
              disabled={running !== null}
            />
          </Stack>
          {sameFile && (
            <Alert severity="warning" data-testid="same-file-warning">
              Training and validation use the same file, so the validation figures measure fit, not generalisation. Import val2017 (or
              another file) for a held-out set.
            </Alert>
          )}
          <Box>
            <Typography variant="body2" color="text.secondary" gutterBottom>
              Categories (from the Dataset workspace)
            </Typography>
            <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', rowGap: 0.5 }} data-testid="train-categories">
              {categories.map((c) => (
                <Chip key={c} label={c} size="small" />
              ))}
            </Stack>
            {sparse.length > 0 && (
              <Alert severity="warning" sx={{ mt: 1 }} data-testid="train-sparse-classes">
                {sparseClassesSentence(
                  sparse,
                  `training images in ${trainFile === undefined ? 'the training file' : baseName(trainFile.path)}`,
                )}
              </Alert>
            )}
          </Box>
          <TextField
            label="Run name"
            value={runName}
            onChange={(e) => setRunName(e.target.value)}
            placeholder={`${defaults.data?.backbones.find((b) => b.id === backbone)?.title ?? backbone}, ${mode}`}
            helperText="Empty: the backbone and the mode, as shown."
            disabled={running !== null}
            slotProps={{ htmlInput: { 'data-testid': 'run-name' }, inputLabel: { shrink: true } }}
          />
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <TextField
              select
              label="Backbone"
              value={backbone}
              onChange={(e) => setBackbone(e.target.value)}
              sx={{ minWidth: 280 }}
              disabled={running !== null}
              slotProps={{ htmlInput: { 'data-testid': 'backbone-select' } }}
            >
              {(defaults.data?.backbones ?? []).map((b) => (
                <MenuItem key={b.id} value={b.id}>
                  {b.title}
                </MenuItem>
              ))}
            </TextField>
            <Box sx={{ flex: 1 }}>
              <PathField
                input={weights}
                label="Backbone weights (optional): a Layers folder or a Keras .h5 file"
                hint="A TensorFlow.js Layers folder (model.json and shards), a Keras .h5 file, or a folder holding weights.h5; empty: the app's models folder."
                canPick={canPickPaths}
                pickTitle="Choose the backbone's model folder"
                disabled={running !== null}
                testId="weights-dir"
              />
            </Box>
          </Stack>
          <BackboneWeights backbone={backbone} hasWeightsFolder={weights.value.trim() !== ''} onInstalled={setWeightsInstalled} />
          <RadioGroup row value={mode} onChange={(e) => setMode(e.target.value as Mode)} aria-label="Training mode">
            <FormControlLabel value="frozen" control={<Radio />} label="Frozen backbone" disabled={running !== null} />
            <FormControlLabel value="finetune" control={<Radio />} label="Fine-tune" disabled={running !== null} />
          </RadioGroup>
          <Typography variant="body2" color="text.secondary" data-testid="mode-explanation">
            {modeExplanations[mode]}
          </Typography>
          {/* Keyed by the form's storage, so another dataset's values show. */}
          <Stack key={formKey} direction="row" spacing={2} sx={{ flexWrap: 'wrap', rowGap: 2 }}>
            <NumberField
              label="Epochs"
              placeholder={modeDefaults?.maxEpochs}
              value={overrides.maxEpochs}
              onChange={setNumber('maxEpochs')}
              disabled={running !== null}
              testId="epochs"
            />
            <NumberField
              label="Mini-batch"
              placeholder={modeDefaults?.batchSize}
              value={overrides.batchSize}
              onChange={setNumber('batchSize')}
              disabled={running !== null}
              testId="batch"
            />
            <NumberField
              label="Learn rate"
              placeholder={modeDefaults?.learnRate}
              value={overrides.learnRate}
              onChange={setNumber('learnRate')}
              disabled={running !== null}
              testId="learn-rate"
            />
            <NumberField
              label="L2"
              placeholder={modeDefaults?.l2Regularization}
              value={overrides.l2}
              onChange={setNumber('l2')}
              disabled={running !== null}
              testId="l2"
            />
            <NumberField
              label="Validate every (iterations)"
              placeholder={modeDefaults?.validationFrequency}
              value={overrides.validationFrequency}
              onChange={setNumber('validationFrequency')}
              disabled={running !== null}
              testId="validation-frequency"
            />
            <NumberField
              label="Patience (validations)"
              placeholder={modeDefaults?.validationPatience}
              value={overrides.patience}
              onChange={setNumber('patience')}
              disabled={running !== null}
              testId="patience"
            />
            <NumberField
              label="Seed"
              placeholder={modeDefaults?.seed}
              value={overrides.seed}
              onChange={setNumber('seed')}
              disabled={running !== null}
              testId="seed"
            />
            {mode === 'frozen' && (
              <NumberField
                label="Augmented views"
                placeholder={defaults.data?.augmentedViews}
                value={overrides.views}
                onChange={setNumber('views')}
                disabled={running !== null}
                testId="views"
              />
            )}
          </Stack>
          {mode === 'frozen' && (
            <FormControlLabel
              control={
                <Switch
                  checked={overrides.choose !== false}
                  onChange={(e) => setOverrides((current) => ({ ...current, choose: e.target.checked }))}
                  disabled={running !== null}
                  slotProps={{ input: { 'data-testid': 'choose-settings' } as object }}
                />
              }
              label="Choose the learn rate, L2 and epochs left empty on held-out training images"
            />
          )}
          {modeDefaults && defaults.data && (
            <Typography variant="caption" color="text.secondary" data-testid="mode-defaults">
              {defaultsSentence(mode, modeDefaults, defaults.data.search, mode === 'frozen' && overrides.choose !== false)}
            </Typography>
          )}
          {problems.length > 0 && running === null && (
            <Alert severity="info" data-testid="train-problems">
              {problems.join(' ')}
            </Alert>
          )}
          <Stack direction="row" spacing={1}>
            <Button variant="contained" onClick={start} disabled={running !== null || problems.length > 0} data-testid="train-button">
              Start training
            </Button>
            {running !== null && (
              <Button
                variant="outlined"
                color="warning"
                disabled={running.cancelling}
                onClick={watched.cancel}
                data-testid="train-cancel-button"
              >
                {running.cancelling ? 'Cancelling…' : 'Cancel'}
              </Button>
            )}
          </Stack>
          {running !== null && (
            <>
              <ProgressLine estimate={running.estimate} label="Training" testId="train-progress" />
              {imagesPerSecond !== undefined && (
                <Typography variant="body2" color="text.secondary" data-testid="images-per-second">
                  {imagesPerSecondWords(imagesPerSecond)}
                </Typography>
              )}
            </>
          )}
          {run.status === 'done' && <TrainSummary result={run.result} />}
          {run.status === 'cancelled' && (
            <Alert severity="info" data-testid="train-cancelled">
              Training cancelled; the run is recorded as cancelled.
            </Alert>
          )}
          {run.status === 'failed' && <TrainError error={run.error} />}
        </Stack>
      </Paper>
      {(points.length > 0 || running !== null) && (
        <Paper sx={{ p: 2 }} component="section" aria-label="Training progress">
          <Typography variant="h6" gutterBottom>
            Training progress
          </Typography>
          <TrainingChart points={points} />
        </Paper>
      )}
      <RunsList version={runsVersion} onResume={resume} canResume={running === null} />
    </Stack>
  );
}

/** What the run will do with the fields left empty, in a sentence. */
function defaultsSentence(mode: Mode, settings: TrainingSettingsValues, search: TrainingDefaults['search'], choosing: boolean): string {
  const optimiser = `SGD with momentum ${settings.momentum}, mini-batch ${settings.batchSize}, the new layer's learn rate ×${settings.headLearnRateFactor}`;
  if (choosing) {
    return (
      `Defaults for this mode: ${optimiser}. The learn rate, L2 and epochs left empty are chosen on a held-out ${Math.round(search.heldOutFraction * 100)}% of the training images, ` +
      `never on the validation images: learn rate ${search.learnRate.join(' or ')}, L2 ${search.l2Regularization.join(', ')}, each trained with early stopping there; ` +
      `the lowest held-out loss wins, and the new layer then trains on every training image for the epochs it took, keeping the last weights. ` +
      `A temperature for calibrated scores is fitted on the same held-out images.`
    );
  }
  return (
    `Defaults for this mode: ${optimiser}, learn rate ${settings.learnRate}, L2 ${settings.l2Regularization}, at most ${settings.maxEpochs} epochs, ` +
    `validation every ${settings.validationFrequency} iterations, stop after ${settings.validationPatience} validations without a lower loss, best weights kept` +
    (mode === 'frozen' ? ' (the example’s rule: the validation images choose the weights).' : '.')
  );
}

const missingWeights = z.object({ missingWeights: z.object({ title: z.string(), path: z.string(), given: z.boolean() }) });

/**
 * Why the start failed. Missing weights get the app's own advice (the Download button, a folder to
 * choose), where the service's message speaks to the command line.
 */
function TrainError({ error }: { error: AppError }): ReactNode {
  const missing = missingWeights.safeParse(error.details);
  if (!missing.success) return <ErrorAlert error={error} data-testid="train-error" />;
  const { title, path, given } = missing.data.missingWeights;
  return (
    <Alert severity="error" data-testid="train-error" data-code={error.code}>
      {given
        ? `No ${title} weights at ${path}. Choose a folder that holds them (model.json and shards, or weights.h5) under “Backbone weights”, or clear that field and use Download.`
        : `No ${title} weights in the app’s models folder (${path}). Click Download above to fetch them, or choose a folder that holds them under “Backbone weights”.`}
    </Alert>
  );
}

function TrainSummary({ result }: { result: TrainResult }): ReactNode {
  return (
    <Alert severity={result.sparseClasses.length > 0 ? 'warning' : 'success'} data-testid="train-result" data-run-id={result.runId}>
      Run <strong>{result.runId}</strong> finished on {result.backend}: best validation loss {result.bestValidationLoss.toFixed(4)},{' '}
      {result.images.train} training and {result.images.val} validation images, {formatDuration(result.seconds)}.
      {result.search !== null &&
        ` Chosen on ${result.search.heldOutImages} held-out training images: learn rate ${result.search.chosen.learnRate}, L2 ${result.search.chosen.l2Regularization}, ${result.search.chosen.epochs} epochs.`}
      {result.skipped.length > 0 &&
        ` ${result.skipped.length} image(s) were left out (${skippedCounts(result.skipped)}): ${result.skipped.map((s) => `${baseName(s.path)} (${s.kind})`).join(', ')}.`}
      {result.sparseClasses.length > 0 && ` ${sparseClassesSentence(result.sparseClasses, 'training images')}`}
    </Alert>
  );
}

function FileSelect({
  label,
  files,
  value,
  onChange,
  testId,
  disabled,
}: {
  label: string;
  files: readonly ImportedFile[];
  value: number | '';
  onChange: (id: number) => void;
  testId: string;
  disabled: boolean;
}): ReactNode {
  const options = useMemo(
    () => files.map((f) => ({ id: f.fileId, label: `${baseName(f.path)} (${f.images.toLocaleString('en-US')} images)` })),
    [files],
  );
  return (
    <TextField
      select
      label={label}
      value={options.some((o) => o.id === value) ? value : ''}
      onChange={(e) => onChange(Number(e.target.value))}
      sx={{ flex: 1 }}
      disabled={disabled}
      slotProps={{ htmlInput: { 'data-testid': testId } }}
    >
      {options.map((o) => (
        <MenuItem key={o.id} value={o.id}>
          {o.label}
        </MenuItem>
      ))}
    </TextField>
  );
}

function NumberField({
  label,
  placeholder,
  value,
  onChange,
  disabled,
  testId,
}: {
  label: string;
  placeholder: number | undefined;
  /** The kept value, shown when the field appears (typing is the field's own until then). */
  value: number | undefined;
  onChange: (event: { target: { value: string } }) => void;
  disabled: boolean;
  testId: string;
}): ReactNode {
  return (
    <TextField
      label={label}
      type="number"
      placeholder={placeholder === undefined ? '' : String(placeholder)}
      defaultValue={value ?? ''}
      onChange={onChange}
      disabled={disabled}
      sx={{ width: 160 }}
      slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': testId, step: 'any', min: 0 } }}
    />
  );
}
