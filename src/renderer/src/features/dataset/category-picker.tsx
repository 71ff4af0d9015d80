import Autocomplete, { createFilterOptions } from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import ListSubheader from '@mui/material/ListSubheader';
import Stack from '@mui/material/Stack';
import { useTheme } from '@mui/material/styles';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { memo, useMemo, type ReactNode } from 'react';
import type { CategoryInfo } from '../../../../shared/contract/dataset';
import { referenceExampleCategories } from '../../../../shared/domain/presets';
import { formatCount } from '../../components/format';

const filterOptions = createFilterOptions<CategoryInfo>({ stringify: (option) => `${option.name} ${option.supercategory}` });

/** Chips shown in the field; the rest of a large selection is counted ("+68 more") and listed in the menu. */
const chipsShown = 12;

/**
 * A check box drawn as plain SVG: the menu holds up to 80 of them and re-renders them on every
 * change, where MUI's Checkbox (a button with ripple and styles each) cost tens of milliseconds.
 * The option or group around it carries the state for assistive technology.
 */
function CheckMark({ state, color }: { state: 'checked' | 'unchecked' | 'mixed'; color: string }): ReactNode {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" style={{ flexShrink: 0, marginRight: 10 }}>
      {state === 'unchecked' ? (
        <path
          fill="currentColor"
          opacity="0.6"
          d="M19 5v14H5V5zm0-2H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V5c0-1.1-.9-2-2-2"
        />
      ) : (
        <path
          fill={color}
          d={
            state === 'checked'
              ? 'M19 3H5c-1.11 0-2 .9-2 2v14c0 1.1.89 2 2 2h14c1.11 0 2-.9 2-2V5c0-1.1-.89-2-2-2m-9 14-5-5 1.41-1.41L10 14.17l7.59-7.59L19 8z'
              : 'M19 3H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V5c0-1.1-.9-2-2-2m-2 10H7v-2h10z'
          }
        />
      )}
    </svg>
  );
}

/**
 * The category subset: a searchable multi-select grouped by supercategory (a group's box selects or
 * clears the whole group), each option with its image count, plus one click for all classes, none,
 * or the reference example's 12. Order of selection is kept. Memoised: it renders again only when
 * the categories or the selection change (pass a stable onChange).
 */
export const CategoryPicker = memo(function CategoryPicker({
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
  const theme = useTheme();
  const checkColor = theme.palette.primary.main;
  const countStyle = useMemo(
    () => ({ marginLeft: 16, color: theme.palette.text.secondary, fontSize: theme.typography.body2.fontSize }),
    [theme],
  );
  // groupBy needs options sorted by group.
  const options = useMemo(
    () => [...categories].sort((a, b) => a.supercategory.localeCompare(b.supercategory) || a.name.localeCompare(b.name)),
    [categories],
  );
  const byName = useMemo(() => new Map(categories.map((c) => [c.name, c])), [categories]);
  const value = useMemo(() => selected.flatMap((name) => byName.get(name) ?? []), [selected, byName]);
  const reference = referenceExampleCategories.filter((name) => byName.has(name));
  const absent = referenceExampleCategories.filter((name) => !byName.has(name));
  const selectedSet = useMemo(() => new Set(selected), [selected]);
  const groups = useMemo(() => {
    const members = new Map<string, string[]>();
    for (const c of options) members.set(c.supercategory, [...(members.get(c.supercategory) ?? []), c.name]);
    return members;
  }, [options]);
  const allSelected = categories.length > 0 && categories.every((c) => selectedSet.has(c.name));

  /** Adds names not yet chosen after the current selection, in the file's order (by category id). */
  const add = (names: readonly string[]): void => {
    const wanted = new Set(names);
    onChange([...selected, ...categories.filter((c) => wanted.has(c.name) && !selectedSet.has(c.name)).map((c) => c.name)]);
  };
  const toggleGroup = (group: string): void => {
    const members = groups.get(group) ?? [];
    if (members.every((name) => selectedSet.has(name))) {
      const dropped = new Set(members);
      onChange(selected.filter((name) => !dropped.has(name)));
    } else {
      add(members);
    }
  };

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
        renderValue={(chosen, getItemProps) => (
          <>
            {chosen.slice(0, chipsShown).map((option, index) => {
              const { key, ...itemProps } = getItemProps({ index });
              return <Chip key={key} {...itemProps} label={option.name} size="small" data-testid={`category-chip-${option.name}`} />;
            })}
            {chosen.length > chipsShown && (
              <Typography
                variant="body2"
                color="text.secondary"
                sx={{ mx: 0.5 }}
                title={chosen
                  .slice(chipsShown)
                  .map((c) => c.name)
                  .join(', ')}
                data-testid="category-chips-more"
              >
                +{chosen.length - chipsShown} more
              </Typography>
            )}
          </>
        )}
        renderGroup={(params) => {
          const members = groups.get(params.group) ?? [];
          const chosen = members.filter((name) => selectedSet.has(name)).length;
          const state = chosen === 0 ? 'unchecked' : chosen === members.length ? 'checked' : 'mixed';
          return (
            <li key={params.key}>
              <ListSubheader
                component="div"
                role="button"
                aria-pressed={state === 'mixed' ? 'mixed' : state === 'checked'}
                sx={{ display: 'flex', alignItems: 'center', lineHeight: '36px', cursor: 'pointer', userSelect: 'none' }}
                // Keeps the focus (and so the menu) in the field.
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => toggleGroup(params.group)}
                data-testid={`category-group-${params.group}`}
                title={state === 'checked' ? `Clear every ${params.group} category` : `Select every ${params.group} category`}
              >
                <CheckMark state={state} color={checkColor} />
                {params.group}
                <Typography component="span" variant="caption" color="text.secondary" sx={{ ml: 1 }}>
                  {chosen} of {members.length}
                </Typography>
              </ListSubheader>
              <Box component="ul" sx={{ p: 0 }}>
                {params.children}
              </Box>
            </li>
          );
        }}
        // Plain elements with the theme's values: 80 options render again on every change.
        renderOption={({ key, ...props }, option, { selected: isSelected }) => (
          <li key={key} {...props} data-testid={`category-option-${option.name}`}>
            <CheckMark state={isSelected ? 'checked' : 'unchecked'} color={checkColor} />
            <span style={{ flexGrow: 1 }}>{option.name}</span>
            <span style={countStyle} title={`${option.imageCount} images contain ${option.name}`}>
              {formatCount(option.imageCount)}
            </span>
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
        slotProps={{ listbox: { sx: { maxHeight: 420 } } }}
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
          variant="outlined"
          size="small"
          disabled={disabled === true || allSelected}
          onClick={() => add(categories.map((c) => c.name))}
          data-testid="select-all-categories-button"
          title="Select every category of this file"
        >
          All ({categories.length})
        </Button>
        <Button
          variant="outlined"
          size="small"
          disabled={disabled === true || selected.length === 0}
          onClick={() => onChange([])}
          data-testid="clear-categories-button"
          title="Clear the selection"
        >
          None
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
});
