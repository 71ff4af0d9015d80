/**
 * Plotly renders a little HTML in chart text (`<a href>`, `<b>`, `<br>`), so a category name from
 * someone's COCO file could become a clickable link. Every string a trace shows is escaped here
 * (`<` and `>` as entities, which Plotly shows as the characters); numbers are left as they are.
 */
const shownKeys = ['name', 'x', 'y', 'text', 'hovertext', 'labels', 'ids'] as const;

export function escapePlotText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeValue(value: unknown): unknown {
  if (typeof value === 'string') return escapePlotText(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? escapePlotText(v) : v));
  return value;
}

/** The traces with every shown string escaped (a copy; the caller's data is not changed). */
export function escapeTraces<T extends object>(traces: readonly T[]): T[] {
  return traces.map((trace) => {
    const copy: Record<string, unknown> = { ...(trace as Record<string, unknown>) };
    for (const key of shownKeys) if (key in copy) copy[key] = escapeValue(copy[key]);
    return copy as T;
  });
}
