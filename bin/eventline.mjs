#!/usr/bin/env node
// Runs the TypeScript CLI in this process through tsx's loader, so `npx eventline ...` works without
// a build step, and signals (Ctrl-C, SIGTERM from a supervisor) reach the CLI itself: no child
// process is left running when this one is stopped.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

// As the tsx command does: TypeScript through both module systems (a config file may be either).
registerCommonJs();
register();
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { main } = await import(pathToFileURL(join(root, 'packages', 'cli', 'src', 'main.ts')).href);
await main(process.argv);
