/**
 * Numbered migrations, applied in order, each in its own transaction. An applied migration is
 * recorded with a hash of its SQL; editing one after it shipped is refused at start-up (add a new
 * migration instead), so two caches with the same version always have the same schema.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'coco annotation cache',
    sql: `
      CREATE TABLE annotation_files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        images_dir TEXT,
        size_bytes INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        sha256 TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        image_count INTEGER NOT NULL,
        annotation_count INTEGER NOT NULL,
        category_count INTEGER NOT NULL,
        seconds REAL NOT NULL
      );
      CREATE TABLE categories (
        file_id INTEGER NOT NULL,
        id INTEGER NOT NULL,
        name TEXT NOT NULL,
        supercategory TEXT NOT NULL,
        image_count INTEGER NOT NULL,
        instance_count INTEGER NOT NULL,
        PRIMARY KEY (file_id, id)
      ) WITHOUT ROWID;
      CREATE TABLE images (
        file_id INTEGER NOT NULL,
        id INTEGER NOT NULL,
        file_name TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        license INTEGER,
        annotation_count INTEGER NOT NULL,
        PRIMARY KEY (file_id, id)
      ) WITHOUT ROWID;
      -- The annotations of one image, packed as little-endian float64 records of
      -- [id, category_id, x, y, w, h, area, iscrowd] (see coco/annotation-records.ts). Every reader
      -- wants an image's annotations together, and 118k rows import far faster than 860k.
      -- Segmentation is never stored.
      CREATE TABLE image_annotations (
        file_id INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        records BLOB NOT NULL,
        PRIMARY KEY (file_id, image_id)
      ) WITHOUT ROWID;
      -- Image-level labels: for each category, the ascending ids of the images that contain it,
      -- packed as little-endian uint32. A subset's statistics read one row per category.
      CREATE TABLE category_images (
        file_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        image_ids BLOB NOT NULL,
        PRIMARY KEY (file_id, category_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'training runs',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
        created_at TEXT NOT NULL,
        finished_at TEXT,
        mode TEXT NOT NULL,
        backbone TEXT NOT NULL,
        backend TEXT,
        -- The whole request and settings as JSON, so a run can be repeated and compared.
        config TEXT NOT NULL,
        -- Annotation files, categories and image counts as JSON.
        dataset TEXT NOT NULL,
        run_dir TEXT NOT NULL,
        best_validation_loss REAL,
        best_iteration INTEGER,
        iterations INTEGER,
        seconds_features REAL,
        seconds_training REAL,
        seconds_total REAL,
        error TEXT
      );
      CREATE TABLE run_metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        iteration INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        train_loss REAL NOT NULL,
        train_rmse REAL NOT NULL,
        val_loss REAL,
        val_rmse REAL,
        PRIMARY KEY (run_id, iteration)
      ) WITHOUT ROWID;
      -- The validation score matrix of the best weights, for evaluation: float32 row-major
      -- [images, classes] with the image ids and 0/1 labels beside it.
      CREATE TABLE run_scores (
        run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        classes TEXT NOT NULL,
        image_ids BLOB NOT NULL,
        labels BLOB NOT NULL,
        scores BLOB NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'scores of other annotated sets',
    sql: `
      -- A run's scores on an annotated set other than its validation images (mlw evaluate
      -- --annotations), one matrix per annotation file, laid out as run_scores.
      CREATE TABLE run_score_sets (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        annotations TEXT NOT NULL,
        images TEXT NOT NULL,
        classes TEXT NOT NULL,
        image_ids BLOB NOT NULL,
        labels BLOB NOT NULL,
        scores BLOB NOT NULL,
        -- Images that could not be read, as JSON [{path, reason}].
        skipped TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, annotations)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'files and folders the app wrote',
    sql: `
      -- Reports, PDFs and Grad-CAM or model folders this app wrote, so that "mlw serve" may replace
      -- them (and nothing else) without being told to. A file counts as the app's while its size and
      -- modification time are still those it was written with.
      CREATE TABLE written_outputs (
        path TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        size_bytes INTEGER,
        mtime_ms REAL,
        written_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'head search and calibration of a run',
    sql: `
      -- How a frozen run chose its head's settings on held-out training images (JSON, see
      -- headSearch), and the temperature fitted there (JSON, see runCalibration); NULL for runs
      -- that chose nothing (settings given, fine-tuning, imported models) or came before.
      ALTER TABLE runs ADD COLUMN search TEXT;
      ALTER TABLE runs ADD COLUMN calibration TEXT;
    `,
  },
  {
    version: 6,
    name: 'label edits, reviewed images and suspect decisions',
    sql: `
      -- Edits of image-level labels over an imported annotation file, which itself is never changed.
      -- An append-only log: every edit asked for is a row with a monotonic sequence number (seq), and
      -- the effective label of an (image, category) pair is the imported one overridden by its latest
      -- row whose batch is in effect (not undone) and that is not stale. Nothing is updated in place
      -- but the undo marks, so two clients editing at once never lose an edit (see labels-store.ts).
      -- One action (a toggle, a label added to many images) is one batch; undo and redo are per
      -- client (a window or browser tab, or the command line) and per file, a batch at a time.
      CREATE TABLE label_batches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL,
        client TEXT NOT NULL,
        -- manual: an edit; suspect: a suspect of a run accepted in review.
        source TEXT NOT NULL CHECK (source IN ('manual', 'suspect')),
        note TEXT,
        created_at TEXT NOT NULL,
        -- The order in which batches were undone (redo takes the latest); NULL while in effect.
        undone_seq INTEGER,
        -- 0 once the client made a new edit after undoing this batch: it can no longer be redone.
        redoable INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX label_batches_client ON label_batches (file_id, client, id);
      CREATE TABLE label_edits (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        batch INTEGER NOT NULL REFERENCES label_batches(id),
        file_id INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        -- 1: the label is present (added), 0: absent (removed).
        present INTEGER NOT NULL CHECK (present IN (0, 1)),
        -- As the file named them when the edit was made, for history and for edits not carried over.
        file_name TEXT NOT NULL,
        category_name TEXT NOT NULL,
        -- 1 when a re-import of the file no longer has the image or the category: kept and listed, never applied.
        stale INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX label_edits_file ON label_edits (file_id, seq);
      CREATE INDEX label_edits_batch ON label_edits (batch);
      -- Per file with edits: a version bumped by every change of them (edit, undo, redo, re-import),
      -- so that caches of effective labels know when to recompute, and how many edit rows it has. A
      -- file without a row has no edits: its imported labels are used as they are, at no extra cost.
      CREATE TABLE label_state (
        file_id INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        edits INTEGER NOT NULL
      );
      -- Images an analyst marked reviewed.
      CREATE TABLE image_reviews (
        file_id INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        client TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        PRIMARY KEY (file_id, image_id)
      ) WITHOUT ROWID;
      -- Suspects of a run (likely missing or wrong labels) accepted or rejected in review, the latest
      -- decision per pair; a rejected pair is never proposed again for that file.
      CREATE TABLE suspect_decisions (
        file_id INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
        client TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        PRIMARY KEY (file_id, image_id, category_id)
      ) WITHOUT ROWID;
    `,
  },
];
