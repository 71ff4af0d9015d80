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
        image_count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (file_id, id)
      ) WITHOUT ROWID;
      CREATE TABLE images (
        file_id INTEGER NOT NULL,
        id INTEGER NOT NULL,
        file_name TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        license INTEGER,
        PRIMARY KEY (file_id, id)
      ) WITHOUT ROWID;
      -- Annotations keep what later features need; segmentation is never stored.
      CREATE TABLE annotations (
        file_id INTEGER NOT NULL,
        id INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        x REAL NOT NULL,
        y REAL NOT NULL,
        w REAL NOT NULL,
        h REAL NOT NULL,
        area REAL NOT NULL,
        iscrowd INTEGER NOT NULL
      );
      CREATE INDEX annotations_by_image ON annotations (file_id, image_id);
      -- One row per (image, category) present: the image-level labels every subset query reads.
      CREATE TABLE image_labels (
        file_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        instances INTEGER NOT NULL,
        PRIMARY KEY (file_id, category_id, image_id)
      ) WITHOUT ROWID;
    `,
  },
];
