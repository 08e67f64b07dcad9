/**
 * The machine's live processes as /proc tells them, for tests and the bench that watch processes they started; and
 * node child processes run to their end.
 */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** A live process: its name, parent, and CPU time with its ended children's, in µs. */
export interface ProcessStat {
  readonly pid: number
  readonly name: string
  readonly parent: number
  readonly cpuUs: number
}

/** Every live process, from /proc/<pid>/stat. */
export const processes = (): Array<ProcessStat> =>
  readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return []
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8")
    } catch {
      return [] // ended meanwhile
    }
    // Fields after the name: state 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14 (clock ticks, USER_HZ = 100).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number)
    return [{
      pid: Number(entry),
      name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      parent: fields[1]!,
      cpuUs: (fields[11]! + fields[12]! + fields[13]! + fields[14]!) * 10_000
    }]
  })

/** A process's command line, arguments joined by spaces ("" once it has ended). */
export const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ")
  } catch {
    return ""
  }
}

/** What a finished child process gave: its exit code (1 when it ended by a signal or timeout) and its output. */
export interface NodeRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url))

/**
 * Runs `node <args>` from the repository's root (with `--import tsx` first, so TypeScript entry points and
 * `-e` sources import the workspace's packages), `env` over this process's, for at most a minute; never fails.
 */
export const runNode = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Effect.Effect<NodeRun> =>
  Effect.async((resume) => {
    execFile(
      process.execPath,
      ["--import", "tsx", ...args],
      { cwd: repositoryRoot, env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        resume(Effect.succeed({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr
        }))
    )
  })
