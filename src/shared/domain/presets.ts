/** The 12 categories of MATLAB's "Multilabel Image Classification Using Deep Learning" example, in its order. */
export const referenceExampleCategories = [
  'dog',
  'cat',
  'bird',
  'horse',
  'sheep',
  'cow',
  'bear',
  'giraffe',
  'zebra',
  'elephant',
  'potted plant',
  'couch',
] as const;
