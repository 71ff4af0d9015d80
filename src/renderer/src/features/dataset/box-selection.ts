/** A rectangle in the grid's content coordinates (pixels from the top left of the scrolled content). */
export interface BoxRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The layout of a grid of equal tiles: `columns` per row, rows `rowPitch` apart. */
export interface GridGeometry {
  columns: number;
  tileWidth: number;
  tileHeight: number;
  /** Horizontal space between two tiles of a row. */
  columnGap: number;
  /** Distance from the top of one row to the top of the next (tile height plus the gap between rows). */
  rowPitch: number;
  /** Number of tiles; the last row may be partly filled. */
  total: number;
}

/** The rectangle spanned by two corners, in whatever order they were given. */
export function boxFromPoints(a: { x: number; y: number }, b: { x: number; y: number }): BoxRect {
  return { left: Math.min(a.x, b.x), top: Math.min(a.y, b.y), right: Math.max(a.x, b.x), bottom: Math.max(a.y, b.y) };
}

/**
 * The indices of the tiles a rectangle touches (overlaps by more than an edge), in ascending order.
 * Computed from the geometry alone, so rows that a virtualised grid has not rendered count too; a
 * rectangle that lies only in the gaps touches nothing.
 */
export function tilesInBox(box: BoxRect, grid: GridGeometry): number[] {
  const { columns, tileWidth, tileHeight, columnGap, rowPitch, total } = grid;
  if (columns < 1 || total < 1 || tileWidth <= 0 || tileHeight <= 0 || rowPitch <= 0) return [];
  if (box.right <= box.left || box.bottom <= box.top) return [];
  const columnPitch = tileWidth + columnGap;
  const rowCount = Math.ceil(total / columns);
  const firstRow = Math.max(0, Math.floor(box.top / rowPitch));
  const lastRow = Math.min(rowCount - 1, Math.floor(box.bottom / rowPitch));
  const firstColumn = Math.max(0, Math.floor(box.left / columnPitch));
  const lastColumn = Math.min(columns - 1, Math.floor(box.right / columnPitch));
  const indices: number[] = [];
  for (let row = firstRow; row <= lastRow; row++) {
    const top = row * rowPitch;
    if (!(box.top < top + tileHeight && box.bottom > top)) continue;
    for (let column = firstColumn; column <= lastColumn; column++) {
      const left = column * columnPitch;
      if (!(box.left < left + tileWidth && box.right > left)) continue;
      const index = row * columns + column;
      if (index < total) indices.push(index);
    }
  }
  return indices;
}
