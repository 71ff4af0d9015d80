import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { theme } from './app/theme';
import { ApiProvider } from './rpc/api-context';
import { sharedConnection } from './rpc/connect';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element.');

createRoot(root).render(
  <StrictMode>
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <ApiProvider connection={sharedConnection()}>
        <App />
      </ApiProvider>
    </ThemeProvider>
  </StrictMode>,
);
