import Button from '@mui/material/Button';
import Collapse from '@mui/material/Collapse';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import { memo, useState, type ReactNode } from 'react';
import { ExpandIcon } from '../../components/icons';
import { formatCount } from '../../components/format';

/** The charts' numbers as tables, for screen readers and for copying; collapsed by default. */
export const StatsTable = memo(function StatsTable({
  classes,
  counts,
  images,
  histogram,
}: {
  classes: readonly string[];
  counts: readonly number[];
  images: number;
  histogram: Readonly<Record<string, number>>;
}): ReactNode {
  const [open, setOpen] = useState(false);
  const share = (n: number): string => (images === 0 ? '—' : `${((n / images) * 100).toFixed(1)}%`);
  return (
    <div>
      <Button
        size="small"
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
        aria-controls="stats-numbers"
        endIcon={<ExpandIcon expanded={open} />}
        data-testid="show-numbers-button"
      >
        {open ? 'Hide numbers' : 'Show numbers'}
      </Button>
      <Collapse in={open} id="stats-numbers" unmountOnExit>
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={3} sx={{ mt: 1, alignItems: 'flex-start' }}>
          <Table size="small" sx={{ maxWidth: 480 }} data-testid="class-balance-table">
            <caption>Images per class (an image with several classes counts for each)</caption>
            <TableHead>
              <TableRow>
                <TableCell component="th" scope="col">
                  Class
                </TableCell>
                <TableCell component="th" scope="col" align="right">
                  Images
                </TableCell>
                <TableCell component="th" scope="col" align="right">
                  Share of subset
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {classes.map((name, i) => (
                <TableRow key={name} data-class={name}>
                  <TableCell component="th" scope="row">
                    {name}
                  </TableCell>
                  <TableCell align="right">{formatCount(counts[i] ?? 0)}</TableCell>
                  <TableCell align="right">{share(counts[i] ?? 0)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <Table size="small" sx={{ maxWidth: 320 }} data-testid="labels-histogram-table">
            <caption>Images by number of labels</caption>
            <TableHead>
              <TableRow>
                <TableCell component="th" scope="col">
                  Labels
                </TableCell>
                <TableCell component="th" scope="col" align="right">
                  Images
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {Object.entries(histogram).map(([labels, count]) => (
                <TableRow key={labels}>
                  <TableCell component="th" scope="row">
                    {labels}
                  </TableCell>
                  <TableCell align="right">{formatCount(count)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Stack>
      </Collapse>
    </div>
  );
});
