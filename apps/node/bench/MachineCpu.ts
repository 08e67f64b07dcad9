/** Measured windows of the bench: wall time, and what the window cost the whole machine, read from /proc/stat. */
import { readFileSync } from "node:fs"
import { cpus } from "node:os"
import { performance } from "node:perf_hooks"

/** Busy CPU time of the whole machine (every process, every core) in µs, from /proc/stat (USER_HZ = 100). */
const machineBusyUs = () => {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
  return (user + nice + system + irq + softirq + steal) * 10_000
}

export interface Measured {
  readonly seconds: number
  readonly perSecond: number
  /** Busy CPU of the whole machine per unit of work, in µs. */
  readonly cpuUsPerUnit: number
  /** How busy the cores were over the window, 0 to 1. */
  readonly utilisation: number
  /** CPU of this process (user + system) per unit of work, in µs: the share of the in-process node and its drivers. */
  readonly processCpuUsPerUnit: number
}

/** Starts a window; `end(units)` closes it over `units` of work done in it. */
export const startWindow = () => {
  const busy = machineBusyUs()
  const own = process.cpuUsage()
  const started = performance.now()
  return {
    end: (units: number): Measured => {
      const seconds = (performance.now() - started) / 1000
      const cpu = machineBusyUs() - busy
      const spent = process.cpuUsage(own)
      return {
        seconds,
        perSecond: units / seconds,
        cpuUsPerUnit: cpu / units,
        utilisation: cpu / (seconds * 1e6 * cpus().length),
        processCpuUsPerUnit: (spent.user + spent.system) / units
      }
    }
  }
}
