/**
 * port_scan_tcp: a TCP connect scan of an address: each configured port that accepts a
 * connection is an OPEN_PORT ("ip:port"). Refused, unreachable and silent ports are closed.
 */
import { Effect, Option, Ref, Schema } from "effect"
import { Socket } from "node:net"
import { addressMapFields, connectAddress } from "../internal/AddressMap.js"
import { defineModule, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

const Port = Schema.Int.pipe(Schema.between(1, 65535))

/** nmap's twenty most often open TCP ports. */
export const topPorts: ReadonlyArray<number> = [
  21,
  22,
  23,
  25,
  53,
  80,
  110,
  111,
  135,
  139,
  143,
  443,
  445,
  993,
  995,
  1723,
  3306,
  3389,
  5900,
  8080
]

const services: Readonly<Record<number, string>> = {
  21: "ftp",
  22: "ssh",
  23: "telnet",
  25: "smtp",
  53: "domain",
  80: "http",
  110: "pop3",
  111: "rpcbind",
  135: "msrpc",
  139: "netbios-ssn",
  143: "imap",
  443: "https",
  445: "microsoft-ds",
  993: "imaps",
  995: "pop3s",
  1723: "pptp",
  3306: "mysql",
  3389: "ms-wbt-server",
  5900: "vnc",
  8080: "http-proxy"
}

export const PortScanTcpConfig = Schema.Struct({
  ports: Schema.optionalWith(Schema.Array(Port).pipe(Schema.minItems(1)), { default: () => topPorts, exact: true }),
  /** Connections in flight at once. */
  concurrency: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 500)), { default: () => 20, exact: true }),
  /** A port that has not accepted within this time counts as filtered (closed). */
  timeout_ms: Schema.optionalWith(Schema.Int.pipe(Schema.between(50, 60_000)), { default: () => 2_000, exact: true }),
  ...addressMapFields
})
export type PortScanTcpConfig = typeof PortScanTcpConfig.Type

export type PortState = "open" | "closed" | "filtered"

/** One connect attempt; the connection is closed as soon as it is made. */
export const probePort = (host: string, port: number, timeoutMs: number): Effect.Effect<PortState> =>
  Effect.async<PortState>((resume) => {
    const socket = new Socket()
    let done = false
    const finish = (state: PortState) => {
      if (done) return
      done = true
      socket.destroy()
      resume(Effect.succeed(state))
    }
    socket.once("connect", () => finish("open"))
    socket.once("error", () => finish("closed"))
    socket.connect(port, host)
    return Effect.sync(() => socket.destroy())
  }).pipe(
    Effect.timeoutTo({ duration: timeoutMs, onTimeout: (): PortState => "filtered", onSuccess: (state) => state })
  )

export const portScanTcp = defineModule({
  name: "port_scan_tcp",
  description: "Finds open TCP ports on an IP address with a connect scan",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["OPEN_PORT"],
  flags: ["active", "aggressive", "noisy"],
  configSchema: PortScanTcpConfig,
  default_config: { ports: topPorts, concurrency: 20, timeout_ms: 2_000, address_map: {}, only_mapped: false },
  source: {
    id: "tcp_connect",
    name: "Targets' TCP services (connect scan)",
    rateLimit: { requests: 100, perSeconds: 1, burst: 200 },
    requiresKey: false,
    proxy: false
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const probes = yield* Ref.make(0)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(probes), (count) => ctx.log("port_scan_tcp session closed", { probes: count }))
      )
      return { config, log: ctx.log, probes, guard: ctx.guard }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("port_scan_tcp", task, "IP")
      const { config } = session
      const host = connectAddress(config, ip)
      if (Option.isNone(host)) return []
      // `address_map` is the user's: the address actually connected to is the one checked.
      if (session.guard !== undefined) yield* session.guard.check("port_scan_tcp", host.value)
      const ports = Array.from(new Set(config.ports))
      const states = yield* Effect.forEach(
        ports,
        (port) =>
          Effect.zipRight(
            Ref.update(session.probes, (n) => n + 1),
            Effect.map(probePort(host.value, port, config.timeout_ms), (state) => ({ port, state }))
          ),
        { concurrency: config.concurrency }
      )
      const findings: Array<Finding> = []
      for (const { port, state } of states) {
        if (state !== "open") continue
        const value = ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`
        Option.map(
          finding("OPEN_PORT", value, {
            confidence: 1,
            source_data: { ip, port, ...(host.value === ip ? {} : { connected_to: host.value }) },
            metadata: { protocol: "tcp", state, ...(services[port] === undefined ? {} : { service: services[port] }) }
          }),
          (found) => findings.push(found)
        )
      }
      yield* session.log("port_scan_tcp scanned", { ip, ports: ports.length, open: findings.length })
      return findings
    })
})
