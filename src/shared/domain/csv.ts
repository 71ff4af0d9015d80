/** A cell of a table written as CSV or tab-separated text. */
export type TableCell = string | number | null;

/**
 * Text a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return:
 * a class named "=HYPERLINK(…)") gets a leading apostrophe, as OWASP recommends for CSV injection;
 * numbers are written as they are, negative ones included.
 */
function neutralised(cell: string | number): string {
  const text = String(cell);
  return typeof cell === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One CSV field (RFC 4180: quoted when it holds a comma, a quote or a line break), formulas neutralised. */
export function csvField(cell: TableCell): string {
  if (cell === null) return '';
  const text = neutralised(cell);
  const quoted = /[",\r\n]/.test(text) || text !== String(cell);
  return quoted ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One field of tab-separated text (what a spreadsheet takes from the clipboard), formulas neutralised. */
export function tsvField(cell: TableCell): string {
  return cell === null ? '' : neutralised(cell).replace(/[\t\r\n]+/g, ' ');
}
