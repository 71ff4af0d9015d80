import { appContract } from './app';
import { cocoContract } from './coco';
import { datasetContract } from './dataset';
import { jobsContract } from './jobs';
import { labelsContract } from './labels';
import { evaluationContract } from './evaluation';
import { predictionContract } from './prediction';
import { reportsContract } from './reports';
import { runsContract } from './runs';
import { trainingContract } from './training';
import type { ContractClient, ContractHandlers } from './define';

/** Every service the renderer, the CLI and tests can call, on every transport. */
export const contract = {
  app: appContract,
  dataset: datasetContract,
  training: trainingContract,
  evaluation: evaluationContract,
  prediction: predictionContract,
  reports: reportsContract,
  runs: runsContract,
  labels: labelsContract,
  jobs: jobsContract,
  coco: cocoContract,
} as const;

export type Contract = typeof contract;
export type Api = ContractClient<Contract>;
export type ApiHandlers = ContractHandlers<Contract>;

export * from './define';
export * from './errors';
export * from './app';
export * from './dataset';
export * from './training';
export * from './evaluation';
export * from './prediction';
export * from './reports';
export * from './runs';
export * from './jobs';
export * from './labels';
export * from './skipped';
export * from './calibration';
export * from './coco';
