import { fileURLToPath } from 'node:url';
import { runCli } from './main';

// stdout carries exactly what the command prints (one JSON document with --json); libraries that
// greet or warn on the console go to stderr.
console.log = console.error;
console.info = console.error;
console.warn = console.error;

const rendererDir = process.env.MLW_RENDERER_DIR ?? fileURLToPath(new URL('../../../out/renderer', import.meta.url));

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, rendererDir });
