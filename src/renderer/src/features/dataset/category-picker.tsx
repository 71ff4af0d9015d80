import Autocomplete, { createFilterOptions } from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMemo, type ReactNode } from 'react';
import type { CategoryInfo } from '../../../../shared/contract/dataset';
import { referenceExampleCategories } from '../../../../shared/domain/presets';
import { formatCount } from '../../components/format';

const filterOptions = createFilterOptions<CategoryInfo>({ stringify: (option) => `${option.name} ${option.supercategory}` });

/**
 * The category subset: a searchable multi-select grouped by supercategory, each option with its
 * image count, plus one click for the reference example's 12 classes. Order of selection is kept.
 */
export function CategoryPicker({
  categories,
  selected,
  onChange,
  disabled,
}: {
  categories: readonly CategoryInfo[];
  selected: readonly string[];
  onChange: (names: string[]) => void;
  disabled?: boolean;
}): ReactNode {
  // groupBy needs options sorted by group.
  const options = useMemo(
    () => [...categories].sort((a, b) => a.supercategory.localeCompare(b.supercategory) || a.name.localeCompare(b.name)),
    [categories],
  );
  const byName = useMemo(() => new Map(categories.map((c) => [c.name, c])), [categories]);
  const value = useMemo(() => selected.flatMap((name) => byName.get(name) ?? []), [selected, byName]);
  const reference = referenceExampleCategories.filter((name) => byName.has(name));
  const absent = referenceExampleCategories.filter((name) => !byName.has(name));

  return (
    <Stack spacing={1.5} data-testid="category-picker" data-selected={JSON.stringify(selected)}>
      <Autocomplete
        multiple
        disableCloseOnSelect
        disabled={disabled}
        options={options}
        value={value}
        groupBy={(option) => option.supercategory}
        getOptionLabel={(option) => option.name}
        isOptionEqualToValue={(option, chosen) => option.name === chosen.name}
        filterOptions={filterOptions}
        onChange={(_event, next) => onChange(next.map((c) => c.name))}
        renderOption={({ key, ...props }, option, { selected: isSelected }) => (
          <li key={key} {...props} data-testid={`category-option-${option.name}`}>
            <Checkbox size="small" checked={isSelected} sx={{ mr: 1, p: 0.5 }} tabIndex={-1} disableRipple />
            <Box sx={{ flexGrow: 1 }}>{option.name}</Box>
            <Typography variant="body2" color="text.secondary" sx={{ ml: 2 }} title={`${option.imageCount} images contain ${option.name}`}>
              {formatCount(option.imageCount)}
            </Typography>
          </li>
        )}
        renderInput={(params) => (
          <TextField
            {...params}
            label="Categories"
            placeholder={value.length === 0 ? 'Search categories or supercategories' : undefined}
            slotProps={{ ...params.slotProps, htmlInput: { ...params.slotProps.htmlInput, 'data-testid': 'category-input' } }}
          />
        )}
        slotProps={{ chip: { size: 'small' }, listbox: { sx: { maxHeight: 420 } } }}
      />
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
        <Button
          variant="outlined"
          size="small"
          disabled={disabled === true || reference.length === 0}
          onClick={() => onChange([...reference])}
          data-testid="reference-example-button"
          title={`Select ${referenceExampleCategories.join(', ')}`}
        >
          Reference example ({referenceExampleCategories.length})
        </Button>
        <Button
          size="small"
          disabled={disabled === true || selected.length === 0}
          onClick={() => onChange([])}
          data-testid="clear-categories-button"
        >
          Clear
        </Button>
        <Typography variant="body2" color="text.secondary" data-testid="selected-count">
          {selected.length === 0 ? 'No categories selected' : `${selected.length} of ${categories.length} categories selected`}
        </Typography>
      </Stack>
      {absent.length > 0 && absent.length < referenceExampleCategories.length && (
        <Typography variant="caption" color="text.secondary">
          Not in this file, so left out of the reference selection: {absent.join(', ')}.
        </Typography>
      )}
    </Stack>
  );
}
