import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { useEffect, type ReactNode } from 'react';
import { preloadPlotlyWhenIdle } from '../components/plot';
import { useApi, useConnectionState } from '../rpc/api-context';
import { useRequest } from '../rpc/use-request';
import { ErrorBoundary } from '../components/error-boundary';
import { JobsIndicator } from '../jobs/jobs-indicator';
import { AppInfoProvider } from './app-info-context';
import { ConnectionBanner } from './connection-banner';
import { Navigation } from './navigation';
import { Notices } from './notices';
import { PreferencesButton } from './preferences-dialog';
import { useWorkspaceRoute } from './use-workspace-route';
import { workspaces } from './workspaces';

const workspaceIds = workspaces.map((w) => w.id);
const hostLabels = { electron: 'Desktop', serve: 'Server', test: 'Test' } as const;

/** The shell: app bar, navigation, the active workspace, and a banner when the service is unreachable. */
export function App(): ReactNode {
  const api = useApi();
  const connection = useConnectionState();
  const info = useRequest('app.info', (signal) => api.app.info({}, { signal }));
  const [active, navigate] = useWorkspaceRoute(workspaceIds);
  const workspace = workspaces.find((w) => w.id === active);

  const appState = info.data !== undefined ? 'loaded' : info.error !== undefined || connection.status === 'closed' ? 'error' : 'loading';
  useEffect(() => {
    // End-to-end tests wait for [data-app-state="loaded"] on <body>.
    document.body.dataset.appState = appState;
  }, [appState]);
  // Effects run after the first paint: the chart library loads while the user reads the page.
  useEffect(() => preloadPlotlyWhenIdle(), []);

  // The connection's own error says why (wrong token, server stopped); the call's error only that it failed.
  const banner =
    connection.status === 'closed'
      ? connection.error
      : connection.status === 'open' || info.error?.code !== 'TRANSPORT_CLOSED'
        ? info.error
        : undefined;

  return (
    <Box sx={{ display: 'flex', minHeight: '100vh' }}>
      <AppBar position="fixed" elevation={0} sx={{ zIndex: (theme) => theme.zIndex.drawer + 1 }}>
        <Toolbar variant="dense">
          <Typography variant="h6" component="h1" sx={{ flexGrow: 1 }}>
            Multilabel Workbench
          </Typography>
          {info.data !== undefined && <JobsIndicator onNavigate={navigate} />}
          {info.data !== undefined && <PreferencesButton />}
          {info.data !== undefined && (
            <Chip
              size="small"
              label={`${hostLabels[info.data.host]} · v${info.data.version}`}
              title={`Data folder: ${info.data.dataDir}`}
              sx={{ color: 'inherit', borderColor: 'rgba(255,255,255,0.5)' }}
              variant="outlined"
              data-testid="app-version"
            />
          )}
        </Toolbar>
      </AppBar>
      <Navigation workspaces={workspaces} active={active} onNavigate={navigate} />
      <Box component="main" sx={{ flexGrow: 1, minWidth: 0 }}>
        <Toolbar variant="dense" />
        {banner !== undefined && (
          // Stays in view under the app bar wherever the page is scrolled.
          <Box sx={{ position: 'sticky', top: 48, zIndex: (theme) => theme.zIndex.appBar }}>
            <ConnectionBanner error={banner} />
          </Box>
        )}
        {info.data === undefined && banner === undefined && (
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, p: 4 }} role="status">
            <CircularProgress size={24} />
            <Typography>Connecting to the workbench service…</Typography>
          </Box>
        )}
        {info.data !== undefined && <Notices />}
        {info.data !== undefined && workspace !== undefined && (
          <AppInfoProvider info={info.data}>
            <Box sx={{ p: 3, maxWidth: 1600, mx: 'auto' }} data-testid={`workspace-${workspace.id}`}>
              <ErrorBoundary key={workspace.id} name={`The ${workspace.label} workspace`} dataDir={info.data.dataDir}>
                {workspace.render()}
              </ErrorBoundary>
            </Box>
          </AppInfoProvider>
        )}
      </Box>
    </Box>
  );
}
