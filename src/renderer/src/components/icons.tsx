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

export function PredictIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M18 13v7H4V6h5.02c.05-.71.22-1.38.48-2H4c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2v-5zm-1.5 5h-11l2.75-3.53 1.96 2.36 2.75-3.54zm2.8-9.11c.44-.7.7-1.51.7-2.39C20 4.01 17.99 2 15.5 2S11 4.01 11 6.5s2.01 4.5 4.49 4.5c.88 0 1.7-.26 2.39-.7L21 13.42 22.42 12 19.3 8.89zM15.5 9C14.12 9 13 7.88 13 6.5S14.12 4 15.5 4 18 5.12 18 6.5 16.88 9 15.5 9" />
    </SvgIcon>
  );
}

export function UploadIcon(props: SvgIconProps): ReactNode {
  return (
    <SvgIcon {...props}>
      <path d="M19.35 10.04C18.67 6.59 15.64 4 12 4 9.11 4 6.6 5.64 5.35 8.04 2.34 8.36 0 10.91 0 14c0 3.31 2.69 6 6 6h13c2.76 0 5-2.24 5-5 0-2.64-2.05-4.78-4.65-4.96M14 13v4h-4v-4H7l5-5 5 5z" />
    </SvgIcon>
  );
}
