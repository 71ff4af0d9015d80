/**
 * A stand-in for the `electron` module, for tests of the main process and the preload on machines
 * without Electron's binary. A test file puts it in place of the real module with
 *
 *     vi.mock('electron', () => import('./testing/fake-electron'));
 *
 * and the code under test imports `app`, `BrowserWindow`, `ipcMain`, … from 'electron' as usual.
 * It has what this app uses of each, behaving as Electron documents it, and records what was
 * asked of it; the methods a page, a user or Chromium would trigger (a page sending an IPC message
 * from some frame, clicking a link, navigating; a renderer crash; answering a dialog) are there for
 * the tests to call. `utilityProcess.fork` starts a real Node process, which sees Electron's
 * `process.parentPort` (utility-process-child.ts). `resetFakeElectron()` puts everything back as
 * at start, ending any process still running.
 */
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { CrashOrder } from './utility-process-child';

// IPC and process messages are copied with the structured clone algorithm, as Electron copies them.
const copy = <T>(value: T): T => structuredClone(value);

/** Electron's preventable events (`will-navigate`, `before-quit`, …). */
export class FakeEvent {
  defaultPrevented = false;
  constructor(details: Record<string, unknown> = {}) {
    Object.assign(this, details);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

// ---------------------------------------------------------------------------------------------
// app

class FakeApp extends EventEmitter {
  name = 'Electron';
  /** Where `getAppPath()` says the app is (Electron: the folder of its package.json). */
  appPath = process.cwd();
  readonly paths = new Map<string, string>();
  /** The code given to `exit()`, if it was called. */
  exitCode: number | undefined;
  /** Whether a quit went through (`before-quit` and `will-quit` were not prevented). */
  quitted = false;
  /** How many times `quit()` was called. */
  quitCalls = 0;
  private ready = false;
  private markReady!: () => void;
  private readyPromise!: Promise<void>;

  constructor() {
    super();
    this.resetReady();
  }

  resetReady(): void {
    this.ready = false;
    this.readyPromise = new Promise((resolve) => (this.markReady = resolve));
  }

  setName(name: string): void {
    this.name = name;
  }
  getName(): string {
    return this.name;
  }
  setPath(name: string, path: string): void {
    this.paths.set(name, path);
  }
  getPath(name: string): string {
    const path = this.paths.get(name);
    if (path === undefined) throw new Error(`Failed to get '${name}' path (the fake app knows only the paths set on it)`);
    return path;
  }
  getAppPath(): string {
    return this.appPath;
  }
  whenReady(): Promise<void> {
    return this.readyPromise;
  }
  isReady(): boolean {
    return this.ready;
  }
  /** What Electron does once Chromium has started: `ready`, then `whenReady()` settles. */
  becomeReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.emit('ready', new FakeEvent(), {});
    this.markReady();
  }
  /** Asks to quit: `before-quit` (which may prevent it), the windows close, then `will-quit` (which may too). */
  quit(): void {
    this.quitCalls += 1;
    const beforeQuit = new FakeEvent();
    this.emit('before-quit', beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    for (const window of FakeBrowserWindow.getAllWindows()) window.destroy({ quitting: true });
    const willQuit = new FakeEvent();
    this.emit('will-quit', willQuit);
    if (willQuit.defaultPrevented) return;
    this.quitted = true;
    this.emit('quit', new FakeEvent(), 0);
  }
  /** Exits at once, asking no one (Electron emits no quit events). */
  exit(code = 0): void {
    this.exitCode = code;
  }
}

// ---------------------------------------------------------------------------------------------
// dialog

export interface MessageBoxOptions {
  type?: string;
  buttons?: string[];
  defaultId?: number;
  cancelId?: number;
  message: string;
  detail?: string;
}

/** A message box on screen until the test answers it, as a user would. */
export interface ShownMessageBox {
  window: FakeBrowserWindow | null;
  options: MessageBoxOptions;
  /** Clicks the button with this index. */
  answer(response: number): void;
}

export interface ShownOpenDialog {
  window: FakeBrowserWindow | null;
  options: Record<string, unknown>;
  answer(result: { canceled: boolean; filePaths: string[] }): void;
}

class FakeDialog {
  /** Message boxes shown with `showMessageBox`, in order, answered or not. */
  readonly messageBoxes: ShownMessageBox[] = [];
  /** Message boxes shown with `showMessageBoxSync`, with the answer each got. */
  readonly syncMessageBoxes: { window: FakeBrowserWindow | null; options: MessageBoxOptions; response: number }[] = [];
  readonly openDialogs: ShownOpenDialog[] = [];
  readonly errorBoxes: { title: string; content: string }[] = [];
  private readonly syncAnswers: number[] = [];

  /** The button the next `showMessageBoxSync` returns (a sync box cannot wait for the test). */
  answerNextSync(response: number): void {
    this.syncAnswers.push(response);
  }

  showMessageBox(
    windowOrOptions: FakeBrowserWindow | MessageBoxOptions,
    maybeOptions?: MessageBoxOptions,
  ): Promise<{ response: number; checkboxChecked: boolean }> {
    const [window, options] = windowAndOptions(windowOrOptions, maybeOptions);
    return new Promise((resolve) => {
      this.messageBoxes.push({ window, options, answer: (response) => resolve({ response, checkboxChecked: false }) });
    });
  }

  showMessageBoxSync(windowOrOptions: FakeBrowserWindow | MessageBoxOptions, maybeOptions?: MessageBoxOptions): number {
    const [window, options] = windowAndOptions(windowOrOptions, maybeOptions);
    const response = this.syncAnswers.shift();
    if (response === undefined)
      throw new Error(`An unexpected message box: "${options.message}" (no answer was given with answerNextSync)`);
    this.syncMessageBoxes.push({ window, options, response });
    return response;
  }

  showOpenDialog(
    windowOrOptions: FakeBrowserWindow | Record<string, unknown>,
    maybeOptions?: Record<string, unknown>,
  ): Promise<{ canceled: boolean; filePaths: string[] }> {
    const [window, options] = windowAndOptions(windowOrOptions, maybeOptions);
    return new Promise((resolve) => this.openDialogs.push({ window, options, answer: resolve }));
  }

  showErrorBox(title: string, content: string): void {
    this.errorBoxes.push({ title, content });
  }

  reset(): void {
    this.messageBoxes.length = 0;
    this.syncMessageBoxes.length = 0;
    this.openDialogs.length = 0;
    this.errorBoxes.length = 0;
    this.syncAnswers.length = 0;
  }
}

function windowAndOptions<O>(windowOrOptions: FakeBrowserWindow | O, maybeOptions: O | undefined): [FakeBrowserWindow | null, O] {
  return windowOrOptions instanceof FakeBrowserWindow ? [windowOrOptions, maybeOptions!] : [null, windowOrOptions];
}

// ---------------------------------------------------------------------------------------------
// webContents, BrowserWindow

/** What a WebFrameMain has that the app reads: the URL of the frame that sent an IPC message. */
export interface FakeFrame {
  url: string;
}

export interface WindowOpenDetails {
  url: string;
  frameName: string;
  features: string;
  disposition: string;
  referrer: { url: string; policy: string };
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  /** The page's side of IPC: what main sends, emitted by channel (the fake ipcRenderer listens here). */
  readonly toPage = new EventEmitter();
  /** Every message main sent to the page, copied. */
  readonly sent: { channel: string; args: unknown[] }[] = [];
  /** Every `loadURL` / `loadFile` target, as a URL. */
  readonly loads: string[] = [];
  readonly printed: Record<string, unknown>[] = [];
  reloads = 0;
  windowOpenHandler: ((details: WindowOpenDetails) => { action: 'allow' | 'deny' }) | undefined;
  private url = '';
  private destroyed = false;

  constructor(readonly window: FakeBrowserWindow | null = null) {
    super();
  }

  getURL(): string {
    return this.url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new TypeError('Object has been destroyed');
    const copied = args.map(copy);
    this.sent.push({ channel, args: copied });
    this.toPage.emit(channel, { sender: ipcRenderer }, ...copied);
  }
  setWindowOpenHandler(handler: (details: WindowOpenDetails) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  loadURL(url: string): Promise<void> {
    return this.load(url);
  }
  loadFile(file: string): Promise<void> {
    return this.load(pathToFileURL(file).href);
  }
  reload(): void {
    this.reloads += 1;
    void this.commit(this.url);
  }
  printToPDF(options: Record<string, unknown>): Promise<Buffer> {
    this.printed.push(options);
    return Promise.resolve(Buffer.from('%PDF-1.7 printed by the fake webContents'));
  }

  // What a page, a user or Chromium does:

  /**
   * The page sends an IPC message, as the preload's `ipcRenderer.send` does, from its main frame
   * (the page's URL) unless another frame's URL is given (a subframe), or `null` for a frame that is gone.
   */
  sendFromPage(channel: string, args: unknown[], from: { frameUrl?: string | null } = {}): void {
    const frameUrl = from.frameUrl === undefined ? this.url : from.frameUrl;
    const senderFrame: FakeFrame | null = frameUrl === null ? null : { url: frameUrl };
    const event = { sender: this, senderFrame, frameId: 1, processId: 1, returnValue: undefined, ports: [] };
    ipcMain.emit(channel, event, ...args.map(copy));
  }
  /** The page calls `window.open(url)` or the user clicks a `target="_blank"` link: the handler decides. */
  openFromPage(url: string): { action: 'allow' | 'deny' } {
    const details: WindowOpenDetails = {
      url,
      frameName: '',
      features: '',
      disposition: 'foreground-tab',
      referrer: { url: this.url, policy: 'strict-origin-when-cross-origin' },
    };
    return this.windowOpenHandler?.(details) ?? { action: 'allow' };
  }
  /** The page navigates itself (a link, `location.href = …`): `will-navigate` may prevent it. Says whether it went. */
  async navigateFromPage(url: string): Promise<boolean> {
    const event = new FakeEvent({ url, isMainFrame: true });
    this.emit('will-navigate', event, url);
    if (event.defaultPrevented) return false;
    await this.commit(url);
    return true;
  }
  /** The renderer process ends (`crashed`, `killed`, `oom`, `clean-exit`, …). */
  renderProcessGone(reason: string, exitCode = reason === 'clean-exit' ? 0 : 1): void {
    this.emit('render-process-gone', new FakeEvent(), { reason, exitCode });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('destroyed');
  }

  private async load(url: string): Promise<void> {
    this.loads.push(url);
    await this.commit(url);
    this.emit('did-finish-load');
    if (this.window !== null && !this.window.readyToShow) {
      this.window.readyToShow = true;
      this.window.emit('ready-to-show');
    }
  }

  private async commit(url: string): Promise<void> {
    // Navigation is asynchronous in Chromium: the page commits after the call returns.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.destroyed) return;
    this.url = url;
    this.emit('did-navigate', new FakeEvent(), url, 200, 'OK');
  }
}

export interface FakeWindowOptions {
  show?: boolean;
  title?: string;
  webPreferences?: Record<string, unknown>;
  [option: string]: unknown;
}

export class FakeBrowserWindow extends EventEmitter {
  /** Every window made since the last reset, closed or not, in order. */
  static readonly made: FakeBrowserWindow[] = [];
  private static focused: FakeBrowserWindow | null = null;

  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.made.filter((window) => !window.destroyed);
  }
  static getFocusedWindow(): FakeBrowserWindow | null {
    const focused = FakeBrowserWindow.focused;
    return focused !== null && !focused.destroyed ? focused : null;
  }
  static resetAll(): void {
    for (const window of FakeBrowserWindow.getAllWindows()) window.destroy({ quitting: true });
    FakeBrowserWindow.made.length = 0;
    FakeBrowserWindow.focused = null;
  }

  readonly webContents: FakeWebContents = new FakeWebContents(this);
  visible: boolean;
  /** Whether `ready-to-show` has been emitted (once, after the first page is loaded). */
  readyToShow = false;
  private destroyed = false;

  constructor(readonly options: FakeWindowOptions = {}) {
    super();
    this.visible = options.show !== false;
    FakeBrowserWindow.made.push(this);
  }

  get webPreferences(): Record<string, unknown> {
    return this.options.webPreferences ?? {};
  }
  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }
  loadFile(file: string): Promise<void> {
    return this.webContents.loadFile(file);
  }
  reload(): void {
    this.webContents.reload();
  }
  show(): void {
    this.visible = true;
    FakeBrowserWindow.focused = this;
  }
  focus(): void {
    FakeBrowserWindow.focused = this;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** The user closes the window: `close` (preventable), then it is destroyed. */
  close(): void {
    const event = new FakeEvent();
    this.emit('close', event);
    if (!event.defaultPrevented) this.destroy();
  }
  destroy(how: { quitting?: boolean } = {}): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.webContents.destroy();
    this.emit('closed');
    // Electron says so when the last window closes, but not while quitting.
    if (!how.quitting && FakeBrowserWindow.getAllWindows().length === 0) app.emit('window-all-closed');
  }
}

// ---------------------------------------------------------------------------------------------
// ipcRenderer and contextBridge: the preload's side, in the page of one webContents

class FakeIpcRenderer {
  /** The page the preload runs in; `attach` sets it. */
  private page: FakeWebContents | undefined;
  /** The URL of the frame the preload's messages come from (the page's own unless set). */
  private frameUrl: string | undefined;

  /** Runs the preload's IPC in this webContents' page (from a subframe at `frameUrl`, if given). */
  attach(contents: FakeWebContents, frameUrl?: string): void {
    this.page = contents;
    this.frameUrl = frameUrl;
  }
  detach(): void {
    this.page = undefined;
    this.frameUrl = undefined;
  }
  send(channel: string, ...args: unknown[]): void {
    this.requirePage().sendFromPage(channel, args, this.frameUrl === undefined ? {} : { frameUrl: this.frameUrl });
  }
  on(channel: string, listener: (...args: unknown[]) => void): this {
    this.requirePage().toPage.on(channel, listener);
    return this;
  }
  off(channel: string, listener: (...args: unknown[]) => void): this {
    this.requirePage().toPage.off(channel, listener);
    return this;
  }
  removeListener(channel: string, listener: (...args: unknown[]) => void): this {
    return this.off(channel, listener);
  }
  private requirePage(): FakeWebContents {
    if (this.page === undefined) throw new Error('ipcRenderer is used outside a page: attach it to a webContents first');
    return this.page;
  }
}

class FakeContextBridge {
  /** What the preload put on the page's `window`, by key. */
  readonly exposed = new Map<string, unknown>();
  exposeInMainWorld(key: string, api: unknown): void {
    if (this.exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
    this.exposed.set(key, api);
  }
}

// ---------------------------------------------------------------------------------------------
// utilityProcess

export interface FakeForkOptions {
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
  cwd?: string;
  stdio?: 'pipe' | 'ignore' | 'inherit';
  serviceName?: string;
}

const childPreload = new URL('./utility-process-child.ts', import.meta.url).href;

/**
 * A utility process backed by a real Node process (`child_process.fork`, TypeScript run through
 * tsx), with Electron's interface: `postMessage`, a `message` event with the message itself, an
 * `exit` event with a number, `stdout`/`stderr` streams for `stdio: 'pipe'`, and `kill()`.
 * A process that a signal ended reports 128 plus the signal's number, as a shell does. `exit` comes
 * once the child's output has been read to its end (Electron drops what is still in transit then).
 */
export class FakeUtilityProcess extends EventEmitter {
  /** Every process forked since the last reset, in order. */
  static readonly forked: FakeUtilityProcess[] = [];

  readonly stdout: PassThrough | null;
  readonly stderr: PassThrough | null;
  /** The exit code once it has ended. */
  exitCode: number | undefined;
  /** Settles with the exit code. */
  readonly exited: Promise<number>;
  private readonly child: ChildProcess;

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: FakeForkOptions,
  ) {
    super();
    const pipe = options.stdio === 'pipe';
    const out = options.stdio === 'inherit' ? 'inherit' : pipe ? 'pipe' : 'ignore';
    this.stdout = pipe ? new PassThrough() : null;
    this.stderr = pipe ? new PassThrough() : null;
    this.child = fork(modulePath, args, {
      execArgv: ['--import', 'tsx', '--import', childPreload, ...(options.execArgv ?? [])],
      serialization: 'advanced',
      stdio: ['ignore', out, out, 'ipc'],
      env: options.env ?? process.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    if (this.stdout) this.child.stdout!.pipe(this.stdout);
    if (this.stderr) this.child.stderr!.pipe(this.stderr);
    this.child.on('spawn', () => this.emit('spawn'));
    this.child.on('message', (message: unknown) => this.emit('message', message));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        const exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
        this.exitCode = exitCode;
        this.emit('exit', exitCode);
        resolve(exitCode);
      });
    });
    FakeUtilityProcess.forked.push(this);
  }

  get pid(): number | undefined {
    return this.exitCode === undefined ? this.child.pid : undefined;
  }
  /** Dropped once the process has ended, as in Electron. */
  postMessage(message: unknown): void {
    if (this.exitCode === undefined && this.child.connected) this.child.send(copy(message) as Serializable);
  }
  /** False once the process has ended, as in Electron. */
  kill(): boolean {
    if (this.exitCode !== undefined) return false;
    return this.child.kill();
  }
  /** Makes the process write `stderr` and exit with `code`, as one that hit an uncaught error does. */
  crash(code: number, stderr: string): void {
    const order: CrashOrder = { fakeElectronCrash: { code, stderr } };
    this.child.send(order);
  }
}

// ---------------------------------------------------------------------------------------------
// shell, session, Menu

class FakeShell {
  readonly openedExternal: string[] = [];
  readonly openedPaths: string[] = [];
  openExternal(url: string): Promise<void> {
    this.openedExternal.push(url);
    return Promise.resolve();
  }
  openPath(path: string): Promise<string> {
    this.openedPaths.push(path);
    return Promise.resolve('');
  }
}

type PermissionRequestHandler = (
  contents: FakeWebContents,
  permission: string,
  callback: (granted: boolean) => void,
  details: Record<string, unknown>,
) => void;
type PermissionCheckHandler = (
  contents: FakeWebContents | null,
  permission: string,
  origin: string,
  details: Record<string, unknown>,
) => boolean;

class FakeSession {
  permissionRequestHandler: PermissionRequestHandler | null = null;
  permissionCheckHandler: PermissionCheckHandler | null = null;
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.permissionCheckHandler = handler;
  }
}

export interface FakeMenuItem {
  label?: string;
  role?: string;
  click?: () => void;
  submenu?: FakeMenuItem[];
}

class FakeMenu {
  constructor(readonly items: FakeMenuItem[]) {}
  static applicationMenu: FakeMenu | null = null;
  static buildFromTemplate(template: FakeMenuItem[]): FakeMenu {
    return new FakeMenu(template);
  }
  static setApplicationMenu(menu: FakeMenu | null): void {
    FakeMenu.applicationMenu = menu;
  }
  static getApplicationMenu(): FakeMenu | null {
    return FakeMenu.applicationMenu;
  }
}

// ---------------------------------------------------------------------------------------------
// The module's exports, named as Electron's

export const app = new FakeApp();
export const BrowserWindow = FakeBrowserWindow;
export const ipcMain = new EventEmitter();
export const ipcRenderer = new FakeIpcRenderer();
export const contextBridge = new FakeContextBridge();
export const utilityProcess = {
  fork: (modulePath: string, args: string[] = [], options: FakeForkOptions = {}): FakeUtilityProcess =>
    new FakeUtilityProcess(modulePath, args, options),
};
export const dialog = new FakeDialog();
export const shell = new FakeShell();
export const session = { defaultSession: new FakeSession() };
export const Menu = FakeMenu;

/**
 * Back to a fresh start: windows, listeners, records and answers gone; processes still running are
 * killed and awaited. What the preload exposed stays: it runs once per test file, as once per page.
 */
export async function resetFakeElectron(): Promise<void> {
  const running = FakeUtilityProcess.forked.filter((child) => child.exitCode === undefined);
  for (const child of running) child.kill();
  await Promise.all(running.map((child) => child.exited));
  FakeUtilityProcess.forked.length = 0;
  FakeBrowserWindow.resetAll();
  app.removeAllListeners();
  app.resetReady();
  app.name = 'Electron';
  app.appPath = process.cwd();
  app.paths.clear();
  app.exitCode = undefined;
  app.quitted = false;
  app.quitCalls = 0;
  ipcMain.removeAllListeners();
  ipcRenderer.detach();
  dialog.reset();
  shell.openedExternal.length = 0;
  shell.openedPaths.length = 0;
  session.defaultSession = new FakeSession();
  FakeMenu.applicationMenu = null;
}
