import { fileURLToPath } from 'node:url';
import { runCli } from './main';

const rendererDir = process.env.MLW_RENDERER_DIR ?? fileURLToPath(new URL('../../../out/renderer', import.meta.url));

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, rendererDir });
