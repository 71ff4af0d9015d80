import { describe, expect, it } from 'vitest';
import { boxFromPoints, tilesInBox, type GridGeometry } from './box-selection';

// Three columns of 100 × 50 tiles, 10 px apart; rows 60 px apart; 8 tiles (the last row has two).
const grid: GridGeometry = { columns: 3, tileWidth: 100, tileHeight: 50, columnGap: 10, rowPitch: 60, total: 8 };

describe('tilesInBox', () => {
  it('finds the one tile a small rectangle lies in', () => {
    expect(tilesInBox({ left: 20, top: 10, right: 40, bottom: 30 }, grid)).toEqual([0]);
    expect(tilesInBox({ left: 230, top: 70, right: 240, bottom: 80 }, grid)).toEqual([5]);
  });

  it('finds every tile a rectangle touches across rows and columns', () => {
    expect(tilesInBox({ left: 50, top: 40, right: 150, bottom: 70 }, grid)).toEqual([0, 1, 3, 4]);
    expect(tilesInBox({ left: 0, top: 0, right: 1000, bottom: 1000 }, grid)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('touches nothing in the gaps, and needs more than a shared edge', () => {
    // Between columns 0 and 1 (x 100–110), and between rows 0 and 1 (y 50–60).
    expect(tilesInBox({ left: 101, top: 5, right: 109, bottom: 45 }, grid)).toEqual([]);
    expect(tilesInBox({ left: 5, top: 51, right: 300, bottom: 59 }, grid)).toEqual([]);
    expect(tilesInBox({ left: 100, top: 0, right: 110, bottom: 50 }, grid)).toEqual([]);
    // Reaching one pixel into the next column takes it.
    expect(tilesInBox({ left: 101, top: 5, right: 111, bottom: 45 }, grid)).toEqual([1]);
  });

  it('leaves out the empty places of a partly filled last row and rows below the grid', () => {
    expect(tilesInBox({ left: 150, top: 130, right: 330, bottom: 500 }, grid)).toEqual([7]);
    expect(tilesInBox({ left: 0, top: 200, right: 330, bottom: 500 }, grid)).toEqual([]);
  });

  it('counts rows far below the first ones from the geometry alone (a virtualised grid does not render them)', () => {
    const big: GridGeometry = { ...grid, columns: 4, total: 10_000 };
    // Row 1000 starts at 60 000.
    expect(tilesInBox({ left: 115, top: 60_010, right: 225, bottom: 60_070 }, big)).toEqual([4001, 4002, 4005, 4006]);
  });

  it('selects nothing for an empty rectangle or an empty grid', () => {
    expect(tilesInBox({ left: 20, top: 20, right: 20, bottom: 40 }, grid)).toEqual([]);
    expect(tilesInBox({ left: 0, top: 0, right: 100, bottom: 100 }, { ...grid, total: 0 })).toEqual([]);
    expect(tilesInBox({ left: -50, top: -50, right: -1, bottom: -1 }, grid)).toEqual([]);
  });
});

describe('boxFromPoints', () => {
  it('orders the corners whichever way the drag went', () => {
    expect(boxFromPoints({ x: 50, y: 10 }, { x: 5, y: 80 })).toEqual({ left: 5, top: 10, right: 50, bottom: 80 });
  });
});
