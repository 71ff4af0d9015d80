// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'worker_threads', 'url', 'stream', 'module'];
/** Anything inside src/main/engine but its folder index ('../engine'). */
const engineInternals = {
  group: ['**/engine/**'],
  message: "Import the engine through its entry point ('../engine', src/main/engine/index.ts).",
};

export default tseslint.config(
  { ignores: ['node_modules', 'out', 'dist', 'test-results', 'playwright-report', '.cache', '.bench'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Pure code shared by every process: no Node, no Electron, no DOM-only globals.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...nodeBuiltins, 'electron', 'better-sqlite3', 'sharp', 'ws', 'react', '**/main/**', '**/renderer/**'] },
      ],
    },
  },
  {
    // The renderer sees only the contract: no Node, no Electron, no main-process code.
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        { patterns: [...nodeBuiltins, 'electron', 'better-sqlite3', 'sharp', 'ws', '**/main/**', '**/preload/**'] },
      ],
    },
  },
  {
    // A workspace (features/<name>/) imports no other workspace: what several use lives in
    // components/ or jobs/. The renderer's own rule is repeated, as a later block replaces it.
    files: ['src/renderer/src/features/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...nodeBuiltins, 'electron', 'better-sqlite3', 'sharp', 'ws', '**/main/**', '**/preload/**'] },
            {
              regex: '^\\.\\./(dataset|train|evaluate|predict|runs)(/|$)',
              message: 'A workspace does not import another: move what both use to src/renderer/src/components (or jobs).',
            },
          ],
        },
      ],
    },
  },
  {
    // Services, the cache and the CLI run in Node without Electron; only src/main/app and the
    // Electron transport may import it (as VS Code and GitHub Desktop keep IPC in one place).
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/app/**', 'src/main/transport/electron-ipc.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['electron', '**/renderer/**'] }] },
  },
  {
    // Code outside the engine reaches it through its entry point (src/main/engine/index.ts) only;
    // its folders are its own. Tests may import the engine's internals.
    files: ['src/main/{services,cli,server,reports}/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['electron', '**/renderer/**'] }, engineInternals] }] },
  },
  {
    // The app may import Electron, but the engine only through its entry point as well.
    files: ['src/main/app/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [engineInternals] }] },
  },
);
