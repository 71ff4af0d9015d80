import Drawer from '@mui/material/Drawer';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import Toolbar from '@mui/material/Toolbar';
import type { ReactNode } from 'react';
import type { Workspace } from './workspaces';

export const navigationWidth = 200;

/** The left navigation: one entry per workspace. */
export function Navigation({
  workspaces,
  active,
  onNavigate,
}: {
  workspaces: readonly Workspace[];
  active: string;
  onNavigate: (id: string) => void;
}): ReactNode {
  return (
    <Drawer
      variant="permanent"
      sx={{ width: navigationWidth, flexShrink: 0, '& .MuiDrawer-paper': { width: navigationWidth, boxSizing: 'border-box' } }}
    >
      <Toolbar />
      <nav aria-label="Workspaces">
        <List>
          {workspaces.map((workspace) => (
            <ListItemButton
              key={workspace.id}
              selected={workspace.id === active}
              aria-current={workspace.id === active ? 'page' : undefined}
              onClick={() => onNavigate(workspace.id)}
              data-testid={`nav-${workspace.id}`}
            >
              <ListItemIcon sx={{ minWidth: 40 }}>{workspace.icon}</ListItemIcon>
              <ListItemText primary={workspace.label} />
            </ListItemButton>
          ))}
        </List>
      </nav>
    </Drawer>
  );
}
