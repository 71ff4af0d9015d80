import type { Progress } from '../../shared/contract/define';
import { formatBytes, formatDuration } from '../../shared/domain/format';
import { createProgressEstimator, type ProgressWithEstimate } from '../../shared/domain/progress-estimate';

/**
 * Progress on stderr: one line redrawn in place on a terminal; on a pipe or a log, a line at most
 * every few seconds so CI logs stay readable.
 */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): { report: (p: Progress) => void; done: () => void } {
  const estimate = createProgressEstimator();
  let lastLine = 0;
  let drawn = false;
  const interactive = stream.isTTY === true;
  return {
    report(progress) {
      const now = Date.now();
      const estimated = estimate(progress);
      if (!interactive && now - lastLine < 2000 && progress.done < progress.total) return;
      lastLine = now;
      const line = formatProgress(estimated);
      if (interactive) {
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

export function formatProgress({ progress, etaSeconds, estimating }: ProgressWithEstimate): string {
  const amount = (n: number): string => (progress.unit === 'bytes' ? formatBytes(n) : n.toLocaleString('en-US'));
  if (progress.total <= 0) {
    const soFar = progress.done > 0 ? `: ${amount(progress.done)}` : '…';
    return `${progress.phase}${soFar}${progress.message ? ` (${progress.message})` : ''}`;
  }
  const fraction = Math.min(1, progress.done / progress.total);
  const eta = etaSeconds !== null ? `, about ${formatDuration(etaSeconds)} left` : estimating ? ', estimating time left…' : '';
  return `${progress.phase}: ${amount(progress.done)} of ${amount(progress.total)} (${(fraction * 100).toFixed(0)}%${eta})`;
}
