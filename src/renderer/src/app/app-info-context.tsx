import { createContext, useContext, type ReactNode } from 'react';
import type { AppInfo } from '../../../shared/contract/app';

const AppInfoContext = createContext<AppInfo | null>(null);

export function AppInfoProvider({ info, children }: { info: AppInfo; children: ReactNode }): ReactNode {
  return <AppInfoContext value={info}>{children}</AppInfoContext>;
}

/** Version, host and whether native file dialogs exist; available once the app has loaded. */
export function useAppInfo(): AppInfo {
  const info = useContext(AppInfoContext);
  if (info === null) throw new Error('useAppInfo needs an <AppInfoProvider> above it.');
  return info;
}
