/** What a measured window of the bench cost the whole machine, read from /proc/stat. */
import { readFileSync } from "node:fs"
import { cpus } from "node:os"

/** Busy CPU time of the whole machine (every process, every core) in µs, from /proc/stat (USER_HZ = 100). */
export const machineBusyUs = () => {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
  return (user + nice + system + irq + softirq + steal) * 10_000
}

/** What a measured window cost the machine: busy CPU per unit of work, and how busy the cores were. */
export const machineCost = (busyBefore: number, seconds: number, units: number) => {
  const busy = machineBusyUs() - busyBefore
  return { cpuUsPerUnit: busy / units, utilisation: busy / (seconds * 1e6 * cpus().length) }
}
