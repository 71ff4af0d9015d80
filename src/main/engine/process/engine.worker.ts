// The engine process: TensorFlow.js and its native or WebAssembly backend live here, so that a
// crash or an out-of-memory abort ends this process and not the app. It serves the engine contract
// over the parent's message channel (child_process IPC, or Electron's utilityProcess port).
import type { Protocol, RpcMessage } from '../../../shared/rpc/protocol';
import { serveContract } from '../../../shared/rpc/server';
import { loadEngine } from './backend';
import { engineContract, type EngineContract } from './engine-contract';
import { readCheckpoint, readStateFile, writeCheckpoint, writeStateFile } from '../training/checkpoint-file';
import { trainFrozen } from '../training/train-frozen';
import type * as Tf from '@tensorflow/tfjs';
import type { SymbolicTensor } from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { HandlerContext, Progress } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import { loadBackbone } from '../models/architectures/load-backbone';
import { saveLayersFolder } from '../models/layers-folder';
import { DecodePool, defaultDecodeThreads } from '../images/decode-pool';
import { exampleAugmentation, useDecodePool } from '../images/preprocess';
import { exportModel } from '../models/export-model';
import { exportOnnxModel } from '../models/onnx-model-file';
import { inferenceStatus } from '../inference/onnx-runtime';
import { gradCamOfImage, scoreImages } from '../inference/run-network';
import { trainFinetune, type FinetuneCheckpoint } from '../training/train-finetune';
import type { IterationReport } from '../training/types';
import { backboneSpec, finetuneFits, type BackboneSpec } from '../models/zoo';

// Nothing but the protocol may reach the parent's stdout (TensorFlow.js greets on console.log).
console.log = console.error;
console.info = console.error;
console.warn = console.error;

// Images are decoded on worker threads, on the cores TensorFlow.js leaves free (started on first use).
useDecodePool(new DecodePool(defaultDecodeThreads(inferenceStatus().runtime === 'onnxruntime')));

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function parentProtocol(): Protocol {
  const electronPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (electronPort) {
    return {
      send: (message: RpcMessage) => electronPort.postMessage(message),
      onMessage: (listener) => {
        electronPort.on('message', (event) => listener(event.data));
        return () => undefined;
      },
    };
  }
  if (typeof process.send !== 'function') throw new Error('The engine worker must be started by the app (it has no parent channel).');
  return {
    send: (message: RpcMessage) => process.send!(message),
    onMessage: (listener) => {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
}

serveContract(parentProtocol(), engineContract, {
  engine: {
    status: async () => ({ ...(await loadEngine()).status, inference: inferenceStatus() }),
    trainFrozen: async ({ checkpointPath, resume, ...input }, context) =>
      trainFrozen({
        ...input,
        ...(resume ? { resumeFrom: await readCheckpoint(checkpointPath) } : {}),
        onCheckpoint: (checkpoint) => writeCheckpoint(checkpointPath, checkpoint),
        signal: context.signal,
        onProgress: context.progress,
        onIteration: (report) => context.progress(iterationProgress(report, 'Training the new layer')),
      }),
    trainFinetune: async ({ checkpointPath, resume, ...input }, context) => {
      const { tf, status } = await loadEngine();
      const spec = backboneSpec(input.backbone);
      // Refuse before loading what WebAssembly memory cannot hold: the backend would abort part-way through the first step.
      const fit = finetuneFits(spec.id, status.backend, input.settings.batchSize);
      if (!fit.fits) throw new AppError('OUT_OF_MEMORY', fit.message, { largestBatch: fit.largestBatch, estimateBytes: fit.estimateBytes });
      // TensorFlow.js trains on this thread: decoding keeps off one core meanwhile.
      const pool = new DecodePool(defaultDecodeThreads(false));
      const previousPool = useDecodePool(pool);
      try {
        return await finetune(tf, status.backend, spec, input, checkpointPath, resume, context);
      } finally {
        useDecodePool(previousPool);
        await pool.close();
      }
    },
    score: async ({ network, paths, cacheDir, acceptDamaged }, context) => {
      const { tf, status } = await loadEngine();
      const { runtime, ...result } = await scoreImages(tf, network, {
        paths,
        cacheDir,
        acceptDamaged,
        signal: context.signal,
        onProgress: context.progress,
      });
      return { ...result, backend: runtime === 'onnxruntime' ? 'onnxruntime' : status.backend };
    },
    gradCam: async ({ network, path, classIndices, acceptDamaged }) => {
      const { tf } = await loadEngine();
      return gradCamOfImage(tf, network, path, classIndices, acceptDamaged);
    },
    exportModel: async ({ format, ...input }) => {
      const { tf } = await loadEngine();
      return format === 'onnx' ? exportOnnxModel(tf, input) : exportModel(tf, input);
    },
  },
});

type FinetuneInput = Omit<z.infer<EngineContract['engine']['trainFinetune']['input']>, 'checkpointPath' | 'resume'>;

/** Fine-tuning: the backbone's trunk and a new head learn together; the tuned trunk is saved as a Layers folder. */
async function finetune(
  tf: typeof Tf,
  backend: string,
  spec: BackboneSpec,
  input: FinetuneInput,
  checkpointPath: string,
  resume: boolean,
  context: HandlerContext,
) {
  const { model } = await loadBackbone(tf, spec, input.weightsDir);
  const trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(spec.featureLayer).output as SymbolicTensor });
  const started = performance.now();
  const result = await trainFinetune(
    tf,
    { trunk, featureSize: spec.featureSize, preprocessing: spec.preprocessing },
    {
      trainPaths: input.train.paths,
      trainLabels: input.train.labels,
      valPaths: input.val.paths,
      valLabels: input.val.labels,
      classes: input.classes,
    },
    input.settings,
    {
      augmentation: exampleAugmentation,
      signal: context.signal,
      onIteration: (report) => context.progress(iterationProgress(report, 'Fine-tuning every layer')),
      onCheckpoint: (checkpoint) => writeStateFile(checkpointPath, checkpoint),
      ...(resume ? { resumeFrom: await readStateFile<FinetuneCheckpoint>(checkpointPath) } : {}),
    },
  );
  await saveLayersFolder(tf, trunk, input.outputDir);
  return { ...result, backend, seconds: { features: 0, training: (performance.now() - started) / 1000 } };
}

/** A training iteration as progress, with its losses as metrics (the app charts and records them). */
function iterationProgress(report: IterationReport, phase: string): Progress {
  return {
    phase,
    done: report.iteration,
    total: report.iterationsTotal,
    unit: 'iterations',
    metrics: {
      epoch: report.epoch,
      trainLoss: report.trainLoss,
      trainRmse: report.trainRmse,
      imagesPerSecond: report.imagesPerSecond,
      ...(report.valLoss !== undefined ? { valLoss: report.valLoss, valRmse: report.valRmse! } : {}),
    },
  };
}

process.on('disconnect', () => process.exit(0));
