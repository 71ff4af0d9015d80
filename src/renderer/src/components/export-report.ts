import type { ReportRequest } from '../../../shared/contract/reports';

/** The report's file name: the run and threshold, and how many runs it compares with. */
export function reportFileName(runId: string, threshold: number, compare: readonly string[] = []): string {
  return `report-${runId}${compare.length === 0 ? '' : `-vs-${compare.length}`}-t${threshold.toFixed(2)}.html`;
}

/** `reports.report`'s request: the first run, the others beside it, and where the HTML goes (inline without a path). */
export function reportRequestOf(runId: string, threshold: number, compare: readonly string[], outPath?: string): ReportRequest {
  return { runId, threshold, ...(compare.length === 0 ? {} : { compare: [...compare] }), ...(outPath === undefined ? {} : { outPath }) };
}
