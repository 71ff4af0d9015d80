import SvgIcon, { type SvgIconProps } from '@mui/material/SvgIcon';
import type { ReactNode } from 'react';

// Paths from Material Icons (Apache 2.0); drawn here to avoid a 20 MB icon package for a handful.

export function DatasetIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M22 16V4c0-1.1-.9-2-2-2H8c-1.1 0-2 .9-2 2v12c0 1.1.9 2 2 2h12c1.1 0 2-.9 2-2m-11-4 2.03 2.71L16 11l4 5H8zM2 6v14c0 1.1.9 2 2 2h14v-2H4V6z" />
    </SvgIcon>
  );
}

export function FolderIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M10 4H4c-1.1 0-1.99.9-1.99 2L2 18c0 1.1.9 2 2 2h16c1.1 0 2-.9 2-2V8c0-1.1-.9-2-2-2h-8z" />
    </SvgIcon>
  );
}

export function FileIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M6 2c-1.1 0-1.99.9-1.99 2L4 20c0 1.1.89 2 1.99 2H18c1.1 0 2-.9 2-2V8l-6-6zm7 7V3.5L18.5 9z" />
    </SvgIcon>
  );
}

export function CloseIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z" />
    </SvgIcon>
  );
}

export function ExpandIcon({ expanded, sx, ...props }: SvgIconProps & { expanded: boolean }): ReactNode {
  return (
    <SvgIcon
      {...props}
      sx={[{ transition: 'transform 150ms', transform: expanded ? 'rotate(180deg)' : 'none' }, ...(Array.isArray(sx) ? sx : [sx])]}
    >
      <path d="M16.59 8.59 12 13.17 7.41 8.59 6 10l6 6 6-6z" />
    </SvgIcon>
  );
}

export function TrainIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M3.5 18.49l6-6.01 4 4L22 6.92l-1.41-1.41-7.09 7.97-4-4L2 16.99z" />
    </SvgIcon>
  );
}

export function EvaluateIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M19 3H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V5c0-1.1-.9-2-2-2M9 17H7v-7h2zm4 0h-2V7h2zm4 0h-2v-4h2z" />
    </SvgIcon>
  );
}
