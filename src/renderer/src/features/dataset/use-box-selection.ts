import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type MouseEvent as ReactMouseEvent,
  type PointerEvent as ReactPointerEvent,
} from 'react';
import { boxFromPoints, tilesInBox, type BoxRect, type GridGeometry } from './box-selection';

/** Movement (CSS px) before a press becomes a box: a shorter one stays a click. */
const dragThreshold = 5;
/** How close to the top or bottom edge (CSS px) the pointer scrolls the grid while dragging. */
const scrollEdge = 40;
const maxScrollStep = 24;

export interface BoxSelectionOptions {
  /** The grid's scrolling element, and the element inside it that holds the rows (content coordinates). */
  scroller: HTMLElement | null;
  content: HTMLElement | null;
  geometry: GridGeometry;
  /**
   * Called while dragging and once more on release (`final`) with the tiles the box touches and
   * whether Ctrl/Cmd was held at the press (toggle them rather than add them).
   */
  onBox: (indices: readonly number[], toggle: boolean, final: boolean) => void;
  /** Called when a drag starts, before the first `onBox`. */
  onStart: () => void;
}

interface Drag {
  pointerId: number;
  /** Where the press was, in content and in client coordinates. */
  origin: { x: number; y: number };
  pressClient: { x: number; y: number };
  client: { x: number; y: number };
  toggle: boolean;
  active: boolean;
}

/**
 * Box (rubber-band) selection over a virtualised grid: a press on the grid (not on a check box)
 * that moves a few pixels draws a rectangle in content coordinates, so scrolling while dragging (the
 * wheel, or holding the pointer near the top or bottom edge) keeps it anchored where it started. The
 * touched tiles come from the grid's geometry, not from rendered nodes.
 */
export function useBoxSelection({ scroller, content, geometry, onBox, onStart }: BoxSelectionOptions): {
  box: BoxRect | null;
  onPointerDown: (event: ReactPointerEvent<HTMLElement>) => void;
  onClickCapture: (event: ReactMouseEvent<HTMLElement>) => void;
} {
  const [box, setBox] = useState<BoxRect | null>(null);
  const drag = useRef<Drag | null>(null);
  /** True from a box's release until the click that follows it, which must not open a tile. */
  const swallowClick = useRef(false);
  const latest = useRef({ scroller, content, geometry, onBox, onStart });
  useEffect(() => {
    latest.current = { scroller, content, geometry, onBox, onStart };
  });
  const frame = useRef<number | null>(null);
  const detach = useRef<(() => void) | null>(null);

  const toContent = useCallback((client: { x: number; y: number }): { x: number; y: number } | null => {
    const element = latest.current.content;
    if (element === null) return null;
    const rect = element.getBoundingClientRect();
    return { x: client.x - rect.left, y: client.y - rect.top };
  }, []);

  /** Recomputes the box from the press and the pointer's place now (after a move or a scroll). */
  const update = useCallback(
    (final: boolean) => {
      const current = drag.current;
      if (current === null || !current.active) return;
      const point = toContent(current.client);
      if (point === null) return;
      const { geometry: grid } = latest.current;
      const width = grid.columns * grid.tileWidth + (grid.columns - 1) * grid.columnGap;
      const height = Math.ceil(grid.total / Math.max(1, grid.columns)) * grid.rowPitch;
      // Clamp to the content, so the drawn box never makes the grid scroll further.
      const clamped = { x: Math.min(Math.max(point.x, 0), width), y: Math.min(Math.max(point.y, 0), height) };
      const next = boxFromPoints(current.origin, clamped);
      setBox(final ? null : next);
      latest.current.onBox(tilesInBox(next, grid), current.toggle, final);
    },
    [toContent],
  );

  const stop = useCallback(() => {
    if (frame.current !== null) cancelAnimationFrame(frame.current);
    frame.current = null;
    detach.current?.();
    detach.current = null;
    drag.current = null;
    setBox(null);
  }, []);
  useEffect(() => stop, [stop]);

  /** Scrolls the grid while the pointer is held near (or past) its top or bottom edge. */
  const autoScroll = useCallback(() => {
    const tick = (): void => {
      frame.current = null;
      const current = drag.current;
      const element = latest.current.scroller;
      if (current === null || !current.active || element === null) return;
      const rect = element.getBoundingClientRect();
      const y = current.client.y;
      let step = 0;
      if (y < rect.top + scrollEdge) step = -Math.min(maxScrollStep, (rect.top + scrollEdge - y) / 2);
      else if (y > rect.bottom - scrollEdge) step = Math.min(maxScrollStep, (y - rect.bottom + scrollEdge) / 2);
      if (step !== 0) {
        element.scrollTop += step;
        frame.current = requestAnimationFrame(tick);
      }
    };
    tick();
  }, []);

  const onPointerDown = useCallback(
    (event: ReactPointerEvent<HTMLElement>) => {
      if (event.button !== 0 || event.pointerType === 'touch' || drag.current !== null) return;
      const target = event.target as Element;
      // The check boxes keep their own click (and keyboard) behaviour.
      if (target.closest('input') !== null) return;
      const element = latest.current.scroller;
      if (element === null) return;
      // A press on the scroll bar scrolls.
      const rect = element.getBoundingClientRect();
      if (event.clientX - rect.left >= element.clientWidth) return;
      const origin = toContent({ x: event.clientX, y: event.clientY });
      if (origin === null) return;
      const press = { x: event.clientX, y: event.clientY };
      drag.current = {
        pointerId: event.pointerId,
        origin,
        pressClient: press,
        client: press,
        toggle: event.ctrlKey || event.metaKey,
        active: false,
      };
      swallowClick.current = false;

      const onMove = (move: PointerEvent): void => {
        const current = drag.current;
        if (current === null || move.pointerId !== current.pointerId) return;
        current.client = { x: move.clientX, y: move.clientY };
        if (!current.active) {
          if (Math.hypot(move.clientX - current.pressClient.x, move.clientY - current.pressClient.y) < dragThreshold) return;
          current.active = true;
          window.getSelection()?.removeAllRanges();
          latest.current.onStart();
        }
        move.preventDefault();
        update(false);
        if (frame.current === null) frame.current = requestAnimationFrame(autoScroll);
      };
      const onUp = (up: PointerEvent): void => {
        const current = drag.current;
        if (current === null || up.pointerId !== current.pointerId) return;
        if (current.active) {
          current.client = { x: up.clientX, y: up.clientY };
          update(true);
          swallowClick.current = true;
          // No click follows when the press and the release were on different tiles.
          setTimeout(() => {
            swallowClick.current = false;
          }, 0);
        }
        stop();
      };
      const onCancel = (cancel: PointerEvent): void => {
        if (drag.current !== null && cancel.pointerId === drag.current.pointerId) stop();
      };
      const onScroll = (): void => update(false);
      const onSelectStart = (start: Event): void => {
        if (drag.current?.active === true) start.preventDefault();
      };
      window.addEventListener('pointermove', onMove);
      window.addEventListener('pointerup', onUp);
      window.addEventListener('pointercancel', onCancel);
      document.addEventListener('selectstart', onSelectStart);
      element.addEventListener('scroll', onScroll);
      detach.current = () => {
        window.removeEventListener('pointermove', onMove);
        window.removeEventListener('pointerup', onUp);
        window.removeEventListener('pointercancel', onCancel);
        document.removeEventListener('selectstart', onSelectStart);
        element.removeEventListener('scroll', onScroll);
      };
    },
    [toContent, update, autoScroll, stop],
  );

  const onClickCapture = useCallback((event: ReactMouseEvent<HTMLElement>) => {
    if (!swallowClick.current) return;
    swallowClick.current = false;
    event.stopPropagation();
    event.preventDefault();
  }, []);

  return { box, onPointerDown, onClickCapture };
}
