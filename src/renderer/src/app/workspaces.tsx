import type { ReactNode } from 'react';
import { DatasetIcon, EvaluateIcon, PredictIcon, RunsIcon, TrainIcon } from '../components/icons';
import { DatasetWorkspace } from '../features/dataset/dataset-workspace';
import { EvaluateWorkspace } from '../features/evaluate/evaluate-workspace';
import { PredictWorkspace } from '../features/predict/predict-workspace';
import { RunsWorkspace } from '../features/runs/runs-workspace';
import { TrainWorkspace } from '../features/train/train-workspace';

/** One entry of the left navigation. */
export interface Workspace {
  /** Also the URL hash (`#dataset`), so a reload returns to the same workspace. */
  id: string;
  label: string;
  icon: ReactNode;
  render: () => ReactNode;
}

export const workspaces: readonly Workspace[] = [
  { id: 'dataset', label: 'Dataset', icon: <DatasetIcon />, render: () => <DatasetWorkspace /> },
  { id: 'train', label: 'Train', icon: <TrainIcon />, render: () => <TrainWorkspace /> },
  { id: 'evaluate', label: 'Evaluate', icon: <EvaluateIcon />, render: () => <EvaluateWorkspace /> },
  { id: 'predict', label: 'Predict', icon: <PredictIcon />, render: () => <PredictWorkspace /> },
  { id: 'runs', label: 'Runs', icon: <RunsIcon />, render: () => <RunsWorkspace /> },
];
