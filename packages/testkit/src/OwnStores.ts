/**
 * Store servers of a test's own, on loopback ports of their own, for fault tests that restart a store: the shared
 * servers are never restarted. PostgreSQL runs as the `postgres` user (tests run as root), from a temporary folder.
 */
import { Data, Effect } from "effect"
import { execFileSync } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrate } from "../../../infra/migrate.js"

export class OwnStoreError extends Data.TaggedError("OwnStoreError")<{
  readonly message: string
  readonly cause: unknown
}> {}

/**
 * Ports the kernel never hands out by itself: those below its ephemeral range (`ip_local_port_range`), from which it
 * picks every outgoing connection's local port and every listener's on port 0. A port taken from that range, probed
 * and released, could be taken again before its server bound it (by a fixture server listening on port 0, or a
 * reconnecting client): a gateway then failed with EADDRINUSE and the test read another server's answers.
 */
const ownRange = (() => {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number)
    return low !== undefined && low > 12_000 ? { from: 10_000, to: low - 1 } : undefined
  } catch {
    return undefined
  }
})()

/** Ports this process has handed out already, never handed out twice. */
const handedOut = new Set<number>()

const bindable = (port: number) =>
  Effect.async<boolean>((resume) => {
    const server = createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen(port, "127.0.0.1", () => server.close(() => resume(Effect.succeed(true))))
  })

const kernelPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * A free TCP port on 127.0.0.1, outside the kernel's ephemeral range where it can tell (a random one, probed, and
 * never one this process gave before); the kernel's pick otherwise.
 */
export const freePort: Effect.Effect<number> = Effect.suspend(() => {
  if (ownRange === undefined) return kernelPort
  const { from, to } = ownRange
  const attempt: Effect.Effect<number> = Effect.suspend(() => {
    const port = from + Math.floor(Math.random() * (to - from + 1))
    if (handedOut.has(port)) return attempt
    return Effect.flatMap(bindable(port), (free) => {
      if (!free) return attempt
      handedOut.add(port)
      return Effect.succeed(port)
    })
  })
  return attempt
})

// A temporary folder, removed with the scope.
const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const run = (what: string, file: string, args: ReadonlyArray<string>) =>
  Effect.try({
    try: () => execFileSync(file, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 }).toString(),
    catch: (cause) => new OwnStoreError({ message: `${what} failed`, cause })
  })

// The newest installed PostgreSQL's programs (Debian keeps them out of PATH), else PATH's.
const pgBin = (program: string): string => {
  const base = "/usr/lib/postgresql"
  if (!existsSync(base)) return program
  const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
  const found = versions.map((v) => join(base, v, "bin", program)).find((path) => existsSync(path))
  return found ?? program
}

const asPostgres = (what: string, program: string, args: ReadonlyArray<string>) =>
  run(what, "runuser", ["-u", "postgres", "--", pgBin(program), ...args])

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>/mirage, migrated. */
  readonly url: string
  /** Stops the server (fast shutdown: sessions are cut) and starts it again. */
  readonly restart: Effect.Effect<void, OwnStoreError>
}

/** A migrated PostgreSQL cluster of the test's own, removed when the scope closes. */
export const ownPostgres = Effect.gen(function*() {
  const port = yield* freePort
  const dir = yield* tempDir("mirage-pg-")
  chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString()), 0)
  const data = join(dir, "data")
  yield* asPostgres("initdb", "initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const start = asPostgres("pg_ctl start", "pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"])
  const stop = (mode: string) => asPostgres("pg_ctl stop", "pg_ctl", ["-D", data, "-m", mode, "-w", "stop"])
  yield* Effect.acquireRelease(start, () => Effect.ignore(stop("immediate")))
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`
  yield* run("createdb", pgBin("psql"), [admin, "-X", "-q", "-c", "CREATE DATABASE mirage"])
  const url = `postgres://postgres@127.0.0.1:${port}/mirage`
  yield* Effect.tryPromise({
    try: () => migrate(url),
    catch: (cause) => new OwnStoreError({ message: "migrations failed", cause })
  })
  const own: OwnPostgres = { url, restart: Effect.zipRight(stop("fast"), start) }
  return own
})

export interface OwnRedis {
  readonly url: string
  /** Shuts Redis down (it flushes its append-only file) and starts it again from its files. */
  readonly restart: Effect.Effect<void, OwnStoreError>
}

/** A redis-server of the test's own with the append-only file on (everysec), removed when the scope closes. */
export const ownRedis = Effect.gen(function*() {
  const port = yield* freePort
  const dir = yield* tempDir("mirage-redis-")
  const start = run("redis-server", "redis-server", [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--logfile",
    join(dir, "redis.log"),
    "--pidfile",
    join(dir, "redis.pid")
  ]).pipe(Effect.zipRight(waitRedis(port)))
  const stop = run("redis shutdown", "redis-cli", ["-p", String(port), "shutdown"]).pipe(
    // redis-cli reports the closed connection of a shut-down server as an error.
    Effect.ignore,
    Effect.zipRight(waitRedisGone(port))
  )
  yield* Effect.acquireRelease(start, () => stop)
  const own: OwnRedis = { url: `redis://127.0.0.1:${port}`, restart: Effect.zipRight(stop, start) }
  return own
})

const ping = (port: number) =>
  Effect.sync(() => {
    try {
      return execFileSync("redis-cli", ["-p", String(port), "ping"], { stdio: ["ignore", "pipe", "ignore"] })
        .toString().includes("PONG")
    } catch {
      return false
    }
  })

const pause = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))

const waitRedis = (port: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      if (yield* ping(port)) return
      yield* pause
    }
    return yield* new OwnStoreError({ message: `redis on ${port} did not answer`, cause: null })
  })

const waitRedisGone = (port: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200 && (yield* ping(port)); i++) yield* pause
  })
