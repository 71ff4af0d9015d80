/**
 * The engine's public entry point: what the services (and through them the app, the CLI and the
 * server) use. Everything else in these folders is the engine's own and is reached by the engine
 * process (process/engine.worker.ts) or by tests; a lint rule keeps code outside the engine to this
 * file. The worker entries themselves (process/engine.worker.ts, images/decode.worker.ts) are
 * bundled by path (electron.vite.config.ts, scripts/build-cli.mjs), not imported.
 */
export { downloadLayersModel, downloadWeightsFile } from './models/download';
export { checkExportTarget, exportManifestFile } from './models/export-model';
export { onnxModelFile, readOnnxModelFacts } from './models/onnx-model-file';
export { readLayersFolder } from './models/layers-folder';
export { backbones, backboneSpec, finetuneFits, h5WeightsFile, locateWeights, type BackboneSpec } from './models/zoo';
export type { RunNetwork } from './inference/run-network';
export { readCheckpoint, readStateFile } from './training/checkpoint-file';
export { exampleTraining, frozenTraining } from './training/train-head';
export { heldOutFraction, searchGrid } from './training/head-search';
export type { TrainingSettings } from './training/types';
export { startEngine, type EngineSpawner } from './process/engine-host';
export { unreadableImageError } from './images/image-errors';
