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
];
