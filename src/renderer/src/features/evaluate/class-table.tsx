import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import Typography from '@mui/material/Typography';
import { useMemo, useState, type ReactNode } from 'react';
import type { ClassMetrics } from '../../../../shared/domain/metrics';
import { formatCount } from '../../components/format';
import { categoryColor } from '../../components/category-colors';
import { formatRatio, formatThreshold } from '../../components/format-metric';

type Column = 'class' | 'ap' | 'precision' | 'recall' | 'f1' | 'tp' | 'fp' | 'fn' | 'tn' | 'positives' | 'threshold' | 'ece';

const columns: readonly { key: Column; label: string; title: string }[] = [
  { key: 'class', label: 'Class', title: 'Class' },
  { key: 'ap', label: 'AP', title: 'Average precision (no threshold); — where no image is labelled with the class' },
  { key: 'precision', label: 'Precision', title: 'TP / (TP + FP)' },
  { key: 'recall', label: 'Recall', title: 'TP / (TP + FN)' },
  { key: 'f1', label: 'F1', title: '2 TP / (2 TP + FP + FN)' },
  { key: 'tp', label: 'TP', title: 'True positives' },
  { key: 'fp', label: 'FP', title: 'False positives' },
  { key: 'fn', label: 'FN', title: 'False negatives' },
  { key: 'tn', label: 'TN', title: 'True negatives' },
  { key: 'positives', label: 'Positives', title: 'Images labelled with the class' },
  { key: 'threshold', label: 'Threshold', title: 'The threshold the class is judged at' },
  { key: 'ece', label: 'ECE', title: 'Expected calibration error of the class’s scores (15 bins, no threshold)' },
];

/** Per-class figures, sortable by any column (a click on a header; again to reverse). */
export function ClassTable({
  perClass,
  eceByClass,
}: {
  perClass: readonly ClassMetrics[];
  /** Each class's expected calibration error, in class order (null where there are no images). */
  eceByClass: readonly (number | null)[];
}): ReactNode {
  const [sort, setSort] = useState<{ by: Column; direction: 'asc' | 'desc' }>({ by: 'class', direction: 'asc' });
  const rows = useMemo(() => {
    const indexed = perClass.map((m, index) => ({ m, index }));
    if (sort.by === 'class') return sort.direction === 'asc' ? indexed : [...indexed].reverse();
    const key = sort.by;
    const value = (row: { m: ClassMetrics; index: number }): number | null =>
      key === 'ece' ? (eceByClass[row.index] ?? null) : row.m[key];
    const sign = sort.direction === 'asc' ? 1 : -1;
    // Missing figures (AP, ECE) last whichever way.
    return [...indexed].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === null || y === null) return x === y ? a.index - b.index : x === null ? 1 : -1;
      return sign * (x - y) || a.index - b.index;
    });
  }, [perClass, eceByClass, sort]);
  const toggle = (by: Column): void =>
    setSort((current) =>
      current.by === by
        ? { by, direction: current.direction === 'asc' ? 'desc' : 'asc' }
        : { by, direction: by === 'class' ? 'asc' : 'desc' },
    );
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="class-table-heading">
      <Typography variant="h6" id="class-table-heading" gutterBottom>
        Per class
      </Typography>
      <TableContainer>
        <Table size="small" data-testid="class-table" data-sort={`${sort.by}:${sort.direction}`}>
          <TableHead>
            <TableRow>
              {columns.map((c) => (
                <TableCell
                  key={c.key}
                  component="th"
                  scope="col"
                  align={c.key === 'class' ? 'left' : 'right'}
                  title={c.title}
                  sortDirection={sort.by === c.key ? sort.direction : false}
                >
                  <TableSortLabel
                    active={sort.by === c.key}
                    direction={sort.by === c.key ? sort.direction : c.key === 'class' ? 'asc' : 'desc'}
                    onClick={() => toggle(c.key)}
                    data-testid={`sort-${c.key}`}
                  >
                    {c.label}
                  </TableSortLabel>
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map(({ m, index }) => (
              <TableRow key={m.class} data-testid="class-row" data-class={m.class} data-positives={m.positives} hover>
                <TableCell component="th" scope="row">
                  <span
                    aria-hidden
                    style={{
                      display: 'inline-block',
                      width: 10,
                      height: 10,
                      borderRadius: 2,
                      marginRight: 8,
                      background: categoryColor(index),
                    }}
                  />
                  {m.class}
                </TableCell>
                <TableCell align="right">{formatRatio(m.ap)}</TableCell>
                <TableCell align="right">{formatRatio(m.precision)}</TableCell>
                <TableCell align="right">{formatRatio(m.recall)}</TableCell>
                <TableCell align="right">{formatRatio(m.f1)}</TableCell>
                <TableCell align="right">{formatCount(m.tp)}</TableCell>
                <TableCell align="right">{formatCount(m.fp)}</TableCell>
                <TableCell align="right">{formatCount(m.fn)}</TableCell>
                <TableCell align="right">{formatCount(m.tn)}</TableCell>
                <TableCell align="right">{formatCount(m.positives)}</TableCell>
                <TableCell align="right" data-testid="class-threshold" data-value={m.threshold}>
                  {formatThreshold(m.threshold)}
                </TableCell>
                <TableCell align="right" data-testid="class-ece" data-value={eceByClass[index] ?? ''}>
                  {formatRatio(eceByClass[index] ?? null)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </Paper>
  );
}
