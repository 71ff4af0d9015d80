import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What failed, for the sentence ("the Train workspace"). */
  name: string;
  /** Where the app keeps its data (and, with it, what to attach to a report). */
  dataDir: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
  componentStack: string;
  copied: boolean;
}

/**
 * Keeps one part of the app from taking the rest down: an exception while rendering it shows what
 * went wrong, a button that copies the details for a report, and Try again; navigation and the
 * other workspaces go on working. Keyed by workspace by its parent, so leaving resets it.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, componentStack: '', copied: false };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)), copied: false };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    this.setState({ componentStack: info.componentStack ?? '' });
    console.error(`${this.props.name} failed to render:`, error);
  }

  details(): string {
    const { error, componentStack } = this.state;
    return [
      `${this.props.name} failed to render.`,
      `${error?.name ?? 'Error'}: ${error?.message ?? ''}`,
      error?.stack ?? '',
      componentStack,
    ]
      .filter((part) => part !== '')
      .join('\n');
  }

  override render(): ReactNode {
    const { error, copied } = this.state;
    if (error === null) return this.props.children;
    return (
      <Alert severity="error" data-testid="error-boundary">
        <AlertTitle>{this.props.name} stopped working</AlertTitle>
        <Typography variant="body2" gutterBottom>
          {error.message || error.name}. The other workspaces still work. Try again, or copy the details for a bug report (the app&rsquo;s
          data is in {this.props.dataDir}).
        </Typography>
        <Stack direction="row" spacing={1}>
          <Button
            size="small"
            variant="outlined"
            onClick={() => this.setState({ error: null, componentStack: '' })}
            data-testid="error-boundary-retry"
          >
            Try again
          </Button>
          <Button
            size="small"
            onClick={() =>
              void navigator.clipboard?.writeText(this.details()).then(
                () => this.setState({ copied: true }),
                () => undefined,
              )
            }
            data-testid="error-boundary-copy"
          >
            {copied ? 'Copied' : 'Copy details'}
          </Button>
        </Stack>
      </Alert>
    );
  }
}
