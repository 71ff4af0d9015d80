import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { memo, type ReactNode } from 'react';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import { FolderIcon } from '../../components/icons';
import { baseName, countOf, dirName } from '../../components/format';

/** Which imported annotation file the workspace shows, and its images folder. */
export const ImportedFileSelector = memo(function ImportedFileSelector({
  files,
  file,
  onSelect,
  onChangeImagesDir,
}: {
  files: readonly ImportedFile[];
  file: ImportedFile;
  onSelect: (fileId: number) => void;
  onChangeImagesDir: () => void;
}): ReactNode {
  return (
    <Stack spacing={1.5}>
      <TextField
        select
        size="small"
        label="Annotation file"
        value={file.fileId}
        onChange={(event) => onSelect(Number(event.target.value))}
        slotProps={{
          htmlInput: { 'data-testid': 'file-selector' },
          select: {
            // The closed field: the name and, since two splits' files often share a name, its folder.
            renderValue: () => (
              <Box component="span" sx={{ display: 'flex', gap: 1, minWidth: 0, alignItems: 'baseline' }}>
                <span>{baseName(file.path)}</span>
                <Typography component="span" variant="body2" color="text.secondary" noWrap sx={{ minWidth: 0 }} title={file.path}>
                  in {dirName(file.path)}
                </Typography>
              </Box>
            ),
          },
        }}
        sx={{ maxWidth: 720 }}
      >
        {files.map((f) => (
          <MenuItem key={f.fileId} value={f.fileId} title={f.path} data-testid={`file-option-${f.fileId}`}>
            <ListItemText
              primary={
                <>
                  {baseName(f.path)}{' '}
                  <Typography component="span" variant="body2" color="text.secondary" data-testid="file-option-folder">
                    in {dirName(f.path)}
                  </Typography>
                </>
              }
              secondary={`${countOf(f.images, 'image', 'images')} · ${countOf(f.categories, 'category', 'categories')} · ${f.imagesDir === null ? 'no images folder' : `images in ${f.imagesDir}`} · imported ${new Date(f.importedAt).toLocaleString()}`}
            />
          </MenuItem>
        ))}
      </TextField>
      <Typography variant="body2" color="text.secondary" data-testid="file-facts">
        {file.path} — {countOf(file.images, 'image', 'images')}, {countOf(file.annotations, 'annotation', 'annotations')},{' '}
        {countOf(file.categories, 'category', 'categories')}
      </Typography>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
        <FolderIcon fontSize="small" color="action" />
        <Box sx={{ minWidth: 0 }}>
          {file.imagesDir === null ? (
            <Typography variant="body2" color="warning.main" data-testid="images-dir">
              No images folder set
            </Typography>
          ) : (
            <Typography variant="body2" sx={{ wordBreak: 'break-all' }} data-testid="images-dir">
              {file.imagesDir}
            </Typography>
          )}
        </Box>
        <Button size="small" onClick={onChangeImagesDir} data-testid="images-dir-button">
          {file.imagesDir === null ? 'Set images folder…' : 'Change…'}
        </Button>
      </Stack>
    </Stack>
  );
});
