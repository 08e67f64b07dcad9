/**
 * How fast this machine is, measured at the start of a run, so that runs on different machines can be compared: the
 * same code measured 3× apart on two machines of the same size, where the figures that moved most were the ones that
 * cross processes. Two probes, each the median of three:
 * - a fixed JavaScript workload (JSON written and read back), in ms of CPU;
 * - a loopback round trip to a child process (100 bytes each way, as a store's small answer), in µs of wall time and
 *   of this process's CPU.
 */
import { Effect } from "effect"
import { fork } from "node:child_process"
import { createConnection, createServer } from "node:net"
import type { Socket } from "node:net"
import { performance } from "node:perf_hooks"

const record = {
  id: "00000000-0000-4000-8000-000000000001",
  type: "DOMAIN",
  value: "host.example.test",
  source_data: { record: "A", ttl: 300, names: ["a.example.test", "b.example.test"] },
  confidence: 0.75
}

const medianOf = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** CPU ms of 100,000 JSON round trips of a result-sized record. */
const jsProbe = (): number => {
  const from = process.cpuUsage()
  let total = 0
  for (let i = 0; i < 100_000; i++) total += (JSON.parse(JSON.stringify({ ...record, n: i })) as { n: number }).n
  const spent = process.cpuUsage(from)
  if (total < 0) throw new Error("unreachable")
  return (spent.user + spent.system) / 1000
}

/** The child side: an echo server on loopback; sends its port, echoes until its parent goes. */
export const echoServer = () => {
  const server = createServer((socket) => socket.on("data", (data) => socket.write(data)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    process.send?.(typeof address === "object" && address !== null ? address.port : 0)
  })
  process.on("disconnect", () => process.exit(0))
}

interface RoundTrip {
  readonly wallUs: number
  readonly cpuUs: number
}

const connect = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = createConnection(port, "127.0.0.1", () => resolve(socket))
    socket.once("error", reject)
  })

/** `trips` round trips of `payload`, one at a time: wall µs and this process's CPU µs per round trip. */
const roundTrips = (socket: Socket, payload: Buffer, trips: number) =>
  new Promise<RoundTrip>((resolve) => {
    const start = performance.now()
    const cpu = process.cpuUsage()
    let received = 0
    let done = 0
    const onData = (data: Buffer) => {
      received += data.length
      if (received < payload.length) return
      received -= payload.length
      if (++done < trips) return void socket.write(payload)
      socket.off("data", onData)
      const spent = process.cpuUsage(cpu)
      resolve({ wallUs: ((performance.now() - start) * 1000) / trips, cpuUs: (spent.user + spent.system) / trips })
    }
    socket.on("data", onData)
    socket.write(payload)
  })

/** The median round trip of three runs of `trips` to a child's echo server. */
const loopbackProbe = async (trips: number): Promise<RoundTrip> => {
  const child = fork(new URL(import.meta.url), ["--echo"], { execArgv: ["--import", "tsx"], stdio: "inherit" })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("error", reject)
      child.once("message", (message) => resolve(Number(message)))
    })
    const socket = await connect(port)
    const payload = Buffer.alloc(100, 97)
    const runs: Array<RoundTrip> = []
    for (let i = 0; i < 3; i++) runs.push(await roundTrips(socket, payload, trips))
    socket.end()
    return { wallUs: medianOf(runs.map((run) => run.wallUs)), cpuUs: medianOf(runs.map((run) => run.cpuUs)) }
  } finally {
    child.kill()
  }
}

/** The bench line of this machine's speed. */
export const probe = Effect.promise(async () => {
  const js = medianOf([jsProbe(), jsProbe(), jsProbe()])
  const loopback = await loopbackProbe(2000)
  return `machine_speed: js ${js.toFixed(0)} ms (100,000 JSON round trips of a result-sized record); loopback round ` +
    `trip ${loopback.wallUs.toFixed(0)} µs, ${loopback.cpuUs.toFixed(0)} µs of the caller's CPU (100 bytes each way, ` +
    `to another process)`
})

if (process.argv.includes("--echo")) echoServer()
