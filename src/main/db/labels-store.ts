import type { Db } from './connection';

/** Where an edit came from: the analyst's own, or a run's suspect accepted in review. */
export type EditSource = 'manual' | 'suspect';

/** One (image, category) label set present or absent, with the names the file used when it was made. */
export interface LabelEdit {
  imageId: number;
  categoryId: number;
  present: boolean;
  fileName: string;
  categoryName: string;
}

/** One action: the edits it made, and who made it. */
export interface EditBatch {
  batch: number;
  fileId: number;
  client: string;
  source: EditSource;
  note: string | null;
  createdAt: string;
  edits: LabelEdit[];
}

/** A row of the edit log as history shows it. */
export interface EditRecord extends LabelEdit {
  seq: number;
  batch: number;
  client: string;
  source: EditSource;
  note: string | null;
  createdAt: string;
  /** Its batch was undone (and not redone). */
  undone: boolean;
  /** A re-import of the file no longer has its image or category: listed, never applied. */
  stale: boolean;
}

export type SuspectDecision = 'accepted' | 'rejected';

interface EditRow {
  seq: number;
  batch: number;
  image_id: number;
  category_id: number;
  present: number;
  file_name: string;
  category_name: string;
  stale: number;
  client: string;
  source: EditSource;
  note: string | null;
  created_at: string;
  undone_seq: number | null;
}

const editColumns = `e.seq, e.batch, e.image_id, e.category_id, e.present, e.file_name, e.category_name, e.stale,
  b.client, b.source, b.note, b.created_at, b.undone_seq`;

function recordOf(row: EditRow): EditRecord {
  return {
    seq: row.seq,
    batch: row.batch,
    imageId: row.image_id,
    categoryId: row.category_id,
    present: row.present === 1,
    fileName: row.file_name,
    categoryName: row.category_name,
    client: row.client,
    source: row.source,
    note: row.note,
    createdAt: row.created_at,
    undone: row.undone_seq !== null,
    stale: row.stale === 1,
  };
}

const stores = new WeakMap<Db, LabelsStore>();

/**
 * The one owner of label edits, reviewed marks and suspect decisions (tables of migration 6).
 *
 * The rule that keeps concurrent clients (the desktop window and a browser on `mlw serve`, or the
 * command line) from losing an edit: nothing is overwritten. Every edit asked for is appended with
 * the next sequence number, inside an immediate transaction (SQLite serialises writers, across
 * processes too); the effective label of a pair is the imported one overridden by its latest edit in
 * effect. So when two clients set the same pair at once, both edits are kept in the history and the
 * one committed last decides, and an undo takes back only the undoing client's own latest batch: if
 * another client set the same pair afterwards, that later edit still decides.
 */
export class LabelsStore {
  private readonly stateRow;

  constructor(private readonly db: Db) {
    this.stateRow = db.prepare('SELECT version, edits FROM label_state WHERE file_id = ?');
  }

  /** The store of a connection (one per connection, so its prepared statements are made once). */
  static of(db: Db): LabelsStore {
    let store = stores.get(db);
    if (store === undefined) {
      store = new LabelsStore(db);
      stores.set(db, store);
    }
    return store;
  }

  /** The file's edit version and count of edit rows; null when it has never been edited (its imported labels stand). */
  state(fileId: number): { version: number; edits: number } | null {
    const row = this.stateRow.get(fileId) as { version: number; edits: number } | undefined;
    return row === undefined || row.edits === 0 ? null : row;
  }

  /** Per pair, the latest edit in effect (not undone, not stale), in sequence order. */
  effectiveEdits(fileId: number): { imageId: number; categoryId: number; present: boolean }[] {
    const rows = this.db
      .prepare(
        `SELECT e.image_id, e.category_id, e.present FROM label_edits e JOIN label_batches b ON b.id = e.batch
         WHERE e.file_id = ? AND e.stale = 0 AND b.undone_seq IS NULL ORDER BY e.seq`,
      )
      .raw()
      .all(fileId) as [number, number, number][];
    const latest = new Map<string, { imageId: number; categoryId: number; present: boolean }>();
    for (const [imageId, categoryId, present] of rows) {
      const key = `${imageId}:${categoryId}`;
      // Deleted first so that the map's order is that of each pair's latest edit.
      latest.delete(key);
      latest.set(key, { imageId, categoryId, present: present === 1 });
    }
    return [...latest.values()];
  }

  /** Appends one batch of edits by `client`; its earlier undone batches of this file can no longer be redone. */
  record(fileId: number, by: { client: string; source: EditSource; note: string | null }, edits: readonly LabelEdit[]): EditBatch {
    const createdAt = new Date().toISOString();
    const batch = this.db
      .transaction(() => {
        this.db
          .prepare('UPDATE label_batches SET redoable = 0 WHERE file_id = ? AND client = ? AND undone_seq IS NOT NULL AND redoable = 1')
          .run(fileId, by.client);
        const id = Number(
          this.db
            .prepare('INSERT INTO label_batches (file_id, client, source, note, created_at) VALUES (?, ?, ?, ?, ?)')
            .run(fileId, by.client, by.source, by.note, createdAt).lastInsertRowid,
        );
        const insert = this.db.prepare(
          'INSERT INTO label_edits (batch, file_id, image_id, category_id, present, file_name, category_name) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        for (const edit of edits) {
          insert.run(id, fileId, edit.imageId, edit.categoryId, edit.present ? 1 : 0, edit.fileName, edit.categoryName);
        }
        this.bump(fileId, edits.length);
        return id;
      })
      .immediate();
    return { batch, fileId, client: by.client, source: by.source, note: by.note, createdAt, edits: [...edits] };
  }

  /** Takes back the client's latest batch in effect on this file; null when it has none. */
  undo(fileId: number, client: string): EditBatch | null {
    return this.db
      .transaction(() => {
        const id = this.db
          .prepare('SELECT id FROM label_batches WHERE file_id = ? AND client = ? AND undone_seq IS NULL ORDER BY id DESC LIMIT 1')
          .pluck()
          .get(fileId, client) as number | undefined;
        if (id === undefined) return null;
        this.db
          .prepare('UPDATE label_batches SET undone_seq = (SELECT COALESCE(MAX(undone_seq), 0) + 1 FROM label_batches) WHERE id = ?')
          .run(id);
        this.bump(fileId, 0);
        return this.batch(id);
      })
      .immediate();
  }

  /** Puts back the batch the client undid last (unless it edited since); null when there is none. */
  redo(fileId: number, client: string): EditBatch | null {
    return this.db
      .transaction(() => {
        const id = this.db
          .prepare(
            `SELECT id FROM label_batches WHERE file_id = ? AND client = ? AND undone_seq IS NOT NULL AND redoable = 1
             ORDER BY undone_seq DESC LIMIT 1`,
          )
          .pluck()
          .get(fileId, client) as number | undefined;
        if (id === undefined) return null;
        this.db.prepare('UPDATE label_batches SET undone_seq = NULL WHERE id = ?').run(id);
        this.bump(fileId, 0);
        return this.batch(id);
      })
      .immediate();
  }

  /** What the client's next undo and redo would take back or put back (their batch ids), null where nothing. */
  undoState(fileId: number, client: string): { undo: number | null; redo: number | null } {
    const undo = this.db
      .prepare('SELECT id FROM label_batches WHERE file_id = ? AND client = ? AND undone_seq IS NULL ORDER BY id DESC LIMIT 1')
      .pluck()
      .get(fileId, client) as number | undefined;
    const redo = this.db
      .prepare(
        'SELECT id FROM label_batches WHERE file_id = ? AND client = ? AND undone_seq IS NOT NULL AND redoable = 1 ORDER BY undone_seq DESC LIMIT 1',
      )
      .pluck()
      .get(fileId, client) as number | undefined;
    return { undo: undo ?? null, redo: redo ?? null };
  }

  private batch(id: number): EditBatch {
    const head = this.db.prepare('SELECT file_id, client, source, note, created_at FROM label_batches WHERE id = ?').get(id) as {
      file_id: number;
      client: string;
      source: EditSource;
      note: string | null;
      created_at: string;
    };
    const edits = (
      this.db
        .prepare('SELECT image_id, category_id, present, file_name, category_name FROM label_edits WHERE batch = ? ORDER BY seq')
        .all(id) as { image_id: number; category_id: number; present: number; file_name: string; category_name: string }[]
    ).map((row) => ({
      imageId: row.image_id,
      categoryId: row.category_id,
      present: row.present === 1,
      fileName: row.file_name,
      categoryName: row.category_name,
    }));
    return {
      batch: id,
      fileId: head.file_id,
      client: head.client,
      source: head.source,
      note: head.note,
      createdAt: head.created_at,
      edits,
    };
  }

  /** The edit log of a file (or of one image), newest first. */
  history(fileId: number, options: { imageId?: number; limit: number; offset: number }): { total: number; rows: EditRecord[] } {
    const where = options.imageId === undefined ? 'e.file_id = ?' : 'e.file_id = ? AND e.image_id = ?';
    const params = options.imageId === undefined ? [fileId] : [fileId, options.imageId];
    const total = this.db
      .prepare(`SELECT COUNT(*) FROM label_edits e WHERE ${where}`)
      .pluck()
      .get(...params) as number;
    const rows = this.db
      .prepare(
        `SELECT ${editColumns} FROM label_edits e JOIN label_batches b ON b.id = e.batch WHERE ${where} ORDER BY e.seq DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, options.limit, options.offset) as EditRow[];
    return { total, rows: rows.map(recordOf) };
  }

  /** Edits a re-import left behind (their image or category is gone), oldest first. */
  staleEdits(fileId: number): EditRecord[] {
    return (
      this.db
        .prepare(
          `SELECT ${editColumns} FROM label_edits e JOIN label_batches b ON b.id = e.batch WHERE e.file_id = ? AND e.stale = 1 ORDER BY e.seq`,
        )
        .all(fileId) as EditRow[]
    ).map(recordOf);
  }

  setReviewed(fileId: number, imageIds: readonly number[], reviewed: boolean, client: string): void {
    const now = new Date().toISOString();
    const mark = this.db.prepare('INSERT OR REPLACE INTO image_reviews (file_id, image_id, client, reviewed_at) VALUES (?, ?, ?, ?)');
    const unmark = this.db.prepare('DELETE FROM image_reviews WHERE file_id = ? AND image_id = ?');
    this.db
      .transaction(() => {
        for (const imageId of imageIds) {
          if (reviewed) mark.run(fileId, imageId, client, now);
          else unmark.run(fileId, imageId);
        }
      })
      .immediate();
  }

  /** The reviewed images of a file, ascending. */
  reviewedIds(fileId: number): Uint32Array {
    return Uint32Array.from(
      this.db.prepare('SELECT image_id FROM image_reviews WHERE file_id = ? ORDER BY image_id').pluck().all(fileId) as number[],
    );
  }

  hasReviews(fileId: number): boolean {
    return this.db.prepare('SELECT 1 FROM image_reviews WHERE file_id = ? LIMIT 1').get(fileId) !== undefined;
  }

  isReviewed(fileId: number, imageId: number): boolean {
    return this.db.prepare('SELECT 1 FROM image_reviews WHERE file_id = ? AND image_id = ?').get(fileId, imageId) !== undefined;
  }

  /** Records the decision on a run's suspect (the latest decision on a pair replaces an earlier one). */
  decide(fileId: number, pair: { imageId: number; categoryId: number }, runId: string, decision: SuspectDecision, client: string): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO suspect_decisions (file_id, image_id, category_id, run_id, decision, client, decided_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(fileId, pair.imageId, pair.categoryId, runId, decision, client, new Date().toISOString());
  }

  /** The pairs of a file whose suspects were rejected, as `imageId:categoryId`. */
  rejectedPairs(fileId: number): Set<string> {
    const rows = this.db
      .prepare("SELECT image_id, category_id FROM suspect_decisions WHERE file_id = ? AND decision = 'rejected'")
      .raw()
      .all(fileId) as [number, number][];
    return new Set(rows.map(([imageId, categoryId]) => `${imageId}:${categoryId}`));
  }

  /** Suspects accepted and rejected on a file, and of those how many were a given run's. */
  decisionCounts(fileId: number, runId: string): { accepted: number; rejected: number; acceptedFromRun: number; rejectedFromRun: number } {
    const rows = this.db
      .prepare('SELECT decision, run_id = ? AS fromRun, COUNT(*) AS n FROM suspect_decisions WHERE file_id = ? GROUP BY decision, fromRun')
      .all(runId, fileId) as { decision: SuspectDecision; fromRun: number; n: number }[];
    const counts = { accepted: 0, rejected: 0, acceptedFromRun: 0, rejectedFromRun: 0 };
    for (const row of rows) {
      counts[row.decision] += row.n;
      if (row.fromRun === 1) counts[row.decision === 'accepted' ? 'acceptedFromRun' : 'rejectedFromRun'] += row.n;
    }
    return counts;
  }

  /**
   * A file imported again gets a new id (coco/cache-writer.ts): its edits, reviewed marks and
   * suspect decisions follow it. Edits whose image or category the new import lacks are kept but
   * marked stale (never applied, listed); marks and decisions of such images are dropped. Runs
   * inside the import's transaction, after the new import's rows are written.
   */
  carryOver(previousId: number, fileId: number): { carried: number; notCarried: EditRecord[] } {
    const state = this.stateRow.get(previousId) as { version: number; edits: number } | undefined;
    const imageExists = 'EXISTS (SELECT 1 FROM images i WHERE i.file_id = ? AND i.id = image_id)';
    const categoryExists = 'EXISTS (SELECT 1 FROM categories c WHERE c.file_id = ? AND c.id = category_id)';
    this.db.prepare(`UPDATE image_reviews SET file_id = ? WHERE file_id = ? AND ${imageExists}`).run(fileId, previousId, fileId);
    this.db.prepare('DELETE FROM image_reviews WHERE file_id = ?').run(previousId);
    this.db
      .prepare(`UPDATE suspect_decisions SET file_id = ? WHERE file_id = ? AND ${imageExists} AND ${categoryExists}`)
      .run(fileId, previousId, fileId, fileId);
    this.db.prepare('DELETE FROM suspect_decisions WHERE file_id = ?').run(previousId);
    if (state === undefined) return { carried: 0, notCarried: [] };
    this.db.prepare('UPDATE label_batches SET file_id = ? WHERE file_id = ?').run(fileId, previousId);
    this.db
      .prepare(
        `UPDATE label_edits SET file_id = ?, stale = CASE WHEN ${imageExists} AND ${categoryExists} THEN 0 ELSE 1 END WHERE file_id = ?`,
      )
      .run(fileId, fileId, fileId, previousId);
    this.db.prepare('DELETE FROM label_state WHERE file_id = ?').run(previousId);
    this.db.prepare('INSERT INTO label_state (file_id, version, edits) VALUES (?, ?, ?)').run(fileId, state.version + 1, state.edits);
    const notCarried = this.staleEdits(fileId);
    return { carried: state.edits - notCarried.length, notCarried };
  }

  private bump(fileId: number, added: number): void {
    this.db
      .prepare(
        `INSERT INTO label_state (file_id, version, edits) VALUES (?, 1, ?)
         ON CONFLICT (file_id) DO UPDATE SET version = version + 1, edits = edits + excluded.edits`,
      )
      .run(fileId, added);
  }
}
