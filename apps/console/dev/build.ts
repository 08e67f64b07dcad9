/**
 * `npm run console:build`: builds the web console into apps/console/dist unless the build is newer than every
 * source (src/, index.html, the Vite config); `--force` builds anyway. The gateway serves that folder at `/`.
 */
import { readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const consoleRoot = fileURLToPath(new URL("..", import.meta.url))
const built = join(consoleRoot, "dist", "index.html")

const newest = (path: string): number => {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs)
}

const builtAt = (): number => {
  try {
    return statSync(built).mtimeMs
  } catch {
    return 0
  }
}

/** Whether the console must be built: no build yet, or a source changed since. */
export const isStale = (): boolean => {
  const sources = ["src", "index.html", "vite.config.ts", "package.json"].map((name) => join(consoleRoot, name))
  return builtAt() < Math.max(...sources.map(newest))
}

/** Builds the console when stale (or always with `force`); true when it built. */
export const ensureBuilt = async (force = false): Promise<boolean> => {
  if (!force && !isStale()) return false
  const { build } = await import("vite")
  await build({ configFile: join(consoleRoot, "vite.config.ts"), logLevel: "warn" })
  return true
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes("--force")
  ensureBuilt(force).then(
    (didBuild) => console.log(didBuild ? "console built in apps/console/dist" : "console up to date"),
    (error: unknown) => {
      console.error("console build failed:", error)
      process.exitCode = 1
    }
  )
}
