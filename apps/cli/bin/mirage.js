#!/usr/bin/env node
/** The `mirage` command: runs the TypeScript entry point through tsx, passing the arguments and exit code on. */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const main = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "main.ts");
// tsx as the workspace resolves it, so the command works from any directory.
const tsx = String(import.meta.resolve("tsx"));
const run = spawnSync(process.execPath, ["--import", tsx, main, ...process.argv.slice(2)], { stdio: "inherit" });
process.exitCode = run.status ?? 1;
