import { escapeTraces } from './plot-text';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Skeleton from '@mui/material/Skeleton';
import type * as PlotlyTypes from 'plotly.js';
import { useEffect, useRef, useState, type HTMLAttributes, type ReactNode } from 'react';

type PlotlyApi = typeof PlotlyTypes;

let plotlyModule: PlotlyApi | null = null;
let plotlyLoading: Promise<PlotlyApi> | null = null;

/**
 * Plotly's basic bundle (bar, scatter and pie traces: all the app draws) is 1.2 MB: not in the app's
 * first bundle, but loaded when a chart is shown or, earlier, when the page is idle after its first
 * paint (see preloadPlotlyWhenIdle). The full bundle (4.8 MB, with maps and WebGL traces) took about
 * 0.9 s of the main thread to evaluate.
 */
function loadPlotly(): Promise<PlotlyApi> {
  plotlyLoading ??= import('plotly.js-basic-dist-min').then((loaded) => {
    // A UMD bundle: depending on the bundler's interop the API is the default export or the module.
    const candidate = loaded as unknown as PlotlyApi & { default?: PlotlyApi };
    plotlyModule = candidate.default ?? candidate;
    return plotlyModule;
  });
  return plotlyLoading;
}

/**
 * Loads Plotly once the page has painted and is idle, so that evaluating it happens before the
 * first chart is needed instead of freezing the page when it is. Returns a function that cancels a
 * preload not yet started.
 */
export function preloadPlotlyWhenIdle(): () => void {
  if (plotlyLoading !== null) return () => undefined;
  const start = (): void => {
    loadPlotly().catch(() => {
      // A chart that needs it reports the failure; a preload retries nothing.
      plotlyLoading = null;
    });
  };
  if (typeof window.requestIdleCallback === 'function') {
    const handle = window.requestIdleCallback(start, { timeout: 2000 });
    return () => window.cancelIdleCallback(handle);
  }
  const timer = window.setTimeout(start, 300);
  return () => window.clearTimeout(timer);
}

export type PlotProps = {
  data: PlotlyTypes.Data[];
  layout: Partial<PlotlyTypes.Layout>;
  config?: Partial<PlotlyTypes.Config>;
  height: number;
} & Omit<HTMLAttributes<HTMLDivElement>, 'children'> & { [attribute: `data-${string}`]: string | number | undefined };

/**
 * One Plotly chart: `Plotly.react` on every change of data or layout (pass memoised values),
 * resized with its container, purged on unmount.
 */
export function Plot({ data, layout, config, height, style, ...divProps }: PlotProps): ReactNode {
  const container = useRef<HTMLDivElement>(null);
  const [plotly, setPlotly] = useState<PlotlyApi | null>(plotlyModule);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    if (plotly !== null) return;
    let live = true;
    loadPlotly().then(
      (loaded) => live && setPlotly(() => loaded),
      (error: unknown) => live && setLoadError(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      live = false;
    };
  }, [plotly]);

  useEffect(() => {
    const element = container.current;
    if (plotly === null || element === null) return;
    const observer = new ResizeObserver(() => {
      // Rejects when the chart is hidden (a collapsed panel); it is redrawn when shown again.
      Promise.resolve(plotly.Plots.resize(element)).catch(() => undefined);
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plotly.purge(element);
    };
  }, [plotly]);

  useEffect(() => {
    const element = container.current;
    if (plotly === null || element === null) return;
    plotly
      .react(element, escapeTraces(data), { autosize: true, height, ...layout }, { displaylogo: false, responsive: true, ...config })
      .catch(() => undefined);
  }, [plotly, data, layout, config, height]);

  return (
    <Box {...divProps} style={{ ...style, position: 'relative', width: '100%', minHeight: height }}>
      {loadError !== null && <Alert severity="error">The chart library could not be loaded: {loadError}</Alert>}
      {plotly === null && loadError === null && (
        <Skeleton variant="rectangular" height={height} sx={{ position: 'absolute', inset: 0 }} aria-label="Loading chart" />
      )}
      <div ref={container} style={{ width: '100%', height }} />
    </Box>
  );
}
