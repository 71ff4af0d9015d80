// The fuzz process (see run-fuzz.ts): sets up one target's seeds, then makes and runs the inputs the
// runner asks for, one at a time, saying what each input is before the reader sees it.
import { inputSeed, Rng } from './mutate';
import type { FromChild, TargetName, ToChild } from './protocol';
import type { FuzzTarget } from './target';

const [target, group, seedText, workDir] = process.argv.slice(2) as [TargetName, string, string, string];
const seed = Number(seedText);

function send(message: FromChild): void {
  process.send?.(message);
}

async function load(name: TargetName): Promise<FuzzTarget> {
  switch (name) {
    case 'coco':
      return (await import('./targets/coco')).cocoTarget;
    case 'layers-folder':
      return (await import('./targets/layers-folder')).layersFolderTarget;
    case 'keras-h5':
      return (await import('./targets/keras-h5')).kerasH5Target;
    case 'jpeg':
      return (await import('./targets/jpeg')).jpegTarget;
    case 'selftest':
      return (await import('./targets/selftest')).selftestTarget;
  }
}

let fuzzTarget: FuzzTarget;
try {
  fuzzTarget = await load(target);
  const { seeds } = await fuzzTarget.setup(group, workDir);
  send({ type: 'ready', seeds });
} catch (error) {
  send({ type: 'setupFailed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}

// One input at a time: the runner sends the next only after this one's answer.
process.on('message', (message: ToChild) => {
  if (message.type !== 'run') return;
  const { index } = message;
  const rng = new Rng(inputSeed(seed, `${target}/${group}`, index));
  fuzzTarget
    .run(index, rng, (description, inputPath) => send({ type: 'start', index, description, inputPath }))
    .then(
      (result) =>
        send({
          type: 'done',
          index,
          outcome: result.outcome,
          tags: result.tags ?? [],
          ...(result.example ? { example: result.example } : {}),
        }),
      (error: unknown) =>
        send({
          type: 'done',
          index,
          outcome: {
            kind: 'failed',
            problem: `the fuzz target itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          },
          tags: [],
        }),
    );
});
process.on('disconnect', () => process.exit(0));
