// Tableau colours dark enough for text on white, distinct enough for the reference example's 12 classes; beyond that they repeat.
const palette = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#17becf',
] as const;

/** The colour of the class at `index` in the selection, the same in chips, boxes and legends. */
export function categoryColor(index: number): string {
  return palette[((index % palette.length) + palette.length) % palette.length]!;
}

/** Unselected categories: drawn but not competing for attention. */
export const unselectedColor = '#9e9e9e';
