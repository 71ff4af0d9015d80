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
];
