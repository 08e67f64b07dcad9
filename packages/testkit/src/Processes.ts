/** The machine's live processes as /proc tells them: for tests and the bench that watch processes they started. */
import { readdirSync, readFileSync } from "node:fs"

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
