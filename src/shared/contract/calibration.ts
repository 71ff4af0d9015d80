import { z } from 'zod';

/**
 * How the frozen mode chose its head's learn rate, L2 and epochs when the user left them to it: a
 * seeded part of the training images held out, a small grid trained on the rest, the lowest
 * held-out loss taken, and the head trained again on every training image with those values.
 */
export const headSearch = z.object({
  /** The held-out share of the training images, and the images on each side. */
  heldOutFraction: z.number(),
  fitImages: z.number().int(),
  heldOutImages: z.number().int(),
  /** Every setting tried, with its lowest held-out loss (the example's loss) and the epochs it took to get there. */
  tried: z.array(
    z.object({
      learnRate: z.number(),
      l2Regularization: z.number(),
      heldOutLoss: z.number(),
      epochs: z.number().int(),
    }),
  ),
  chosen: z.object({ learnRate: z.number(), l2Regularization: z.number(), epochs: z.number().int() }),
  seconds: z.number(),
});
export type HeadSearch = z.infer<typeof headSearch>;

/** Expected calibration error and the example's loss of a set of scores. */
export const calibrationFigures = z.object({ ece: z.number(), loss: z.number() });

/**
 * Temperature scaling of a run (one temperature T for every class: score = sigmoid(logit / T)),
 * fitted on the held-out training images with the head trained without them; the figures are
 * those images' before and after.
 */
export const runCalibration = z.object({
  temperature: z.number().positive(),
  heldOutImages: z.number().int(),
  before: calibrationFigures,
  after: calibrationFigures,
});
export type RunCalibration = z.infer<typeof runCalibration>;
