import type { RunCalibration } from '../../shared/contract/calibration';
import type { CalibrationFigures } from '../../shared/domain/calibration';
import { tunedThresholdFloor, type Metrics, type ThresholdMetrics, type TunedThreshold } from '../../shared/domain/metrics';
import { smooth } from '../../shared/domain/smoothing';
import type { HistoryPoint } from '../db/runs-store';
import { escapeText as e, safeImageUrl } from './escape';
import { barChart, lineChart, reliabilityDiagram, thin, type Series } from './svg';

/** One run as the report shows it: what it was, how it was trained, and its figures at the threshold. */
export interface ReportRun {
  runId: string;
  name: string;
  status: string;
  mode: string;
  backbone: string;
  backend: string | null;
  createdAt: string;
  finishedAt: string | null;
  seconds: number | null;
  bestValidationLoss: number | null;
  bestIteration: number | null;
  iterations: number | null;
  classes: string[];
  images: { train: number; val: number };
  train: { annotations: string; images: string };
  val: { annotations: string; images: string };
  /** The training settings the run used (learn rate, batch…), null where it recorded none. */
  settings: Record<string, unknown> | null;
  augmentedViews: number | null;
  weights: string | null;
  /** Its figures at the report's threshold, null where it has no validation scores. */
  metrics: Metrics | null;
}

export interface GradCamTile {
  class: string;
  kind: 'tp' | 'fp' | 'fn';
  fileName: string;
  score: number;
  /** The image and its overlay, as data: URLs. */
  image: string;
  png: string;
}

export interface ReportData {
  generatedAt: string;
  appVersion: string;
  threshold: number;
  run: ReportRun;
  compare: ReportRun[];
  /** The class balance of the run's training annotations, from the cache; null where they are gone. */
  dataset: {
    annotations: string;
    images: number;
    perClass: Record<string, number>;
    labelsPerImage: { histogram: Record<string, number>; mean: number };
  } | null;
  history: HistoryPoint[];
  /** The training histories of the compared runs, in `compare`'s order, to overlay on the run's. */
  compareHistories: HistoryPoint[][];
  /** Exactly what `mlw evaluate` computes for the run at the threshold. */
  metrics: Metrics;
  images: number;
  source: { annotations: string; images: string; validation: boolean };
  /** ECE overall and per class, the reliability bins and the example's loss of the same scores. */
  calibration: CalibrationFigures;
  /** The run's temperature scaling (fitted on held-out training images), null where it has none. */
  temperature: RunCalibration | null;
  /** The same figures with the scores scaled by that temperature; null where the run has none. */
  scaled: CalibrationFigures | null;
  /** The sweep every 0.01, for the lines of the threshold plots (`metrics.sweep` gives the stars). */
  fineSweep: ThresholdMetrics[];
  tuned: TunedThreshold[];
  gradcam: GradCamTile[];
  notes: string[];
}

const colors = { train: '#1f77b4', smooth: '#0b4f8a', val: '#d62728', bar: '#4c78a8', star: '#e45756', threshold: '#2ca02c' };

/** A figure as the CLI prints it: four decimals, a dash where there is none. */
export function formatFigure(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(4);
}

const kindNames = { tp: 'true positive', fp: 'false positive', fn: 'false negative' } as const;

/** The whole report: one HTML document with its styles, charts and images inside it. */
export function renderReport(data: ReportData): string {
  const sections: [id: string, title: string, body: string][] = [
    ['configuration', data.compare.length > 0 ? 'Configuration, side by side' : 'Configuration', configuration(data)],
    ['dataset', 'Dataset', dataset(data)],
    ['training', 'Training curves', training(data)],
    [
      'metrics',
      `Metrics at threshold ${data.threshold} (one threshold for every class; the tuned ones are in “Per class”)`,
      headline(data),
    ],
    ['calibration', 'Calibration', calibrationSection(data)],
    ['sweep', 'Threshold study', sweep(data)],
    ['classes', 'Per class', perClassTable(data)],
    ['confusion', 'Confusion matrix per class', confusionTiles(data)],
    ['gradcam', 'Grad-CAM', gradcam(data)],
  ];
  if (data.notes.length > 0) {
    sections.push(['notes', 'Notes', `<ul class="notes">${data.notes.map((note) => `<li>${e(note)}</li>`).join('')}</ul>`]);
  }
  const r = data.run;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Multilabel Workbench ${e(data.appVersion)}">
<title>${e(`Report: ${r.name} (${r.runId})`)}</title>
<style>${reportStyles}</style>
</head>
<body>
<header>
<h1>${e(r.name)}</h1>
<p class="lead">Run <code>${e(r.runId)}</code>: ${e(r.mode)} on ${e(r.backbone)}, ${r.classes.length} classes, judged at threshold <b data-metric="threshold">${e(data.threshold)}</b> on ${data.images.toLocaleString('en-US')} ${data.source.validation ? 'validation ' : ''}images.</p>
<p class="meta">Generated ${e(data.generatedAt)} by Multilabel Workbench ${e(data.appVersion)}. The figures are computed with the same functions as <code>mlw evaluate</code>; the metrics are also beside this file as CSV and JSON.</p>
<nav>${sections.map(([id, title], i) => `<a href="#${id}">${i + 1}. ${e(title)}</a>`).join('')}</nav>
</header>
<main>
${sections.map(([id, title, body]) => `<section id="${id}">\n<h2>${e(title)}</h2>\n${body}\n</section>`).join('\n')}
</main>
</body>
</html>
`;
}

function configuration(data: ReportData): string {
  const runs = [data.run, ...data.compare];
  const setting = (run: ReportRun, key: string): string => {
    const value = run.settings?.[key];
    return value === undefined || value === null ? '—' : e(String(value));
  };
  const rows: [string, (run: ReportRun) => string][] = [
    ['Run', (run) => `<code>${e(run.runId)}</code>`],
    ['Name', (run) => e(run.name)],
    ['Status', (run) => e(run.status)],
    ['Mode', (run) => e(run.mode)],
    ['Backbone', (run) => e(run.backbone)],
    ['Backend', (run) => e(run.backend ?? '—')],
    ['Weights', (run) => (run.weights === null ? '—' : `<code>${e(run.weights)}</code>`)],
    ['Classes', (run) => e(run.classes.join(', '))],
    ['Training images', (run) => e(run.images.train.toLocaleString('en-US'))],
    ['Validation images', (run) => e(run.images.val.toLocaleString('en-US'))],
    ['Training annotations', (run) => `<code>${e(run.train.annotations || '—')}</code>`],
    ['Validation annotations', (run) => `<code>${e(run.val.annotations || '—')}</code>`],
    ['Learn rate', (run) => setting(run, 'learnRate')],
    ['Momentum', (run) => setting(run, 'momentum')],
    ['L2 regularisation', (run) => setting(run, 'l2Regularization')],
    ['Mini-batch', (run) => setting(run, 'batchSize')],
    ['Most epochs', (run) => setting(run, 'maxEpochs')],
    ['Validation every', (run) => setting(run, 'validationFrequency')],
    ['Validation patience', (run) => setting(run, 'validationPatience')],
    ['Head learn-rate factor', (run) => setting(run, 'headLearnRateFactor')],
    ['Seed', (run) => setting(run, 'seed')],
    ['Augmented views', (run) => (run.augmentedViews === null ? '—' : e(run.augmentedViews))],
    ['Iterations', (run) => (run.iterations === null ? '—' : e(run.iterations.toLocaleString('en-US')))],
    ['Best iteration', (run) => (run.bestIteration === null ? '—' : e(run.bestIteration.toLocaleString('en-US')))],
    ['Best validation loss', (run) => e(formatFigure(run.bestValidationLoss))],
    ['Created', (run) => e(run.createdAt)],
    ['Finished', (run) => e(run.finishedAt ?? '—')],
    ['Time', (run) => (run.seconds === null ? '—' : `${e(run.seconds.toFixed(1))} s`)],
  ];
  const head = runs.length > 1 ? `<thead><tr><th></th>${runs.map((run) => `<th>${e(run.name)}</th>`).join('')}</tr></thead>` : '';
  return `<table class="config">${head}<tbody>${rows
    .map(([label, cell]) => `<tr><th scope="row">${e(label)}</th>${runs.map((run) => `<td>${cell(run)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function dataset(data: ReportData): string {
  const d = data.dataset;
  if (d === null)
    return '<p class="missing">The training annotations of this run are no longer in the cache; import them again to see their class balance.</p>';
  const bars = data.run.classes.map((name) => ({ label: name, value: d.perClass[name] ?? 0 }));
  const histogram = Object.entries(d.labelsPerImage.histogram)
    .map(([labels, images]) => ({ label: labels, value: images }))
    .sort((a, b) => Number(a.label) - Number(b.label));
  return `<p>${d.images.toLocaleString('en-US')} training images (<code>${e(d.annotations)}</code>) contain at least one of the ${data.run.classes.length} classes; an image has <b>${e(d.labelsPerImage.mean.toFixed(4))}</b> of them on average.</p>
<div class="charts">${barChart({
    title: 'Class balance: images per class',
    valueLabel: 'images',
    categoryLabel: 'class',
    bars,
    color: colors.bar,
    orientation: 'horizontal',
  })}${barChart({
    title: 'Labels per image',
    valueLabel: 'images',
    categoryLabel: 'labels in the image',
    bars: histogram,
    color: colors.bar,
    orientation: 'vertical',
  })}</div>`;
}

function training(data: ReportData): string {
  const h = data.history;
  if (h.length === 0) return '<p class="missing">This run recorded no training history.</p>';
  const best = data.run.bestIteration;
  const verticals = best === null ? [] : [{ x: best, label: `best (${best})`, color: colors.threshold }];
  const curve = (title: string, label: string, train: number[], val: (number | null)[]): string => {
    const iterations = h.map((p) => p.iteration);
    const smoothed = smooth(train);
    const series: Series[] = [
      {
        name: 'training (each iteration)',
        points: thin(
          iterations.map((x, i) => [x, train[i]!] as const),
          1200,
        ),
        color: colors.train,
        lineWidth: 1,
        opacity: 0.3,
      },
      {
        name: 'training (smoothed)',
        points: thin(
          iterations.map((x, i) => [x, smoothed[i]!] as const),
          1200,
        ),
        color: colors.smooth,
        lineWidth: 2,
      },
      {
        name: 'validation',
        points: iterations.flatMap((x, i) => (val[i] === null || val[i] === undefined ? [] : [[x, val[i]] as const])),
        color: colors.val,
        markers: 'circle',
        lineWidth: 1.5,
        dash: '5 3',
      },
    ];
    return lineChart({ title, xLabel: 'iteration', yLabel: label, series, verticals, width: 560, height: 320 });
  };
  return `<div class="charts">${curve(
    'Loss (binary cross-entropy)',
    'loss',
    h.map((p) => p.trainLoss),
    h.map((p) => p.valLoss),
  )}${curve(
    'RMSE of the scores',
    'RMSE',
    h.map((p) => p.trainRmse),
    h.map((p) => p.valRmse),
  )}</div>
<p class="caption">Faint: each mini-batch; strong: smoothed (exponential moving average, weight 0.6); red points: validation.</p>${overlaid(data)}`;
}

const runColours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** With compared runs: every run's smoothed training loss and its validation points on one chart. */
function overlaid(data: ReportData): string {
  if (data.compare.length === 0) return '';
  const runs = [
    { run: data.run, history: data.history },
    ...data.compare.map((run, i) => ({ run, history: data.compareHistories[i] ?? [] })),
  ];
  const series: Series[] = runs.flatMap(({ run, history }, i) => {
    const colour = runColours[i % runColours.length]!;
    const smoothed = smooth(history.map((p) => p.trainLoss));
    return [
      {
        name: `${run.name} (training, smoothed)`,
        points: thin(
          history.map((p, k) => [p.iteration, smoothed[k]!] as const),
          1200,
        ),
        color: colour,
        lineWidth: 2,
      },
      {
        name: `${run.name} (validation)`,
        points: history.flatMap((p) => (p.valLoss === null ? [] : [[p.iteration, p.valLoss] as const])),
        color: colour,
        markers: 'circle' as const,
        lineWidth: 1,
        dash: '5 3',
        hideInLegend: true,
      },
    ];
  });
  return `<div class="charts">${lineChart({
    title: 'Loss of the compared runs',
    xLabel: 'iteration',
    yLabel: 'loss',
    series,
    width: 1120,
    height: 360,
  })}</div>
<p class="caption">One colour per run: the line is its smoothed training loss, the dashed points its validation loss.</p>`;
}

const headlineFigures: [keyof Metrics, string][] = [
  ['microF1', 'F1-score (micro)'],
  ['jaccard', 'Jaccard index (per class, as the example)'],
  ['precision', 'Precision (micro)'],
  ['recall', 'Recall (micro)'],
  ['macroPrecision', 'Precision (macro)'],
  ['macroRecall', 'Recall (macro)'],
  ['macroF1', 'F1-score (macro)'],
  ['sampleJaccard', 'Jaccard index (per image)'],
  ['mAP', 'mean average precision'],
];

function headline(data: ReportData): string {
  const m = data.metrics;
  const cards = headlineFigures
    .map(
      ([key, label]) =>
        `<div class="figure"><div class="value" data-metric="${key}">${e(formatFigure(m[key] as number | null))}</div><div class="label">${e(label)}</div></div>`,
    )
    .join('');
  const calibrationCards = (
    [
      ['ece', 'Expected calibration error (15 bins, no threshold)', data.calibration.ece],
      ['validationLoss', 'Validation loss (the example’s, no threshold)', data.calibration.validationLoss],
    ] as const
  )
    .map(
      ([key, label, value]) =>
        `<div class="figure"><div class="value" data-metric="${key}">${e(formatFigure(value))}</div><div class="label">${e(label)}</div></div>`,
    )
    .join('');
  const source = `<p>On ${data.images.toLocaleString('en-US')} ${data.source.validation ? 'validation images' : 'images'} of <code>${e(data.source.annotations)}</code>; a class is predicted when its score is at least ${e(data.threshold)}.</p>`;
  let comparison = '';
  if (data.compare.length > 0) {
    const runs = [data.run, ...data.compare];
    comparison = `<h3>Side by side</h3><table class="numbers"><thead><tr><th>run</th>${headlineFigures
      .map(([, label]) => `<th>${e(label)}</th>`)
      .join('')}</tr></thead><tbody>${runs
      .map(
        (run) =>
          `<tr data-run="${e(run.runId)}"><th scope="row">${e(run.name)}</th>${headlineFigures
            .map(([key]) => `<td>${run.metrics === null ? '—' : e(formatFigure(run.metrics[key] as number | null))}</td>`)
            .join('')}</tr>`,
      )
      .join('')}</tbody></table>`;
  }
  return `${source}<div class="figures">${cards}${calibrationCards}</div>${comparison}`;
}

const sweepPanels: [keyof ThresholdMetrics, string][] = [
  ['microF1', 'F1-score'],
  ['jaccard', 'Jaccard index'],
  ['precision', 'Precision'],
  ['recall', 'Recall'],
];

function sweep(data: ReportData): string {
  const charts = sweepPanels
    .map(([key, title]) =>
      lineChart({
        title,
        xLabel: 'threshold',
        yLabel: title,
        xDomain: [0, 1],
        yDomain: [0, 1],
        width: 400,
        height: 280,
        verticals: [{ x: data.threshold, label: String(data.threshold), color: colors.threshold }],
        series: [
          { name: 'every 0.01', points: data.fineSweep.map((s) => [s.threshold, s[key]] as const), color: colors.train },
          {
            name: 'the example’s 0.1 … 0.9',
            points: data.metrics.sweep.map((s) => [s.threshold, s[key]] as const),
            color: colors.star,
            line: false,
            markers: 'star',
          },
        ],
      }),
    )
    .join('');
  const table = `<table class="numbers sweep"><thead><tr><th>threshold</th>${sweepPanels.map(([, t]) => `<th>${e(t)}</th>`).join('')}</tr></thead><tbody>${data.metrics.sweep
    .map(
      (s) =>
        `<tr><th scope="row">${e(s.threshold.toFixed(1))}</th>${sweepPanels.map(([key]) => `<td>${e(formatFigure(s[key]))}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
  return `<p>As the example’s “Investigate Threshold Value” figure: each figure against the threshold, its 0.1 … 0.9 points as stars, the chosen threshold as a green line.</p><div class="charts">${charts}</div>${table}`;
}

function perClassTable(data: ReportData): string {
  const tuned = new Map(data.tuned.map((t) => [t.class, t]));
  const rows = data.metrics.perClass
    .map((c, j) => {
      const t = tuned.get(c.class);
      const ece = data.calibration.eceByClass[j] ?? null;
      return `<tr data-class="${e(c.class)}"><th scope="row">${e(c.class)}</th><td>${c.positives}</td><td>${e(formatFigure(c.ap))}</td><td>${e(formatFigure(c.precision))}</td><td>${e(formatFigure(c.recall))}</td><td>${e(formatFigure(c.f1))}</td><td>${c.tp}</td><td>${c.fp}</td><td>${c.fn}</td><td>${c.tn}</td><td data-tuned="${t?.tuned ?? false}">${t === undefined ? '—' : t.tuned ? e(t.threshold.toFixed(3)) : `not tuned (global ${e(t.threshold)})`}</td><td>${t === undefined || !t.tuned ? '—' : e(formatFigure(t.f1))}</td><td data-metric="ece">${e(formatFigure(ece))}</td></tr>`;
    })
    .join('');
  return `<table class="numbers"><thead><tr><th>class</th><th>positives</th><th>AP</th><th>precision</th><th>recall</th><th>F1</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th><th>tuned threshold</th><th>F1 there</th><th>ECE</th></tr></thead><tbody>${rows}</tbody></table>
<p class="caption">The tuned threshold maximises the class’s F1 on these same images, so the F1 there is optimistic. It is never below ${tunedThresholdFloor} (lower ones predict the class on nearly every image); a class without positives is not tuned and keeps the global threshold ${e(data.threshold)}. ECE: the class’s expected calibration error over its own scores (15 bins).</p>`;
}

function calibrationSection(data: ReportData): string {
  const c = data.calibration;
  const intro = `<p>How far the scores are from the frequencies they promise. The expected calibration error (ECE) puts every (image, class) pair in one of 15 equal-width score bins and sums, over the bins, the bin’s share of the pairs times the gap between the fraction of its pairs that are labelled and its mean score: <b data-metric="calibration-ece">${e(formatFigure(c.ece))}</b>. The validation loss, the example’s, is per image the sum over classes of the binary cross-entropy (scores clipped to [1e-7, 1 − 1e-7]), averaged over images: <b data-metric="calibration-loss">${e(formatFigure(c.validationLoss))}</b>. Neither depends on the threshold.</p>`;
  const diagrams = [reliabilityDiagram({ title: 'Reliability diagram (scores as trained)', bins: c.reliability, color: colors.bar })];
  const t = data.temperature;
  let scaling = `<p class="caption" data-temperature="none">This run has no temperature: it chose no settings on held-out training images (its settings were given, or it is fine-tuned or imported).</p>`;
  if (t !== null && data.scaled !== null) {
    diagrams.push(
      reliabilityDiagram({
        title: `Reliability diagram (scores scaled by T = ${t.temperature.toFixed(3)})`,
        bins: data.scaled.reliability,
        color: colors.threshold,
      }),
    );
    scaling = `<h3>Temperature scaling</h3><p data-temperature="${e(t.temperature)}">One temperature for every class, <b>T = ${e(t.temperature.toFixed(4))}</b> (score = sigmoid(logit / T)), was fitted on the ${e(t.heldOutImages.toLocaleString('en-US'))} training images held out when the run chose its settings.</p>
<table class="numbers"><thead><tr><th></th><th>ECE</th><th>loss</th></tr></thead><tbody>
<tr data-calibration="held-out-before"><th scope="row">held-out images, as trained</th><td>${e(formatFigure(t.before.ece))}</td><td>${e(formatFigure(t.before.loss))}</td></tr>
<tr data-calibration="held-out-after"><th scope="row">held-out images, scaled by T</th><td>${e(formatFigure(t.after.ece))}</td><td>${e(formatFigure(t.after.loss))}</td></tr>
<tr data-calibration="validation-before"><th scope="row">these images, as trained</th><td>${e(formatFigure(c.ece))}</td><td>${e(formatFigure(c.validationLoss))}</td></tr>
<tr data-calibration="validation-after"><th scope="row">these images, scaled by T</th><td>${e(formatFigure(data.scaled.ece))}</td><td>${e(formatFigure(data.scaled.validationLoss))}</td></tr>
</tbody></table>
<p class="caption">The other figures of this report are of the scores as trained; scaling changes no ranking, so AP and mAP stay as they are.</p>`;
  }
  return `${intro}<div class="charts">${diagrams.join('')}</div>
<p class="caption">Each bar is a score bin, as high as the fraction of its pairs that are labelled; the dot is the bin’s mean score, and a bar whose top meets the dashed diagonal is perfectly calibrated. Under the axis: the pairs in each bin.</p>${scaling}`;
}

function confusionTiles(data: ReportData): string {
  const tiles = data.metrics.perClass
    .map((c) => {
      const largest = Math.max(c.tp, c.fp, c.fn, c.tn, 1);
      const cell = (count: number, right: boolean, label: string): string => {
        const strength = count === 0 ? 0 : 0.12 + 0.78 * (count / largest);
        const rgb = right ? '31, 119, 180' : '214, 39, 40';
        const ink = strength > 0.5 ? '#fff' : '#222';
        return `<td title="${e(label)}" style="background: rgba(${rgb}, ${strength.toFixed(3)}); color: ${ink}">${count.toLocaleString('en-US')}</td>`;
      };
      return `<div class="tile" data-class="${e(c.class)}"><div class="tile-title">${e(c.class)}</div><table class="confusion"><thead><tr><th></th><th>0</th><th>1</th></tr></thead><tbody><tr><th>0</th>${cell(c.tn, true, 'true negatives')}${cell(c.fp, false, 'false positives')}</tr><tr><th>1</th>${cell(c.fn, false, 'false negatives')}${cell(c.tp, true, 'true positives')}</tr></tbody></table><div class="caption">true class in rows, predicted in columns</div></div>`;
    })
    .join('');
  return `<div class="tiles">${tiles}</div>`;
}

function gradcam(data: ReportData): string {
  if (data.gradcam.length === 0) {
    return '<p class="missing">No Grad-CAM tiles: see the notes at the end for why.</p>';
  }
  const tiles = data.gradcam
    .map((t) => {
      const image = safeImageUrl(t.image);
      const overlay = safeImageUrl(t.png);
      return `<figure class="cam" data-class="${e(t.class)}">${image === null ? '' : `<img src="${image}" alt="${e(t.fileName)}">`}${overlay === null ? '' : `<img src="${overlay}" alt="${e(`Grad-CAM of ${t.class} on ${t.fileName}`)}">`}<figcaption><b>${e(t.class)}</b>, ${e(kindNames[t.kind])}: score ${e(t.score.toFixed(4))}<br><span class="file">${e(t.fileName)}</span></figcaption></figure>`;
    })
    .join('');
  return `<p>The most confident true positives of some classes on the validation images: the image, then where the network looked for the class (jet colour map at 50% over the image).</p><div class="cams">${tiles}</div>`;
}

/** The report's stylesheet (exported for its test). */
export const reportStyles = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; background: #f6f7f9; }
header, main { max-width: 1200px; margin: 0 auto; padding: 16px 24px; }
header { background: #fff; border-bottom: 1px solid #ddd; }
h1 { font-size: 24px; margin: 8px 0; }
h2 { font-size: 18px; margin: 0 0 12px; border-bottom: 1px solid #e3e3e3; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
section { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 16px; margin: 16px 0; break-inside: avoid-page; }
.lead { font-size: 15px; }
.meta, .caption { color: #666; font-size: 12px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 8px 0; }
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
table { border-collapse: collapse; }
table.config th, table.config td, table.numbers th, table.numbers td { border: 1px solid #e3e3e3; padding: 4px 8px; text-align: left; vertical-align: top; }
table.config th[scope=row] { background: #fafafa; white-space: nowrap; font-weight: 600; }
table.numbers td { text-align: right; font-variant-numeric: tabular-nums; }
table.numbers thead th { background: #fafafa; }
.sweep { margin-top: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; align-items: start; }
svg.chart { width: 100%; height: auto; border: 1px solid #eee; border-radius: 4px; break-inside: avoid; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px; }
.figure { border: 1px solid #e3e3e3; border-radius: 6px; padding: 10px; }
.figure .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.figure .label { color: #555; font-size: 12px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px; }
.tile { border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px; break-inside: avoid; }
.tile-title { font-weight: 600; text-align: center; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
table.confusion { width: 100%; margin-top: 4px; }
table.confusion td { text-align: center; font-weight: 600; padding: 8px 4px; border: 1px solid #ddd; width: 42%; font-variant-numeric: tabular-nums; }
table.confusion th { font-weight: 400; color: #666; font-size: 12px; }
.cams { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
figure.cam { margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px; break-inside: avoid; }
figure.cam img { width: calc(50% - 4px); height: auto; margin-right: 4px; vertical-align: top; }
figure.cam .file { color: #666; font-size: 12px; word-break: break-all; }
.missing { color: #8a5a00; background: #fff8e1; border: 1px solid #f2d48a; border-radius: 4px; padding: 8px 12px; }
.notes li { margin: 4px 0; }
@media print {
  body { background: #fff; }
  header, main { max-width: none; padding: 0; }
  nav { display: none; }
  section { border: none; padding: 0; margin: 0 0 18px; }
}
`;
