import type { Statement } from 'better-sqlite3';
import type { Db } from './connection';

/**
 * Inserts rows into one table many at a time: better-sqlite3 pays a fixed cost for every `run`
 * (the call into C++, binding, stepping, resetting), so 118k images cost about half as much
 * inserted 64 rows per statement as one by one. Values are kept until the statement runs: a bound
 * Buffer must stay unchanged until then (see `pending`).
 */
export class BatchInsert {
  private readonly many: Statement;
  private readonly one: Statement;
  private values: unknown[] = [];
  private rows = 0;

  constructor(
    db: Db,
    table: string,
    private readonly columns: readonly string[],
    private readonly rowsPerStatement = 64,
  ) {
    const row = `(${columns.map(() => '?').join(', ')})`;
    const sql = (rows: number): string => `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(rows).fill(row).join(', ')}`;
    this.many = db.prepare(sql(rowsPerStatement));
    this.one = db.prepare(sql(1));
  }

  /** Rows added and not inserted yet; 0 right after a statement ran. */
  get pending(): number {
    return this.rows;
  }

  /** One row, its values in the order of `columns`. */
  add(...row: unknown[]): void {
    if (row.length !== this.columns.length) throw new RangeError(`A row needs ${this.columns.length} values, not ${row.length}.`);
    for (const value of row) this.values.push(value);
    if (++this.rows === this.rowsPerStatement) {
      this.many.run(this.values);
      this.values = [];
      this.rows = 0;
    }
  }

  /** Inserts the rows still pending. */
  flush(): void {
    const width = this.columns.length;
    for (let r = 0; r < this.rows; r++) this.one.run(this.values.slice(r * width, (r + 1) * width));
    this.values = [];
    this.rows = 0;
  }
}
