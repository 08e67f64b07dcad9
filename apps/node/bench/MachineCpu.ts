/** Measured windows of the bench: wall time, and what the window cost the whole machine, read from /proc/stat. */
import { processes } from "@mirage/testkit/Processes"
import { readFileSync } from "node:fs"
import { cpus } from "node:os"
import { performance } from "node:perf_hooks"

/** Busy CPU time of the whole machine (every process, every core) in µs, from /proc/stat (USER_HZ = 100). */
const machineBusyUs = () => {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
  return (user + nice + system + irq + softirq + steal) * 10_000
}

/** The store servers whose CPU a window accounts for, by process name. */
const servers = { redis: "redis-server", postgres: "postgres", ferretdb: "ferretdb" } as const
export type Server = keyof typeof servers

/**
 * CPU time in µs of every live process of each store server, with the time of its children that have ended (a
 * PostgreSQL backend that closed is counted in its postmaster's).
 */
export const serversUs = (): Record<Server, number> => {
  const totals: Record<Server, number> = { redis: 0, postgres: 0, ferretdb: 0 }
  for (const { cpuUs, name } of processes()) {
    const server = (Object.keys(servers) as Array<Server>).find((key) => name.startsWith(servers[key]))
    if (server !== undefined) totals[server] += cpuUs
  }
  return totals
}

/**
 * CPU time in ms of process `pid` and every live process below it (a gateway's workers), with the time of their
 * children that have ended; 0 for no process.
 */
export const treeMs = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  const all = processes()
  const children = new Map<number, Array<number>>()
  for (const { parent, pid: child } of all) {
    const siblings = children.get(parent)
    if (siblings === undefined) children.set(parent, [child])
    else siblings.push(child)
  }
  const cpu = new Map(all.map((stat) => [stat.pid, stat.cpuUs]))
  let totalUs = 0
  const below = [pid]
  for (let next = below.pop(); next !== undefined; next = below.pop()) {
    totalUs += cpu.get(next) ?? 0
    below.push(...(children.get(next) ?? []))
  }
  return totalUs / 1000
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
  /** CPU of each store server per unit of work, in µs (the rest of the machine's is this process and the others). */
  readonly serverCpuUsPerUnit: Record<Server, number>
}

/** `node 610, redis 180, …, other 40`: where a unit of work's machine CPU went. */
export const budget = (measured: Measured, processName: string): string => {
  const servers = measured.serverCpuUsPerUnit
  const known = measured.processCpuUsPerUnit + servers.redis + servers.postgres + servers.ferretdb
  return [
    `${processName} ${measured.processCpuUsPerUnit.toFixed(0)}`,
    `redis ${servers.redis.toFixed(0)}`,
    `postgres ${servers.postgres.toFixed(0)}`,
    `ferretdb ${servers.ferretdb.toFixed(0)}`,
    `other ${Math.max(0, measured.cpuUsPerUnit - known).toFixed(0)}`
  ].join(", ")
}

/** Starts a window; `end(units)` closes it over `units` of work done in it. */
export const startWindow = () => {
  const busy = machineBusyUs()
  const own = process.cpuUsage()
  const serversBefore = serversUs()
  const started = performance.now()
  return {
    end: (units: number): Measured => {
      const seconds = (performance.now() - started) / 1000
      const cpu = machineBusyUs() - busy
      const spent = process.cpuUsage(own)
      const serversAfter = serversUs()
      const per = (server: Server) => (serversAfter[server] - serversBefore[server]) / units
      return {
        seconds,
        perSecond: units / seconds,
        cpuUsPerUnit: cpu / units,
        utilisation: cpu / (seconds * 1e6 * cpus().length),
        processCpuUsPerUnit: (spent.user + spent.system) / units,
        serverCpuUsPerUnit: { redis: per("redis"), postgres: per("postgres"), ferretdb: per("ferretdb") }
      }
    }
  }
}
