import type { ReactNode } from 'react';
import { DatasetIcon } from '../components/icons';
import { DatasetWorkspace } from '../features/dataset/dataset-workspace';

/** One entry of the left navigation. Add Train, Evaluate, Predict and Runs here as they are built. */
export interface Workspace {
  /** Also the URL hash (`#dataset`), so a reload returns to the same workspace. */
  id: string;
  label: string;
  icon: ReactNode;
  render: () => ReactNode;
}

export const workspaces: readonly Workspace[] = [
  { id: 'dataset', label: 'Dataset', icon: <DatasetIcon />, render: () => <DatasetWorkspace /> },
];
